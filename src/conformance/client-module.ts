import { builtinModules, createRequire, Module } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { writeFileAtomic } from './atomic-write.js';
import type { ClientFactory } from './driver.js';
import { packageRoot } from './package-root.js';

/** File extensions a client module may have. */
export const clientModuleExtensions = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

/** A client module that cannot be loaded: the message says why and what to change. */
export class ClientModuleError extends Error {
  /** The error name. */
  override readonly name = 'ClientModuleError';
}

/**
 * Loads a user's client module the way they wrote it: TypeScript or JavaScript, ES module
 * or CommonJS, in any folder, with or without a package.json beside it, on Node 20.12+.
 *
 * Why not `import()` the file, or register tsx: Node 20 cannot import `.ts`, and a loader
 * that follows Node's format rules treats a `.ts` file under a package.json without
 * `"type": "module"` as CommonJS — the case of every team that copies our example into
 * its repository — and fails with a misleading "Cannot require() ES Module … in a cycle"
 * (TOOLCHAIN.md). So the module format is decided here, explicitly: esbuild (a well-kept
 * compiler, also what tsx runs on) bundles the client's own files into one ES module,
 * whatever their syntax; packages stay external, resolved from the client's folder to
 * absolute URLs; `lockstep` itself resolves to the running copy, so the client shares the
 * harness's module instances. The bundle is written to the system's temporary folder, so
 * nothing is written next to the user's files. This runs once per check, never in a simulation's
 * hot path; inline source maps keep stack traces pointing at the user's file.
 */
export async function importClientModule(spec: string, cwd = process.cwd()): Promise<Record<string, unknown>> {
  const path = resolve(cwd, spec);
  if (!existsSync(path)) throw new ClientModuleError(`--client ${spec}: no such file (${path})`);
  if (!statSync(path).isFile()) throw new ClientModuleError(`--client ${spec}: expected a module file, found a directory (${path})`);
  const ext = extname(path);
  if (!(clientModuleExtensions as readonly string[]).includes(ext)) {
    throw new ClientModuleError(`--client ${spec}: expected a module file ending in ${clientModuleExtensions.join(', ')}, found "${ext || 'no extension'}"`);
  }
  const esbuild = await import('esbuild');
  const outfile = join(tmpdir(), 'lockstep-client-modules', `${basename(path, ext)}.mjs`);
  process.setSourceMapsEnabled(true);
  const instances = await instanceBundle(esbuild, path, outfile);
  if (instances) {
    const mod = loading(spec, instances);
    for (const f of [mod.createClient, mod.default, (mod.default as { createClient?: unknown } | undefined)?.createClient]) {
      if (typeof f === 'function') tagFresh(f, () => pickFactory(loading(spec, instances)) ?? (f as ClientFactory));
    }
    return mod;
  }
  let code: string;
  try {
    const out = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      absWorkingDir: dirname(path),
      outfile,
      // CommonJS code inside the bundle calls require(): give it a real one, rooted at the client's file.
      banner: { js: `import { createRequire as __lockstepCreateRequire } from 'node:module'; const require = __lockstepCreateRequire(${JSON.stringify(pathToFileURL(path).href)});` },
      plugins: [externalPackages()],
    });
    code = out.outputFiles[0]!.text;
  } catch (e) {
    throw new ClientModuleError(`--client ${spec}: the module does not compile:\n${buildErrors(e, dirname(path), cwd)}`);
  }
  try {
    return (await import(pathToFileURL(writeBundle(outfile, code)).href)) as Record<string, unknown>;
  } catch (e) {
    throw loadError(spec, e);
  }
}

function loadError(spec: string, e: unknown): ClientModuleError {
  const where = clientStack(e).split('\n')[1]?.trim().replace(/^at /, '');
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new ClientModuleError(`--client ${spec}: the module threw while loading: ${what}${where ? ` (${where})` : ''}`);
}

function loading(spec: string, instances: () => Record<string, unknown>): Record<string, unknown> {
  try {
    return instances();
  } catch (e) {
    throw loadError(spec, e);
  }
}

/** Where a factory keeps the maker of fresh module instances (see {@link freshInstanceOf}). */
const freshKey = Symbol.for('lockstep.client-module.fresh-instance');

function tagFresh(f: object, make: () => ClientFactory): void {
  Object.defineProperty(f, freshKey, { value: make, configurable: true });
}

function pickFactory(mod: Record<string, unknown>): ClientFactory | undefined {
  const d = mod.default as { createClient?: unknown } | undefined;
  const f = mod.createClient ?? (typeof d === 'function' ? d : d?.createClient);
  return typeof f === 'function' ? (f as ClientFactory) : undefined;
}

/**
 * For a factory loaded from a client module: evaluates a *new instance* of that module —
 * the client's code and every package it bundles (a library's module-level state, its
 * import-time random draw) — and returns that instance's factory. `--globals` gives each
 * client node, and each app instance after a restart, its own. `undefined` for a factory
 * that did not come from a module file (the reference, a zoo variant, a function), or from
 * a module that could only be loaded once (top-level `await`).
 */
export function freshInstanceOf(factory: ClientFactory): (() => ClientFactory) | undefined {
  return (factory as unknown as Record<symbol, (() => ClientFactory) | undefined>)[freshKey];
}

/**
 * Bundles the client with its packages into one CommonJS function body, compiled once;
 * each call of the returned function evaluates a new instance (the first one here, for
 * its exports). Node built-ins stay shared (`require`), and `lockstep` is the running
 * copy. Evaluation is synchronous, so an app restarted inside a simulation task gets its
 * new instance right there. `undefined` when the module cannot be bundled this way (top-level
 * `await`, a package esbuild cannot bundle): the caller falls back to one ES module import.
 */
async function instanceBundle(esbuild: typeof import('esbuild'), path: string, outfile: string): Promise<(() => Record<string, unknown>) | undefined> {
  const own = new Map<string, string>();
  let code: string;
  try {
    const out = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      absWorkingDir: dirname(path),
      outfile: outfile.replace(/\.mjs$/, '.cjs'),
      define: { 'import.meta.url': '__lockstepImportMetaUrl' },
      plugins: [
        {
          name: 'lockstep-instance-externals',
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, (args) => {
              const bare = args.path;
              if (bare.startsWith('node:') || builtins.has(bare.split('/')[0]!) || builtins.has(bare)) return { path: bare, external: true };
              const entry = ownEntry(bare);
              if (!entry) return undefined;
              const id = `lockstep-own:${bare}`;
              own.set(id, pathToFileURL(entry).href);
              return { path: id, external: true };
            });
          },
        },
      ],
    });
    code = out.outputFiles[0]!.text;
  } catch {
    return undefined;
  }
  const shared = new Map<string, unknown>();
  for (const [id, url] of own) {
    const ns = (await import(url)) as Record<string, unknown>;
    shared.set(id, { __esModule: true, ...ns });
  }
  const file = writeBundle(outfile.replace(/\.mjs$/, '.cjs'), code);
  const realRequire = createRequire(path);
  const require = Object.assign((id: string): unknown => (shared.has(id) ? shared.get(id) : realRequire(id)), realRequire);
  const url = pathToFileURL(path).href;
  const wrapped = `const __lockstepImportMetaUrl = ${JSON.stringify(url)};${code}`;
  // Node's own CommonJS compile: it honours the inline source map (stack traces point at the
  // user's file), and V8's compilation cache makes every compile after the first cheap.
  return () => {
    const m = new Module(file) as Module & { _compile(code: string, filename: string): void };
    m.filename = file;
    m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(path));
    (m as unknown as { require: unknown }).require = require;
    m._compile(wrapped, file);
    return m.exports as Record<string, unknown>;
  };
}

/**
 * The bundle goes to the system's temporary folder, named by its content (an unchanged
 * client reuses its file); never next to the user's files.
 */
function writeBundle(outfile: string, code: string): string {
  const file = join(dirname(outfile), `${createHash('sha256').update(code).digest('hex').slice(0, 16)}-${basename(outfile)}`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, code);
  }
  return file;
}

/** lockstep's own code: frames in it are never the client's. */
const ownCode = [join(packageRoot, 'src'), join(packageRoot, 'dist')];

/** The error and the stack frames that are the client's own (not lockstep's, not Node's, not a package's). */
export function clientStack(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const frames = (e.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((l) => /^\s+at /.test(l) && /[/\\][^/\\]+:\d+:\d+\)?$/.test(l) && !l.includes('node:') && !l.includes('node_modules') && !ownCode.some((dir) => l.includes(dir)))
    .slice(0, 5);
  return [`${e.name}: ${e.message}`, ...frames].join('\n');
}

const builtins = new Set(builtinModules);

/**
 * Keeps packages out of the bundle but pins each to the file the client's folder resolves
 * it to (a `data:` module cannot resolve bare specifiers itself), and maps `lockstep` and
 * `lockstep/<entry>` to the copy that is running.
 */
function externalPackages(): Plugin {
  return {
    name: 'lockstep-external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'lockstep-inner') return undefined;
        const bare = args.path;
        if (bare.startsWith('file:')) return { path: bare, external: true };
        if (bare.startsWith('node:') || builtins.has(bare.split('/')[0]!) || builtins.has(bare)) return { path: bare, external: true };
        const own = ownEntry(bare);
        // Through a bundled re-export, so that require('lockstep') from CommonJS code gets the ES module too.
        if (own) return { path: own, namespace: 'lockstep-own' };
        const viaRequire = args.kind === 'require-call' || args.kind === 'require-resolve';
        const r = await build.resolve(bare, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'lockstep-inner' });
        if (r.errors.length) {
          return { errors: [{ text: `cannot find package "${bare}" from ${args.resolveDir}: install it in the client's project (npm install ${packageName(bare)})` }] };
        }
        return { path: viaRequire ? r.path : pathToFileURL(r.path).href, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: 'lockstep-own' }, (args) => ({ contents: `export * from ${JSON.stringify(pathToFileURL(args.path).href)};`, loader: 'js' }));
    },
  };
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}


/** `lockstep`, `lockstep/vitest`, … → the running copy's file (sources in a checkout, dist/ when installed). */
function ownEntry(spec: string): string | undefined {
  if (spec !== 'lockstep' && !spec.startsWith('lockstep/')) return undefined;
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { exports: Record<string, { import?: string } | string> };
  const key = spec === 'lockstep' ? '.' : `./${spec.slice('lockstep/'.length)}`;
  const entry = pkg.exports[key];
  const target = typeof entry === 'string' ? entry : entry?.import;
  if (!target) return undefined;
  const built = join(packageRoot, target);
  const source = join(packageRoot, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
  // A checkout runs its sources (bin/lockstep.js); an installed package has only dist/.
  return fileURLToPath(import.meta.url).endsWith('.ts') && existsSync(source) ? source : built;
}

function buildErrors(e: unknown, base: string, cwd: string): string {
  const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number; lineText: string } | null }[] }).errors;
  if (!errors?.length) return `  ${e instanceof Error ? e.message : String(e)}`;
  return errors
    .slice(0, 10)
    .map((m) => (m.location ? `  ${relative(cwd, resolve(base, m.location.file))}:${m.location.line}:${m.location.column + 1}: ${m.text}\n    ${m.location.lineText}` : `  ${m.text}`))
    .join('\n');
}

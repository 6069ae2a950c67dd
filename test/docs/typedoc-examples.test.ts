import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Every ```ts example in the doc comments of the public entry points (and of the modules
// they re-export) must type-check against lockstep's own sources: typedoc publishes them.
// Each example becomes one module in a temp folder inside the repository; the example's own
// modules (`./src/chat-client.js`) are stubbed as `any`, lockstep's API is checked for real.

const entries: Record<string, string> = {
  lockstep: 'src/index.ts',
  'lockstep/sim': 'src/sim/index.ts',
  'lockstep/vitest': 'src/vitest/index.ts',
  'lockstep/msw': 'src/sim/adapters/msw.ts',
  'lockstep/mock-socket': 'src/sim/adapters/mock-socket.ts',
};

/** The source files an entry point re-exports from, transitively (relative `export … from` only). */
function exportedFiles(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry) || !existsSync(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(entry, 'utf8');
  for (const m of text.matchAll(/export\s+(?:\*|(?:type\s+)?\{[^}]*\})\s+from\s+'(\.[^']+)\.js'/g))
    exportedFiles(join(dirname(entry), `${m[1]}.ts`), seen);
  return seen;
}

/** The ```ts blocks of a file's doc comments. */
function examplesOf(file: string): string[] {
  const out: string[] = [];
  for (const c of readFileSync(file, 'utf8').matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const body = c[1]!.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
    for (const b of body.matchAll(/```ts\n([\s\S]*?)```/g)) out.push(b[1]!);
  }
  return out;
}

const root = resolve('test/docs/.typedoc-examples');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('typedoc examples', () => {
  const files = [...new Set(Object.values(entries).flatMap((e) => [...exportedFiles(e)]))].sort();
  const examples = files.flatMap((f) => examplesOf(f).map((code, i) => ({ file: f, i, code })));

  it('finds the examples of every entry point', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const e of ['src/vitest/index.ts', 'src/sim/adapters/mock-socket.ts']) expect(examples.some((x) => x.file === e)).toBe(true);
  });

  it('type-checks every example against the sources', () => {
    rmSync(root, { recursive: true, force: true });
    const where = new Map<string, string>();
    examples.forEach((x, n) => {
      const file = join(root, `ex${n}`, 'app', 'example.ts');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${x.code}\nexport {};\n`);
      where.set(relative(root, file), `${x.file} example ${x.i + 1}`);
      // The example's own modules: stubs whose every named import is `any`.
      for (const m of x.code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(\.[^']+)\.js'/g)) {
        const stub = join(dirname(file), `${m[2]}.ts`);
        mkdirSync(dirname(stub), { recursive: true });
        const names = m[1]!.split(',').map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter(Boolean);
        writeFileSync(stub, names.map((n) => `export const ${n}: any = undefined;\n`).join(''));
      }
    });
    const paths = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [resolve(v)]]));
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { rootDir: '../../..', noEmit: true, paths }, include: ['**/*.ts'] }),
    );
    let out = '';
    try {
      execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    const named = out.replace(/(?:test\/docs\/\.typedoc-examples\/)?(ex\d+\/app\/example\.ts)/g, (_, p: string) => `${where.get(p) ?? p} (${p})`);
    expect(named).toBe('');
  }, 120_000);
});

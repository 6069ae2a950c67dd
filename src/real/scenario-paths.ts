import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { shippedScenarioRoot } from '../conformance/package-root.js';
import { resolveScenarioRef } from '../conformance/scenario-ref.js';

/** A `--scenario` value that names nothing (exit 2). */
export class ScenarioPathError extends Error {
  override readonly name = 'ScenarioPathError';
}

const isScenarioFile = (f: string): boolean => /\.ya?ml$/.test(f);

/** `*` (within a name), `**` (any folders), `?`: a glob as a regular expression over `/`-separated paths. */
function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** One scenario file of a `--scenario` list. */
export interface ScenarioPath {
  file: string;
  /** Named itself (not found in a folder or by a glob). */
  named: boolean;
}

/**
 * The scenario files `--scenario` values name, in order, each once: a file (or a shipped
 * scenario's `<protocol>/<name>`), a folder (its `.yaml` files, sorted by name; a
 * protocol's name is the folder of its shipped scenarios), or a glob
 * (`scenarios/chat/fault-*.yaml`, `scenarios/**\/*.yaml`: `*`, `**`, `?`). Values may be
 * comma-separated and the flag repeated. A value that names no scenario is an error.
 */
export function expandScenarioPaths(values: readonly string[], cwd = process.cwd()): ScenarioPath[] {
  const out: ScenarioPath[] = [];
  const add = (file: string, named = false): void => {
    const seen = out.find((p) => p.file === file);
    if (seen) seen.named ||= named;
    else out.push({ file, named });
  };
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    if (/[*?]/.test(value)) {
      const norm = value.split(sep).join('/');
      const fixed = norm.slice(0, norm.search(/[*?]/)).replace(/[^/]*$/, '') || '.';
      const base = join(cwd, fixed);
      if (!existsSync(base) || !statSync(base).isDirectory())
        throw new ScenarioPathError(`--scenario ${value}: expected a file, a folder or a glob of scenario files; ${fixed} is no folder`);
      const re = globRegex(norm.replace(/^\.\//, ''));
      const hits = walk(base)
        .map((p) => relative(cwd, p).split(sep).join('/'))
        .filter((p) => isScenarioFile(p) && re.test(p));
      if (hits.length === 0) throw new ScenarioPathError(`--scenario ${value}: expected scenario files (.yaml), found none matching it`);
      for (const h of hits) add(h);
      continue;
    }
    // A protocol's name (`chat`) is the folder of its shipped scenarios, from any project.
    const shipped = join(shippedScenarioRoot, value);
    const path =
      /^[a-z0-9-]+$/.test(value) && !existsSync(join(cwd, value)) && existsSync(shipped) ? shipped : resolveScenarioRef(value, cwd);
    const full = join(cwd, path);
    if (existsSync(path) && statSync(path).isDirectory()) {
      const files = readdirSync(path).filter(isScenarioFile).sort();
      if (files.length === 0) throw new ScenarioPathError(`--scenario ${value}: expected a folder of scenario files (.yaml), found none in it`);
      for (const f of files) add(join(path, f));
    } else if (existsSync(path) || existsSync(full)) add(path, true);
    else throw new ScenarioPathError(`--scenario ${value}: expected a scenario file, a folder or a glob, found no such file`);
  }
  return out;
}

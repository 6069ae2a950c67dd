import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { shippedScenarioRoot } from './package-root.js';

/**
 * What a user may pass as a scenario: a file path, or the name of a scenario lockstep
 * ships, `<protocol>/<name>` (e.g. `chat/fault-ws-half-open`) — the form that works from
 * any project, since the shipped files live inside the installed package.
 */
export function resolveScenarioRef(ref: string, cwd = process.cwd()): string {
  if (existsSync(isAbsolute(ref) ? ref : join(cwd, ref))) return ref;
  if (/^[a-z0-9-]+\/[a-z0-9-]+$/.test(ref)) {
    const shipped = join(shippedScenarioRoot, `${ref}.yaml`);
    if (existsSync(shipped)) return shipped;
  }
  return ref;
}

/** The shortest way to name a scenario file on a command line: `<protocol>/<name>` for a shipped one. */
export function scenarioRef(file: string): string {
  const rel = relative(shippedScenarioRoot, file);
  const m = /^([a-z0-9-]+)[/\\]([a-z0-9-]+)\.yaml$/.exec(rel);
  return m && !rel.startsWith('..') && !rel.includes(`..${sep}`) ? `${m[1]}/${m[2]}` : file;
}

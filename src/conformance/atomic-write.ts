import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that it is either the old one or the whole new one: a temporary file
 * beside it, then a rename. A kill mid-write never leaves a half-written file behind.
 */
export function writeFileAtomic(path: string, content: string, killPointName?: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.lockstep-tmp-${process.pid}`);
  writeFileSync(tmp, content);
  if (killPointName) killPoint(killPointName);
  renameSync(tmp, path);
}

/**
 * Fault injection for the tests of atomic writes: with LOCKSTEP_KILL_AT set to a point's
 * name, the process kills itself there (SIGKILL: no cleanup runs), as a crash would.
 */
export function killPoint(name: string): void {
  if (process.env.LOCKSTEP_KILL_AT === name) process.kill(process.pid, 'SIGKILL');
}

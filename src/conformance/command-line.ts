import { isAbsolute, relative } from 'node:path';

/**
 * A `lockstep` command line a user can paste as printed, from the folder they ran the
 * check in: `npx lockstep` (works in a project that installed the package and in a
 * checkout), paths relative to that folder, arguments quoted for a POSIX shell.
 */
export function lockstepCommand(args: readonly string[]): string {
  return ['npx', 'lockstep', ...args].map(shellWord).join(' ');
}

/** A file path as the user should type it: relative to the working folder when it lies below it. */
export function userPath(file: string, cwd = process.cwd()): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

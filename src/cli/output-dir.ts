import { accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { killPoint } from '../conformance/atomic-write.js';
import { UsageError } from './args.js';

/**
 * Where a command's files go, decided and checked before any long work starts, and
 * replaced only as a whole.
 *
 * One policy for every output (`--report DIR`, `--trace FILE`): a path that is not a
 * place for files (a file where a folder is needed, an unwritable folder, `/proc`) is bad
 * input at once; an existing output lockstep did not write is never replaced without
 * `--force`; an output lockstep wrote before is replaced. A report folder is written
 * beside its final place and swapped in by renames at the end, so a kill at any moment
 * leaves the previous set or the new one, never a mix or an empty file.
 */

/** The marker file that says lockstep wrote a report folder (and which files). */
export const reportMarker = '.lockstep-report.json';

/** Pseudo file systems that are no place for files (Node's recursive mkdir never returns under /proc). */
const pseudo = ['/proc', '/sys', '/dev'];

/** A report folder being written: files go to `stage`; `commit()` swaps it in. */
export interface StagedDir {
  /** The folder the user named (absolute). */
  final: string;
  /** Where the files are written until commit. */
  stage: string;
  /** Replaces `final` by `stage` (two renames; the old folder is removed afterwards). */
  commit(): void;
  /** Removes the stage (the command failed before writing its reports). */
  abort(): void;
}

/**
 * Checks a report folder and opens a stage for it beside it. Throws {@link UsageError}
 * (exit 2) naming the flag, what was expected and what was found.
 */
export function stageReportDir(dir: string, o: { force: boolean; command: string; flag?: string }): StagedDir {
  const flag = o.flag ?? '--report';
  const final = resolve(dir);
  checkPlace(final, flag, o.command);
  recoverInterruptedSwap(final);
  if (existsSync(final)) {
    if (!statSync(final).isDirectory()) throw new UsageError(`lockstep ${o.command}: ${flag} ${dir}: expected a folder, found a file`);
    const entries = readdirSync(final);
    const ours = readMarker(final) ?? legacyReport(final, entries);
    const foreign = entries.filter((e) => e !== reportMarker && !(ours?.files.includes(e) ?? false));
    if (foreign.length && !o.force) {
      throw new UsageError(
        `lockstep ${o.command}: ${flag} ${dir}: the folder holds files lockstep did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); choose another folder, or pass --force to replace the folder with the new report`,
      );
    }
  }
  makeDirs(dirname(final), flag, o.command);
  const stage = join(dirname(final), `.${basename(final)}.lockstep-tmp-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  try {
    mkdirSync(stage);
  } catch (e) {
    throw new UsageError(`lockstep ${o.command}: ${flag} ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return {
    final,
    stage,
    commit() {
      writeFileSync(join(stage, reportMarker), `${JSON.stringify({ writtenBy: 'lockstep', files: readdirSync(stage).filter((f) => f !== reportMarker).sort() }, null, 2)}\n`);
      killPoint('before-swap');
      const old = join(dirname(final), `.${basename(final)}.lockstep-old-${process.pid}`);
      const had = existsSync(final);
      if (had) renameSync(final, old);
      killPoint('mid-swap');
      renameSync(stage, final);
      killPoint('after-swap');
      if (had) rmSync(old, { recursive: true, force: true });
    },
    abort() {
      rmSync(stage, { recursive: true, force: true });
    },
  };
}

/** Checks a single output file (`--trace`) before any work: the same policy as report folders. */
export function checkOutputFile(file: string, o: { force: boolean; command: string; flag?: string; ours: (head: string) => boolean }): void {
  const flag = o.flag ?? '--trace';
  const path = resolve(file);
  checkPlace(path, flag, o.command);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`lockstep ${o.command}: ${flag} ${file}: expected a file, found a folder`);
    if (!o.force && !o.ours(readHead(path))) throw new UsageError(`lockstep ${o.command}: ${flag} ${file} exists and was not written by lockstep; pass --force to overwrite it, or choose another path`);
  }
  makeDirs(dirname(path), flag, o.command);
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch {
    throw new UsageError(`lockstep ${o.command}: ${flag} ${file}: the folder ${dirname(path)} is not writable`);
  }
}

/**
 * A command killed between the two renames of a swap leaves no folder and the previous
 * set under a hidden name beside it: put it back before anything else.
 */
function recoverInterruptedSwap(final: string): void {
  const parent = dirname(final);
  if (existsSync(final) || !existsSync(parent)) return;
  const prefix = `.${basename(final)}.lockstep-old-`;
  const left = readdirSync(parent).find((f) => f.startsWith(prefix));
  if (left) renameSync(join(parent, left), final);
}

function checkPlace(path: string, flag: string, command: string): void {
  const real = realAncestor(path);
  if (pseudo.some((p) => real === p || real.startsWith(`${p}/`))) throw new UsageError(`lockstep ${command}: ${flag} ${path}: expected a place for files, found the system folder ${real}`);
}

/** The real path of the nearest existing ancestor (or the path itself). */
function realAncestor(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Creates missing folders one level at a time (a recursive mkdir can loop forever in pseudo file systems). */
function makeDirs(dir: string, flag: string, command: string): void {
  const missing: string[] = [];
  let p = dir;
  while (!existsSync(p) && dirname(p) !== p) {
    missing.unshift(p);
    p = dirname(p);
  }
  if (existsSync(p) && !lstatSync(p).isDirectory() && !statSync(p).isDirectory()) throw new UsageError(`lockstep ${command}: ${flag}: expected ${p} to be a folder, found a file`);
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new UsageError(`lockstep ${command}: ${flag}: cannot create the folder ${m} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`lockstep ${command}: ${flag}: the folder ${dir} is not writable`);
  }
}

/** The files a report folder of lockstep holds (also one written before markers existed). */
const reportFiles = ['report.json', 'junit.xml', 'index.html', 'failures'];

/** A folder written by a lockstep without markers: only report files, and its report.json is lockstep's. */
function legacyReport(dir: string, entries: readonly string[]): { files: string[] } | undefined {
  if (!entries.includes('report.json') || !entries.every((e) => reportFiles.includes(e))) return undefined;
  try {
    const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { format?: string };
    return r.format === 'lockstep-report' ? { files: [...entries] } : undefined;
  } catch {
    return undefined;
  }
}

function readMarker(dir: string): { files: string[] } | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, reportMarker), 'utf8')) as { writtenBy?: string; files?: unknown };
    return m.writtenBy === 'lockstep' && Array.isArray(m.files) ? { files: m.files.filter((f): f is string => typeof f === 'string') } : undefined;
  } catch {
    return undefined;
  }
}

function readHead(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(0, 4096);
  } catch {
    return '';
  }
}

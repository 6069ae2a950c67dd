import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, statfsSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Trace, type TraceEvent, type TraceListener } from '../sim/trace.js';
import { traceLine } from './trace-line.js';

/** A streamed trace was asked for its lines: they went to the listeners (the trace file) only. */
export class TraceNotKept extends Error {
  override readonly name = 'TraceNotKept';
}

/**
 * The trace of a real-socket run: the kernel's {@link Trace} (same line format, same
 * canonical key order), closed once the run has ended so that sockets torn down
 * afterwards leave no steps behind.
 *
 * With `keep: false` it keeps nothing: each line goes to the listeners (a trace file) and
 * is dropped, so a server that runs for days, or is flooded with rejected requests, does
 * not grow. Its length and hash are still known; asking for its lines or events throws
 * {@link TraceNotKept}.
 */
export class RealTrace extends Trace {
  closed = false;
  /** Whether the lines stay in memory (`events()`, `toJsonl()`): `check --real` judges them in-process, `serve` does not. */
  readonly kept: boolean;
  private streamSeq = 0;
  private readonly streamListeners: TraceListener[] = [];
  private readonly digest: Hash | undefined;

  constructor(opts: { keep?: boolean } = {}) {
    super();
    this.kept = opts.keep ?? true;
    if (!this.kept) this.digest = createHash('sha256');
  }

  override record(t: number, ev: string, fields?: Record<string, unknown>): number {
    if (this.closed) return -1;
    if (this.kept) return super.record(t, ev, fields);
    const seq = this.streamSeq;
    const { line, event } = traceLine(t, seq, ev, fields);
    this.streamSeq++;
    this.digest!.update(`${line}\n`);
    for (const l of this.streamListeners) l(line, event);
    return seq;
  }

  override onRecord(listener: TraceListener): () => void {
    if (this.kept) return super.onRecord(listener);
    this.streamListeners.push(listener);
    return () => {
      const i = this.streamListeners.indexOf(listener);
      if (i >= 0) this.streamListeners.splice(i, 1);
    };
  }

  override get length(): number {
    return this.kept ? super.length : this.streamSeq;
  }

  override toJsonl(): string {
    return this.kept ? super.toJsonl() : this.notKept();
  }

  override rawLines(): readonly string[] {
    return this.kept ? super.rawLines() : this.notKept();
  }

  override events(): readonly TraceEvent[] {
    return this.kept ? super.events() : this.notKept();
  }

  /** sha256 of the JSON Lines — of a streamed trace too (computed as the lines go by). */
  override hash(): string {
    return this.kept ? super.hash() : this.digest!.copy().digest('hex');
  }

  private notKept(): never {
    throw new TraceNotKept(
      `this real-socket trace was streamed (keep: false) and ${this.streamSeq} steps went to its listeners only; read them from the trace file`,
    );
  }
}

/** A trace file written as the run goes: each line reaches the OS when it is recorded, so a killed run keeps what it recorded. */
export interface TraceFile {
  readonly path: string;
  readonly listener: TraceListener;
  close(): void;
}

/** The trace file cannot be opened: it exists (and `force` was not given), or its folder cannot be written. */
export class TraceFileError extends Error {
  override readonly name: string = 'TraceFileError';
}

/** The file already exists and `force` was not given. */
export class TraceFileExists extends TraceFileError {
  override readonly name = 'TraceFileExists';
}

/** File system types of /proc and /sys (statfs magic numbers). */
const pseudoTypes = new Set([0x9fa0, 0x62656572]);

/**
 * The nearest existing folder of `dir` when it lies on /proc or /sys: Node's recursive
 * mkdir never returns under /proc (TOOLCHAIN.md), so such a path is refused up front.
 */
function pseudoFileSystem(dir: string): string | undefined {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    return pseudoTypes.has(Number(statfsSync(d).type)) ? d : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens `path` for a trace (creating its folder); refuses to overwrite an existing file
 * unless `force`. Any other problem (a folder that is a file, no permission) is a
 * {@link TraceFileError} naming the path.
 */
export function openTraceFile(path: string, force: boolean): TraceFile {
  const fail = (e: unknown): TraceFileError => {
    const err = e as NodeJS.ErrnoException;
    return new TraceFileError(`cannot write the trace file ${path}: ${err.message}`);
  };
  const pseudo = pseudoFileSystem(dirname(resolve(path)));
  if (pseudo)
    throw new TraceFileError(
      `cannot write the trace file ${path}: ${pseudo} is a ${pseudo.startsWith('/proc') ? 'proc' : 'sys'} file system, not a folder for files`,
    );
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new TraceFileError(`cannot write the trace file ${path}: a file is in the way of its folder ${dirname(path)}`);
    throw fail(e);
  }
  let fd: number;
  try {
    fd = openSync(path, force ? 'w' : 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new TraceFileExists(`${path} already exists; pass --force to overwrite it, or choose another path`);
    throw fail(e);
  }
  let open = true;
  return {
    path,
    listener: (line) => {
      if (open) writeSync(fd, `${line}\n`);
    },
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

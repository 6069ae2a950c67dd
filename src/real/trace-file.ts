import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Trace, type TraceListener } from '../sim/trace.js';

/**
 * The trace of a real-socket run: the kernel's {@link Trace} (same line format, same
 * canonical key order), closed once the run has ended so that sockets torn down
 * afterwards leave no steps behind.
 */
export class RealTrace extends Trace {
  closed = false;
  override record(t: number, ev: string, fields?: Record<string, unknown>): number {
    if (this.closed) return -1;
    return super.record(t, ev, fields);
  }
}

/** A trace file written as the run goes: each line reaches the OS when it is recorded, so a killed run keeps what it recorded. */
export interface TraceFile {
  readonly path: string;
  readonly listener: TraceListener;
  close(): void;
}

/** The file already exists and `force` was not given. */
export class TraceFileExists extends Error {
  override readonly name = 'TraceFileExists';
}

/** Opens `path` for a trace (creating its folder); refuses to overwrite an existing file unless `force`. */
export function openTraceFile(path: string, force: boolean): TraceFile {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, force ? 'w' : 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new TraceFileExists(`${path} already exists; pass --force to overwrite it, or choose another path`);
    throw e;
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

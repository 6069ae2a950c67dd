/**
 * Timelines of runs that were recorded, not simulated: a real-socket run (`lockstep check
 * --real`) or any trace given to `lockstep judge`. Their replay command names the trace
 * file (`lockstep judge FILE --protocol P`), and the timeline is drawn from that file as
 * recorded — never by re-running the client in the simulator, which a client started by a
 * command (`cmd:`) cannot be.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseTrace, type TraceEvent } from '../../sim/trace.js';
import { readablePath, type ReportContext } from './types.js';

/** The trace file a replay command judges, when it is a `lockstep judge` command. */
export function judgedTraceFile(replay: string | undefined): string | undefined {
  const m = /^(?:npx\s+)?lockstep\s+judge\s+('([^']*)'|"([^"]*)"|(\S+))/.exec(replay?.trim() ?? '');
  return m ? (m[2] ?? m[3] ?? m[4]) : undefined;
}

/** Clients the simulator cannot run: a command (`cmd:`) or a bare trace (`trace:`). */
export const recordedOnly = (client: string): boolean => /^(cmd|trace):/.test(client);

/**
 * The recorded trace of a judged run, read from the file its replay command names; a
 * string says why there is none.
 */
export function recordedTrace(replay: string | undefined, ctx: Pick<ReportContext, 'staged'>): readonly TraceEvent[] | string | undefined {
  const file = judgedTraceFile(replay);
  if (!file) return undefined;
  const path = [readablePath(ctx, file), file].find((p) => existsSync(p));
  if (!path) return `the recorded trace ${file} is gone (the timeline is drawn from it, never from a re-run)`;
  try {
    return parseTrace(readFileSync(path, 'utf8'), file);
  } catch (e) {
    return `the recorded trace ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`;
  }
}

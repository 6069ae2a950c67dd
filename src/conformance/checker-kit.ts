import { fail, notExercised, pass, type CheckContext, type Checker, type EvidenceMark, type Finding } from './requirement.js';
import { tolerance } from './trace-query.js';
import type { TraceEvent } from '../sim/trace.js';

/**
 * Small pieces every protocol's checkers share: reading a trace defensively, the timing
 * tolerance, one model per checked trace, and turning violations into a finding.
 */

/** Whether `e` has the shape of a trace step (checkers never trust a trace blindly). */
export function isTraceEvent(e: unknown): e is TraceEvent {
  return (
    !!e &&
    typeof e === 'object' &&
    typeof (e as TraceEvent).t === 'number' &&
    typeof (e as TraceEvent).seq === 'number' &&
    typeof (e as TraceEvent).ev === 'string'
  );
}

/** The scenario's timing tolerance `T` (trace-query `tolerance`), or 250 ms when the scenario cannot say. */
export function safeTolerance(ctx: CheckContext): number {
  try {
    const T = tolerance(ctx.scenario ?? {});
    return Number.isFinite(T) ? T : 250;
  } catch {
    return 250;
  }
}

/**
 * Memoizes a model built from a checked trace: all of a protocol's checkers judge the same
 * context, so the model (sessions, sockets, exchanges) is built once per run.
 */
export function perContext<M>(build: (ctx: CheckContext) => M): (ctx: CheckContext) => M {
  const models = new WeakMap<CheckContext, M>();
  return (ctx) => {
    let m = models.get(ctx);
    if (m === undefined) {
      m = build(ctx);
      models.set(ctx, m);
    }
    return m;
  };
}

/** One violation of a requirement, with the step that shows it. */
export interface Violation {
  at: number;
  seq?: number;
  text: string;
  /** Deadlines and intervals the text names, carried into the finding (see {@link EvidenceMark}). */
  marks?: EvidenceMark[];
}

/**
 * The finding for a requirement: the earliest violation (and how many more there were),
 * else a pass when the trace exercised the requirement, else not-exercised.
 */
export function verdict(violations: Violation[], exercised: boolean, passText: string, notText: string): Omit<Finding, 'requirement'> {
  if (violations.length > 0) {
    const sorted = [...violations].sort((a, b) => a.at - b.at || (a.seq ?? Infinity) - (b.seq ?? Infinity));
    const v = sorted[0]!;
    const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more violation${sorted.length > 2 ? 's' : ''})` : '';
    const found = fail(`${v.text}${more}`, v.at, Number.isFinite(v.seq) ? v.seq : undefined);
    return v.marks?.length ? { ...found, marks: v.marks } : found;
  }
  return exercised ? pass(passText) : notExercised(notText);
}

/**
 * The guard every protocol's checkers share: builds the protocol's per-trace model and
 * runs a check on it; a trace the model cannot read is reported as not exercised (with
 * the reason), never as a crash of the check. `export const guarded = guardedBy(model)`.
 */
export function guardedBy<M>(build: (ctx: CheckContext) => M): (check: (m: M) => Omit<Finding, 'requirement'>) => Checker {
  return (check) => (ctx) => {
    try {
      return check(build(ctx));
    } catch (e) {
      return notExercised(`this trace could not be judged: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

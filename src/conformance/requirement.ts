import type { TraceEvent } from '../sim/trace.js';
import type { ResolvedScenario } from './scenario.js';

/** MUST requirements gate (exit 1); SHOULD requirements report `non-strict` when violated. */
export type Level = 'MUST' | 'SHOULD';

/** A checker's verdict on one run. */
export type RunVerdict = 'pass' | 'fail' | 'not-exercised';

/** A requirement's verdict over all runs of a client; `non-strict` is a violated SHOULD. */
export type Verdict = RunVerdict | 'non-strict';

/** One judgement of one requirement on one trace. */
export interface Finding {
  /** The requirement id (`CHAT-4`). */
  requirement: string;
  /** pass, fail or not-exercised (the run never reached the situation the requirement is about). */
  verdict: RunVerdict;
  /** Virtual time of the violating step (or of the evidence), ms. */
  at?: number;
  /** Trace sequence number of the violating step, for highlighting. */
  seq?: number;
  /** What was seen, in words a client developer can act on. */
  evidence: string;
  /**
   * Times the evidence is about, for reports to draw (a deadline that passed, two requests
   * that overlapped). Optional: a checker that gives none is drawn from `at`/`seq` alone.
   */
  marks?: EvidenceMark[];
}

/**
 * A stretch of virtual time a finding's evidence names. `deadline`: counted from `start`,
 * something was due by `end`; `interval`: something (a request, a socket, a silence)
 * lasted from `start` to `end` (absent: it never ended within the trace).
 */
export interface EvidenceMark {
  /** What kind of stretch it is. */
  kind: 'deadline' | 'interval';
  /** Virtual time it starts, ms. */
  start: number;
  /** Virtual time it ends (the deadline itself, for a deadline), ms; absent: open-ended. */
  end?: number;
  /** Short text drawn beside it (`1.1 × H + T`, `poll c1/http#4`). */
  label: string;
  /** The traced id it belongs to (`c1/http#4`, `c1/ws#2`), when it is one. */
  id?: string;
  /** The client node whose lane it is drawn on (default: the violating step's). */
  node?: string;
}

/** What a checker gets: the finished trace and the scenario that produced it. */
export interface CheckContext {
  /** Every step of the run, in order. */
  readonly events: readonly TraceEvent[];
  /** The scenario that ran. */
  readonly scenario: ResolvedScenario;
  /** Virtual time at which every fault was lifted (the heal phase starts). */
  readonly healAt: number;
  /** Virtual time at which the run ended. */
  readonly endAt: number;
}

/** A pure function from a finished trace to findings about one requirement. */
export type Checker = (ctx: CheckContext) => Omit<Finding, 'requirement'>;

/**
 * A numbered protocol requirement: level, one sentence, the source document section it
 * comes from, and exactly one checker. `safety` checks look at every step; `liveness`
 * checks are judged after the heal phase with a bound in virtual time.
 */
export interface Requirement {
  /** The id (`CHAT-4`): protocol prefix and number. */
  id: string;
  /** MUST (gates) or SHOULD (reported as non-strict). */
  level: Level;
  /** safety: judged at every step; liveness: judged after the heal phase. */
  kind: 'safety' | 'liveness';
  /** One sentence. */
  text: string;
  /** The source document and section, e.g. `chat-backend-sync-optimization.md § Solution`. */
  source: string;
  /** Applies to the server rather than the client. */
  subject?: 'client' | 'server';
  /** The one checker that judges it. */
  check: Checker;
}

/** Builds findings with the requirement filled in. */
export function judge(req: Requirement, ctx: CheckContext): Finding {
  try {
    return { requirement: req.id, ...req.check(ctx) };
  } catch (e) {
    return { requirement: req.id, verdict: 'fail', evidence: `the checker could not read this trace: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Shorthands for checkers. */
export const pass = (evidence: string, at?: number): Omit<Finding, 'requirement'> => ({ verdict: 'pass', evidence, at });
export const fail = (evidence: string, at?: number, seq?: number): Omit<Finding, 'requirement'> => ({ verdict: 'fail', evidence, at, seq });
export const notExercised = (evidence: string): Omit<Finding, 'requirement'> => ({ verdict: 'not-exercised', evidence });

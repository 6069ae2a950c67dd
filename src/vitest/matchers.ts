import { expect } from 'vitest';
import type { ClientCheckResult } from '../conformance/check.js';
import { protocols } from '../conformance/registry.js';
import { judge, type Finding } from '../conformance/requirement.js';
import type { RunResult } from '../conformance/runner.js';
import { parseTrace, Trace, type TraceEvent } from '../sim/trace.js';

/** What the trace matchers accept: a run result, a `Trace`, its events, or trace text (JSON lines). */
export type TraceLike = RunResult | Trace | readonly TraceEvent[] | string;

/** The events of anything trace-like. */
export function traceEvents(received: unknown): readonly TraceEvent[] {
  if (typeof received === 'string') return parseTrace(received);
  if (received instanceof Trace) return received.events();
  if (Array.isArray(received)) return received as TraceEvent[];
  if (received && typeof received === 'object' && (received as RunResult).trace instanceof Trace)
    return (received as RunResult).trace.events();
  throw new TypeError(
    `expected a trace (a RunResult, a Trace, TraceEvent[] or JSON lines), found ${received === null ? 'null' : typeof received}`,
  );
}

/** What the matchers use of vitest's matcher state (`this` inside a matcher). */
export interface LockstepMatcherContext {
  /** Whether the assertion is negated with `.not`. */
  isNot: boolean;
  /** vitest's deep equality, which understands asymmetric matchers. */
  equals(a: unknown, b: unknown): boolean;
}

/** A matcher's outcome, as vitest expects it. */
export interface LockstepMatcherResult {
  /** Whether the assertion holds (before `.not`). */
  pass: boolean;
  /** Explains the outcome when the assertion fails. */
  message: () => string;
}

const line = (e: TraceEvent): string => JSON.stringify(e);
const describeFields = (fields: Record<string, unknown> | undefined) =>
  fields && Object.keys(fields).length ? ` with ${JSON.stringify(fields)}` : '';

function findSteps(
  ctx: LockstepMatcherContext,
  received: unknown,
  ev: string,
  fields: Record<string, unknown> | undefined,
): { all: readonly TraceEvent[]; named: TraceEvent[]; matching: TraceEvent[] } {
  const all = traceEvents(received);
  const named = all.filter((e) => e.ev === ev);
  const matching = named.filter((e) => Object.entries(fields ?? {}).every(([k, v]) => ctx.equals(e[k], v)));
  return { all, named, matching };
}

function absentMessage(ev: string, fields: Record<string, unknown> | undefined, all: readonly TraceEvent[], named: TraceEvent[]): string {
  if (!named.length)
    return `expected the trace to have a "${ev}" step${describeFields(fields)}, but it has none (its steps: ${[...new Set(all.map((e) => e.ev))].join(', ') || 'none'})`;
  return `expected the trace to have a "${ev}" step${describeFields(fields)}; its ${named.length} "${ev}" steps:\n${named.slice(0, 10).map(line).join('\n')}${named.length > 10 ? `\n… and ${named.length - 10} more` : ''}`;
}

function presentMessage(ev: string, fields: Record<string, unknown> | undefined, matching: TraceEvent[]): string {
  return `expected the trace to have no "${ev}" step${describeFields(fields)}, but ${matching.length} match, the first at ${matching[0]!.t} ms:\n${line(matching[0]!)}`;
}

function toHaveStep(this: LockstepMatcherContext, received: unknown, ev: string, fields?: Record<string, unknown>): LockstepMatcherResult {
  const { all, named, matching } = findSteps(this, received, ev, fields);
  return {
    pass: matching.length > 0,
    message: () => (matching.length ? presentMessage(ev, fields, matching) : absentMessage(ev, fields, all, named)),
  };
}

function toHaveNoStep(
  this: LockstepMatcherContext,
  received: unknown,
  ev: string,
  fields?: Record<string, unknown>,
): LockstepMatcherResult {
  const { all, named, matching } = findSteps(this, received, ev, fields);
  return {
    pass: matching.length === 0,
    message: () => (matching.length ? presentMessage(ev, fields, matching) : absentMessage(ev, fields, all, named)),
  };
}

/** A requirement's finding on one run: the recorded one, or judged now from the trace when the scenario did not list it. */
export function findingOf(run: RunResult, id: string): Finding {
  const recorded = run.findings.find((f) => f.requirement === id);
  if (recorded) return recorded;
  const protocol = protocols.get(run.scenario.protocol);
  const req = protocol?.requirements.find((r) => r.id === id);
  if (!req)
    throw new TypeError(
      `unknown requirement ${id} of protocol ${run.scenario.protocol} (expected one of ${protocol?.requirements.map((r) => r.id).join(', ') ?? 'none'})`,
    );
  const events = run.trace.events();
  return judge(req, { events, scenario: run.scenario, healAt: run.healAt, endAt: events.at(-1)?.t ?? 0 });
}

function toSatisfyRequirement(this: LockstepMatcherContext, received: unknown, id: string): LockstepMatcherResult {
  const r = received as Partial<RunResult & ClientCheckResult> | null;
  if (r && Array.isArray(r.requirements)) {
    const q = r.requirements.find((x) => x.id === id);
    if (!q) throw new TypeError(`the check result has no requirement ${id}`);
    const where = q.firstFailure
      ? `\nfirst failure: ${q.firstFailure.run}: ${q.firstFailure.evidence}${q.firstFailure.replay ? `\nreplay: ${q.firstFailure.replay}` : ''}`
      : '';
    return {
      pass: q.verdict === 'pass',
      message: () =>
        `expected ${r.client} ${this.isNot ? 'not ' : ''}to satisfy ${id}; its verdict is ${q.verdict} (${q.passed} passed, ${q.failed} failed, ${q.notExercised} not exercised)${where}`,
    };
  }
  if (!r || !(r.trace instanceof Trace) || !r.scenario)
    throw new TypeError('toSatisfyRequirement expects a RunResult (from runScenario) or a ClientCheckResult (from checkClient)');
  const f = findingOf(r as RunResult, id);
  const at = f.at !== undefined ? ` at ${f.at} ms${f.seq !== undefined ? ` (trace step ${f.seq})` : ''}` : '';
  return {
    pass: f.verdict === 'pass',
    message: () =>
      `expected the run of scenario "${r.scenario!.name}" ${this.isNot ? 'not ' : ''}to satisfy ${id}; it is ${f.verdict}${at}: ${f.evidence}`,
  };
}

/**
 * Matchers for a team's own trace assertions; install them with
 * `expect.extend(lockstepMatchers)` (or {@link installLockstepMatchers}). Their types
 * are {@link LockstepMatchers}, added to vitest's `expect` by module augmentation.
 */
export const lockstepMatchers: {
  /** See {@link LockstepMatchers.toHaveStep}. */
  toHaveStep(this: LockstepMatcherContext, received: unknown, ev: string, fields?: Record<string, unknown>): LockstepMatcherResult;
  /** See {@link LockstepMatchers.toHaveNoStep}. */
  toHaveNoStep(this: LockstepMatcherContext, received: unknown, ev: string, fields?: Record<string, unknown>): LockstepMatcherResult;
  /** See {@link LockstepMatchers.toSatisfyRequirement}. */
  toSatisfyRequirement(this: LockstepMatcherContext, received: unknown, id: string): LockstepMatcherResult;
} = { toHaveStep, toHaveNoStep, toSatisfyRequirement };

/** `expect.extend(lockstepMatchers)`. */
export function installLockstepMatchers(): void {
  expect.extend(lockstepMatchers);
}

/** The matchers' types, added to vitest's `expect` by module augmentation. */
export interface LockstepMatchers<R = unknown> {
  /**
   * The trace has a step `ev` whose fields include `fields` (compared with `equals`, so
   * asymmetric matchers such as `expect.any(Number)` work):
   * `expect(run).toHaveStep('ws.open', { id: 'c1/ws#1' })`.
   */
  toHaveStep(ev: string, fields?: Record<string, unknown>): R;
  /** The trace has no step `ev` whose fields include `fields`: `expect(run).toHaveNoStep('http.request')`. */
  toHaveNoStep(ev: string, fields?: Record<string, unknown>): R;
  /**
   * A run result's finding on the requirement is `pass` (judged from the trace when the
   * scenario did not list it), or a check result's verdict on it is `pass`:
   * `expect(run).toSatisfyRequirement('CHAT-4')`.
   */
  toSatisfyRequirement(id: string): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends LockstepMatchers<T> {}
}

import type { ResolvedScenario } from '../conformance/scenario.js';
import { entryEnd } from '../sim/faults/plan.js';

/** Size limits of the real-socket layer (docs/real-socket-mode.md, "Limits"). */
export interface RealLimits {
  /** Largest HTTP request body accepted, on the API and the control endpoint; larger ones get 413 (default 1 MiB). */
  maxBodyBytes: number;
  /** Largest WebSocket message accepted; a larger one closes the socket with 1009 (default 1 MiB). */
  maxFrameBytes: number;
  /** Deepest nesting of arrays and objects in a control endpoint body; deeper ones get 400 (default 64). */
  maxJsonDepth: number;
}

/** The limits a real-socket server applies unless told otherwise. */
export const defaultLimits: RealLimits = { maxBodyBytes: 1 << 20, maxFrameBytes: 1 << 20, maxJsonDepth: 64 };

/**
 * The longest delay a Node timer holds (2³¹−1 ms, about 24.8 days). A longer one fires
 * after 1 ms instead, so a real-socket run whose schedule reaches past it is refused at
 * the start rather than ended at once.
 */
export const maxTimerMs = 2 ** 31 - 1;

/** {@link maxTimerMs} as a flag limit of the CLI (`--duration`, `--heal`). */
export const timerLimit = { value: maxTimerMs, why: "Node's timers hold at most 2³¹−1 ms, about 24.8 days" } as const;

/**
 * Times of a real-socket run that its wall-clock timers cannot reach: `duration + heal`
 * when the run is `timed`, fault times otherwise (in a timed run a fault past the end
 * never starts, whatever its time). One line per problem, naming the field and the limit.
 */
export function realScheduleProblems(scenario: ResolvedScenario, timed: boolean, source: string): string[] {
  const out: string[] = [];
  const limit = `at most ${maxTimerMs} ms (${timerLimit.why})`;
  if (timed) {
    const end = scenario.duration + scenario.heal;
    if (end > maxTimerMs)
      out.push(`${source}: duration + heal must be ${limit} in real-socket mode; found ${scenario.duration} + ${scenario.heal} = ${end}`);
    return out;
  }
  scenario.faults.forEach((e, i) => {
    const end = entryEnd(e);
    const last = end === Infinity ? e.at : end;
    if (last > maxTimerMs)
      out.push(`${source}: fault entry ${i} (${e.kind}): ${end === Infinity ? 'at' : 'at + duration'} must be ${limit}; found ${last}`);
  });
  return out;
}

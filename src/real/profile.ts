import { tolerance } from '../conformance/trace-query.js';
import type { ResolvedScenario } from '../conformance/scenario.js';
import { entryEnd, type FaultEntry } from '../sim/faults/plan.js';

/**
 * The longest time a protocol's requirements give the client after the heal, from its spec
 * (docs/protocols/<protocol>.md), without `T`: every liveness deadline that starts at the
 * heal (or at a fault's end) ends within it. Chat: CHAT-10/CHAT-12's
 * B = max(65 s, 32 s + 10 s + H + T) = 65 s (every other chat deadline is shorter: CHAT-16
 * 1.1 × 32 s, CHAT-9 1.1 × H, CHAT-18 1.1 × 10 s). Meal-log: MEAL-4's B = 120 s. Event-sync
 * and live-support state no such bound: their shipped heals stand.
 */
export const afterHealBound: Readonly<Record<string, number>> = {
  chat: 65_000,
  'meal-log': 120_000,
};

/** Time after a scenario's last event (action, fault start or end) before the heal: the last event's immediate effects land before it. */
export const settleMs = 1000;

/** Names of the profiles `--profile` takes. */
export const profiles = ['shipped', 'real-time'] as const;

/** A profile name. */
export type ProfileName = (typeof profiles)[number];

/**
 * A scenario under the real-time profile (docs/real-socket-mode.md, "The real-time
 * profile"): the same faults and actions at the same times, with
 *
 * - `duration` = the last event (action, fault start, fault end) + {@link settleMs}, at most
 *   the shipped duration — after the last event nothing changes until the heal, and the heal
 *   phase observes the same unhindered network; kept as shipped when a fault lasts until the
 *   heal (its length is part of the scenario);
 * - `heal` = the protocol's {@link afterHealBound} + `T`, rounded up to a second, at most the
 *   shipped heal — long enough for every deadline that starts at or before the heal to be
 *   judged, so a lost message still fails CHAT-10/CHAT-12.
 */
export function realTimeScenario(sc: ResolvedScenario): ResolvedScenario {
  const ends = sc.faults.map((e) => effectEnd(e, sc.faults));
  let duration = sc.duration;
  if (!ends.some((e) => e === Infinity)) {
    const last = Math.max(0, ...sc.actions.map((a) => a.at), ...sc.faults.map((f) => f.at), ...ends);
    duration = Math.min(sc.duration, last + settleMs);
  }
  const bound = afterHealBound[sc.protocol];
  const heal = bound === undefined ? sc.heal : Math.min(sc.heal, Math.ceil((bound + tolerance(sc)) / 1000) * 1000);
  return { ...sc, duration, heal };
}

/**
 * When a fault's effect ends: a windowed fault at its end (never, without a duration: it
 * lasts until the heal), a restart when the server is back, a reset or a half-open
 * connection at once (what follows is the client's doing), a hold at its release.
 */
function effectEnd(e: FaultEntry, plan: readonly FaultEntry[]): number {
  switch (e.kind) {
    case 'server-restart':
      return e.at + (e.downtime ?? 1000);
    case 'ws-reset':
    case 'ws-half-open':
    case 'release':
      return e.at;
    case 'hold': {
      if (e.duration !== undefined) return e.at + e.duration;
      const release = plan.find((r) => r.kind === 'release' && r.name === e.name && r.at >= e.at);
      return release ? release.at : Infinity;
    }
    default:
      return entryEnd(e);
  }
}

/** The scenario under the named profile. */
export function applyProfile(sc: ResolvedScenario, profile: ProfileName): ResolvedScenario {
  return profile === 'real-time' ? realTimeScenario(sc) : sc;
}

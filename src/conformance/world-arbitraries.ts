import type * as fc from 'fast-check';
import type { FaultEntry } from '../sim/faults/plan.js';
import { zoneOffset } from '../sim/time-zone.js';
import type { ClockConfig } from '../sim/world-clock.js';

/** How property runs draw the world a client lives in: the start instant, its clock, its storage. */
export interface WorldConditionOptions {
  /** Virtual ms of the fault phase: the drawn midnight or DST change falls inside it. */
  duration: number;
  /** The longest window of a `storage-failure` entry. */
  maxWindow: number;
  /** The scenario's client nodes: skews are drawn for all, and for a second node apart. */
  clients: readonly string[];
  /** Draws the client node a storage failure is aimed at (omit for "every client"). */
  node?: fc.Arbitrary<string | undefined>;
  /** Zones to draw from (default Europe/Berlin, America/New_York, Australia/Sydney, Asia/Kolkata, UTC). */
  zones?: readonly string[];
  /** The year the instants lie in (default 2025). */
  year?: number;
  /** The largest skew either way, ms (default 10 minutes). */
  maxSkew?: number;
}

/** A scenario's `start` and `clock`, as drawn. Absent fields keep the defaults. */
export interface WorldConditions {
  /** The start instant (ISO-8601, UTC). */
  start?: string;
  /** The devices' clocks. */
  clock?: ClockConfig;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const transitionsCache = new Map<string, number[]>();

/** The instants in `year` at which `zone`'s UTC offset changes (DST starts and ends), to the second. */
export function offsetTransitions(zone: string, year: number): number[] {
  const key = `${zone}@${year}`;
  const cached = transitionsCache.get(key);
  if (cached) return cached;
  const out: number[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  let t = Date.UTC(year, 0, 1);
  let off = zoneOffset(zone, t);
  for (; t < end; t += HOUR) {
    const next = zoneOffset(zone, t + HOUR);
    if (next === off) continue;
    let lo = t;
    let hi = t + HOUR;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (zoneOffset(zone, mid) === off) lo = mid;
      else hi = mid;
    }
    out.push(hi);
    off = next;
  }
  transitionsCache.set(key, out);
  return out;
}

/**
 * Arbitraries for the world conditions of issue #14: `conditions` draws a start instant —
 * the default, any instant of the year, a few seconds to minutes before midnight UTC, or
 * just before a DST change of a drawn zone (the clients then live in that zone) — and
 * device clocks skewed by up to ±`maxSkew` (one value for every client, another for the
 * second client); `faults` are the `storage-failure` entries (`quota`, `lose-on-restart`).
 * Like `networkFaultArbitraries`, the order is fixed so that the same seed draws the
 * same worlds.
 */
export function worldConditionArbitraries(
  f: typeof fc,
  o: WorldConditionOptions,
): { conditions: fc.Arbitrary<WorldConditions>; faults: fc.Arbitrary<FaultEntry>[] } {
  const year = o.year ?? 2025;
  const zones = o.zones ?? ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'];
  const maxSkew = o.maxSkew ?? 10 * 60_000;
  const yearStart = Date.UTC(year, 0, 1);
  const daysInYear = (Date.UTC(year + 1, 0, 1) - yearStart) / DAY;
  // The drawn moment falls inside the fault phase: lead time before it, in whole seconds.
  const lead = f.integer({ min: 1, max: Math.max(1, Math.floor(o.duration / 1000) - 1) }).map((s) => s * 1000);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const dstZones = zones.filter((z) => offsetTransitions(z, year).length > 0);

  const beforeMidnight = f
    .record({ day: f.integer({ min: 1, max: daysInYear }), lead })
    .map(({ day, lead: l }) => ({ start: iso(yearStart + day * DAY - l) }) as WorldConditions);
  const anyInstant = f
    .integer({ min: 0, max: daysInYear * 86_400 - 1 })
    .map((s) => ({ start: iso(yearStart + s * 1000) }) as WorldConditions);
  const aroundDst = dstZones.length
    ? f.record({ zone: f.constantFrom(...dstZones), which: f.nat(), lead }).map(({ zone, which, lead: l }) => {
        const ts = offsetTransitions(zone, year);
        return { start: iso(ts[which % ts.length]! - l), clock: { timeZone: zone } } as WorldConditions;
      })
    : anyInstant;
  const zoneOnly = f.constantFrom(...zones).map((z) => ({ clock: { timeZone: z } }) as WorldConditions);
  const start = f.oneof(f.constant({} as WorldConditions), anyInstant, beforeMidnight, aroundDst, zoneOnly);

  const skew = f.option(f.integer({ min: -maxSkew, max: maxSkew }), { nil: undefined });
  const second = o.clients[1];
  const conditions = f.record({ start, skew, skew2: second ? skew : f.constant(undefined) }).map(({ start: w, skew: s, skew2 }) => {
    const clock: ClockConfig = { ...w.clock };
    if (s !== undefined) clock.skew = s;
    if (second && skew2 !== undefined) clock.nodes = { [second]: { skew: skew2 } };
    const out: WorldConditions = {};
    if (w.start !== undefined) out.start = w.start;
    if (Object.keys(clock).length) out.clock = clock;
    return out;
  });

  const at = f.integer({ min: 0, max: Math.max(0, o.duration - 2000) });
  const duration = f.integer({ min: 1000, max: o.maxWindow });
  const faults = [
    f.record({
      kind: f.constant('storage-failure' as const),
      at,
      duration,
      ...(o.node ? { node: o.node } : {}),
      mode: f.constantFrom('quota' as const, 'lose-on-restart' as const),
    }),
  ] as fc.Arbitrary<FaultEntry>[];
  return { conditions, faults };
}

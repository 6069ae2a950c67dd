import type * as fc from 'fast-check';
import type { FaultEntry } from '../../sim/faults/plan.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';

const DURATION = 60_000;

/**
 * How property runs draw event-sync scenarios: a user syncing now and then (sometimes
 * tapping twice), app restarts, faults across every kind. The server's world (log size,
 * equal timestamps, invalid events, batch size, writes, injected stream failures) is
 * drawn from the run's seed: property runs build the server without options, which
 * makes the reference server draw it (docs/protocols/event-sync.md, "The drawn world").
 */
export const eventSyncPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: 60_000,
  clients: ['c1'],
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  actions: (f: typeof fc) =>
    f
      .array(
        f.record({
          at: f.integer({ min: 1000, max: DURATION - 1000 }),
          what: f.constantFrom('sync', 'sync', 'sync', 'double-sync', 'restart'),
          gap: f.integer({ min: 10, max: 1500 }),
        }),
        { maxLength: 6 },
      )
      .map((raw) => {
        const actions: ScenarioAction[] = [{ at: 0, do: 'sync', args: {} }];
        for (const r of raw.sort((a, b) => a.at - b.at)) {
          if (r.what === 'sync') actions.push({ at: r.at, do: 'sync', args: {} });
          else if (r.what === 'double-sync') {
            actions.push({ at: r.at, do: 'sync', args: {} });
            actions.push({ at: r.at + r.gap, do: 'sync', args: {} });
          } else {
            actions.push({ at: r.at, do: 'restart', args: {} });
            actions.push({ at: r.at + 1, do: 'sync', args: {} });
          }
        }
        return actions;
      }),
  faults: (f: typeof fc) => {
    const at = f.integer({ min: 0, max: DURATION - 2000 });
    const dur = f.integer({ min: 1000, max: 30_000 });
    const entry: fc.Arbitrary<FaultEntry> = f.oneof(
      f.record({
        kind: f.constant('partition' as const),
        at,
        duration: dur,
        direction: f.constantFrom('both' as const, 'to-server' as const, 'to-client' as const),
      }),
      f.record({ kind: f.constant('drop' as const), at, duration: dur, rate: f.constantFrom(0.3, 0.6, 1) }),
      f.record({ kind: f.constant('delay-spike' as const), at, duration: dur, extra: f.integer({ min: 100, max: 3000 }) }),
      f.record({ kind: f.constant('duplicate' as const), at, duration: dur, rate: f.constantFrom(0.5, 1) }),
      f.record({ kind: f.constant('ws-refuse' as const), at, duration: dur, status: f.constantFrom(503, 500) }),
      f.record({ kind: f.constant('ws-half-open' as const), at }),
      f.record({ kind: f.constant('ws-reset' as const), at }),
      f.record({ kind: f.constant('http-status' as const), at, duration: dur, status: f.constantFrom(500, 503, 401) }),
      f.record({
        kind: f.constant('http-timeout' as const),
        at,
        duration: dur,
        phase: f.constantFrom('request' as const, 'response' as const),
      }),
      f.record({
        kind: f.constant('server-restart' as const),
        at,
        downtime: f.integer({ min: 0, max: 5000 }),
        state: f.constantFrom('keep' as const, 'lose' as const),
        closeCode: f.constantFrom(1006 as const, 1012 as const),
      }),
      f.record({
        kind: f.constant('client-offline' as const),
        at,
        duration: dur,
        sockets: f.constantFrom('close' as const, 'stall' as const),
      }),
      f.record({
        kind: f.constant('app-background' as const),
        at,
        duration: dur,
        timers: f.constantFrom('suspend' as const, 'throttle' as const),
      }),
    );
    return f.array(entry, { maxLength: 4 }).map((list) =>
      list.map((e) => {
        const d = (e as { duration?: number }).duration;
        return d !== undefined && e.at + d > DURATION ? { ...e, duration: DURATION - e.at } : e;
      }),
    );
  },
};

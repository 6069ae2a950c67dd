import type * as fc from 'fast-check';
import { faultPlanArbitrary, networkFaultArbitraries } from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';

const DURATION = 60_000;

/**
 * How property runs draw event-sync scenarios: a user syncing now and then (sometimes
 * tapping twice), app restarts, faults across every kind. The server's world (log size,
 * equal timestamps, invalid events, batch size, writes, injected stream failures, REST
 * pages cut short) is drawn from the run's seed: property runs build the server without
 * options — a property model cannot pass any yet — which makes the reference server draw
 * it (docs/protocols/event-sync.md, "The drawn world").
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
    const shared = networkFaultArbitraries(f, {
      duration: DURATION,
      maxWindow: 30_000,
      httpStatuses: [500, 503, 401],
      restartStates: ['keep', 'lose'],
    });
    return faultPlanArbitrary(f, [...shared], DURATION);
  },
};

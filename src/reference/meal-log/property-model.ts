import type * as fc from 'fast-check';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';
import type { FaultEntry } from '../../sim/faults/plan.js';

const DURATION = 90_000;

/**
 * How property runs draw meal-log scenarios: the app launches (into NutritionView or into
 * AddMealView), the user submits meals — each submission dismisses AddMealView and
 * NutritionView appears 300 ms later, as in the document's timeline — and the app may be
 * killed and relaunched; faults across every kind. The server is the one being checked
 * against, with its default options (processing ≈ 26 s).
 */
export const mealLogPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: 150_000,
  clients: ['c1'],
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  actions: (f: typeof fc) =>
    f
      .record({
        viewAtLaunch: f.boolean(),
        steps: f.array(
          f.record({
            at: f.integer({ min: 200, max: DURATION - 1000 }),
            what: f.constantFrom('submit', 'submit', 'submit', 'open-view', 'restart'),
            viewFirst: f.boolean(),
          }),
          { maxLength: 6 },
        ),
      })
      .map(({ viewAtLaunch, steps }) => {
        const actions: ScenarioAction[] = viewAtLaunch ? [{ at: 0, do: 'openNutritionView', args: {} }] : [];
        steps
          .sort((a, b) => a.at - b.at)
          .forEach((s, i) => {
            if (s.what === 'submit') {
              actions.push({ at: s.at, do: 'submitMeal', args: { text: `meal ${i + 1}` } });
              actions.push({ at: s.at + 300, do: 'openNutritionView', args: {} });
            } else if (s.what === 'open-view') actions.push({ at: s.at, do: 'openNutritionView', args: {} });
            else {
              actions.push({ at: s.at, do: 'restart', args: {} });
              if (s.viewFirst) actions.push({ at: s.at + 1, do: 'openNutritionView', args: {} });
            }
          });
        return actions.sort((a, b) => a.at - b.at);
      }),
  faults: (f: typeof fc) => {
    const at = f.integer({ min: 0, max: DURATION - 2000 });
    const dur = f.integer({ min: 1000, max: 45_000 });
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
      f.record({ kind: f.constant('http-status' as const), at, duration: dur, status: f.constantFrom(500, 503) }),
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
        state: f.constantFrom('keep' as const),
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
      f.record({
        kind: f.constant('hold' as const),
        at: f.oneof(f.constant(0), at),
        name: f.constant('held'),
        match: f.record({
          envelope: f.constant('ws.frame' as const),
          direction: f.constant('to-client' as const),
          type: f.constantFrom('connected', 'pong', 'meal_log_completed'),
        }),
        duration: dur,
      }),
    );
    return f.array(entry, { maxLength: 4 }).map((list) =>
      list.map((e, i) => {
        const named = e.kind === 'hold' ? { ...e, name: `held-${i + 1}` } : e;
        const d = (named as { duration?: number }).duration;
        return d !== undefined && named.at + d > DURATION ? { ...named, duration: DURATION - named.at } : named;
      }),
    );
  },
};

import type * as fc from 'fast-check';
import { faultPlanArbitrary, networkFaultArbitraries } from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';

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
    const shared = networkFaultArbitraries(f, { duration: DURATION, maxWindow: 45_000, httpStatuses: [500, 503], restartStates: ['keep'] });
    return faultPlanArbitrary(
      f,
      [
        ...shared,
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
        // A socket refused for most of the run: long polling runs, so that the polling rules (adaptation, rate, stopping) are exercised often.
        f.record({
          kind: f.constant('ws-refuse' as const),
          at: f.integer({ min: 0, max: 20_000 }),
          duration: f.integer({ min: 40_000, max: DURATION }),
          status: f.constant(503),
        }),
      ],
      DURATION,
    );
  },
};

import type * as fc from 'fast-check';
import { faultPlanArbitrary, networkFaultArbitraries } from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';

const DURATION = 120_000;

/** How property runs draw chat scenarios: a user opening, switching, sending, restarting; faults across every kind. */
export const chatPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: 90_000,
  clients: ['c1'],
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  actions: (f: typeof fc) =>
    f
      .array(
        f.record({
          at: f.integer({ min: 500, max: DURATION - 1000 }),
          what: f.constantFrom('send', 'send', 'send', 'switch', 'close-open', 'restart'),
          to: f.constantFrom('A', 'B'),
        }),
        { maxLength: 8 },
      )
      .map((raw) => {
        const actions: ScenarioAction[] = [{ at: 0, do: 'openConversation', args: { conversation: 'A' } }];
        raw
          .sort((a, b) => a.at - b.at)
          .forEach((r, i) => {
            if (r.what === 'send') actions.push({ at: r.at, do: 'send', args: { text: `message ${i + 1}` } });
            else if (r.what === 'switch') actions.push({ at: r.at, do: 'openConversation', args: { conversation: r.to } });
            else if (r.what === 'close-open') {
              actions.push({ at: r.at, do: 'closeConversation', args: {} });
              actions.push({ at: r.at + 500, do: 'openConversation', args: { conversation: r.to } });
            } else {
              actions.push({ at: r.at, do: 'restart', args: {} });
              actions.push({ at: r.at + 1, do: 'openConversation', args: { conversation: r.to } });
            }
          });
        return actions;
      }),
  faults: (f: typeof fc) => {
    const at = f.integer({ min: 0, max: DURATION - 2000 });
    const shared = networkFaultArbitraries(f, {
      duration: DURATION,
      maxWindow: 45_000,
      httpStatuses: [500, 503, 401],
      restartStates: ['keep'],
    });
    return faultPlanArbitrary(
      f,
      [
        ...shared,
        // A slow answer: one response held for a few seconds while later traffic overtakes it.
        f.record({
          kind: f.constant('hold' as const),
          at,
          name: f.constant('slow'),
          match: f.constantFrom({ envelope: 'http.response' as const }, { envelope: 'http.response' as const, nth: 2 }),
          duration: f.integer({ min: 500, max: 4500 }),
        }),
        // The OS closes a backgrounded app's socket: the return to the foreground must bring it back (CHAT-16).
        f.record({
          kind: f.constant('app-background' as const),
          at,
          duration: f.integer({ min: 5000, max: 45_000 }),
          timers: f.constantFrom('suspend' as const, 'throttle' as const),
          closeSocketsAfter: f.integer({ min: 1000, max: 4000 }),
        }),
      ],
      DURATION,
    );
  },
};

import type * as fc from 'fast-check';
import type { FaultEntry } from '../../sim/faults/plan.js';
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
      // A slow answer: one response held for a few seconds while later traffic overtakes it.
      f.record({
        kind: f.constant('hold' as const),
        at,
        name: f.constant('slow'),
        match: f.constantFrom({ envelope: 'http.response' as const }, { envelope: 'http.response' as const, nth: 2 }),
        duration: f.integer({ min: 500, max: 4500 }),
      }),
    );
    return f.array(entry, { maxLength: 4 }).map((list) =>
      list.map((e, i) => {
        const d = (e as { duration?: number }).duration;
        const fitted = d !== undefined && e.at + d > DURATION ? { ...e, duration: DURATION - e.at } : e;
        // Hold names must be unique within a plan.
        return fitted.kind === 'hold' ? { ...fitted, name: `slow-${i}` } : fitted;
      }),
    );
  },
};

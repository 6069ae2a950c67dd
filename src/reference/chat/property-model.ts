import type * as fc from 'fast-check';
import { networkFaultArbitraries, realWorldFaultArbitraries, worldConditionArbitraries } from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';
import type { FaultEntry } from '../../sim/faults/plan.js';

const DURATION = 120_000;

/**
 * Moments both the user's actions and the faults gather around (besides times drawn
 * uniformly), so that a fault often lands right after an open, during the first load or
 * poll, or while a send is in flight — the phases where clients go wrong — and not only
 * somewhere in a quiet stretch. 0 is the first open.
 */
const anchors = [0, 20_000, 40_000, 60_000, 80_000, 100_000] as const;

/**
 * Texts a user may send besides unique ones (`message <n>`): repeats (the same text twice
 * is two messages), texts JSON must escape, non-ASCII and right-to-left scripts, emoji
 * beyond the BMP, markup, surrounding blanks, a frame-like text and a long one.
 */
const texts = [
  'ok',
  'ok',
  'Thanks!',
  'same again',
  'line one\nline two',
  'tab\tand "double quotes" and \\backslash\\',
  'ünïcödé — “curly” ✓',
  '😀 emoji 👍🏽 family 👨‍👩‍👧',
  '中文消息 and مرحبا',
  '<b>markup</b> & &amp; </script>',
  '  leading and trailing blanks  ',
  '{"type":"message","message":{}}',
  'long '.repeat(200),
] as const;

/** Conversation ids: plain ones, and one the URL path must encode (a blank, non-ASCII). */
const conversations = ['A', 'B', 'Dr. Müller 2'] as const;

type Window = { at: number; duration: number };

/**
 * How property runs draw chat scenarios: a user opening, switching, closing, sending
 * (repeated and unusual texts, bursts), restarting; faults of every kind at uniform times
 * and at the protocol's phases, plus composite outages (a socket lost while upgrades are
 * refused: the polling fallback runs for seconds to a minute), 401s at a request, silent
 * sockets and returns from offline or background. The server draws its own world from the
 * run's seed (`drawChatConfig`). docs/protocols/chat.md, "What property runs draw".
 */
export const chatPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: 90_000,
  clients: ['c1'],
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  // Any start instant (before midnight UTC, before a DST change) and a skewed device clock:
  // chat's only wall-clock use is the optimistic entry's timestamp, which no rule orders.
  world: (f: typeof fc) => worldConditionArbitraries(f, { duration: DURATION, maxWindow: 45_000, clients: ['c1'] }).conditions,
  actions: (f: typeof fc) => {
    const at = f.oneof(
      f.integer({ min: 500, max: DURATION - 1000 }),
      f.tuple(f.constantFrom(...anchors), f.integer({ min: 200, max: 2500 })).map(([a, d]) => a + d),
    );
    // Sends and session changes are drawn apart, so that sessions last long enough for the
    // slow rules (a return online is judged for 35 s, a poll for 11 s) while most runs still
    // switch or close at least once.
    const step = (what: fc.Arbitrary<string>) =>
      f.record({
        at,
        what,
        to: f.constantFrom(...conversations),
        text: f.option(f.constantFrom(...texts), { freq: 2 }),
        gap: f.integer({ min: 1, max: 6000 }),
      });
    return f
      .tuple(
        // Few runs without a send (shrinking still reaches none: the empty list comes first).
        f.oneof(
          { withCrossShrink: true },
          { arbitrary: f.constant([]), weight: 1 },
          { arbitrary: f.array(step(f.constantFrom('send', 'send', 'send', 'burst')), { minLength: 1, maxLength: 5 }), weight: 12 },
        ),
        f.array(step(f.constantFrom('switch', 'close-open', 'reopen', 'restart')), { maxLength: 3 }),
      )
      .map(([sends, changes]) => [...sends, ...changes])
      .map((raw) => {
        const actions: ScenarioAction[] = [{ at: 0, do: 'openConversation', args: { conversation: 'A' } }];
        let open = 'A';
        raw
          .sort((a, b) => a.at - b.at)
          .forEach((r, i) => {
            const text = r.text ?? `message ${i + 1}`;
            if (r.what === 'send') actions.push({ at: r.at, do: 'send', args: { text } });
            else if (r.what === 'burst') {
              // A second send while the first one's POST is still in flight.
              actions.push({ at: r.at, do: 'send', args: { text } });
              actions.push({ at: r.at + (r.gap % 400), do: 'send', args: { text: r.text ?? `message ${i + 1}b` } });
            } else if (r.what === 'switch') {
              actions.push({ at: r.at, do: 'openConversation', args: { conversation: r.to } });
              open = r.to;
            } else if (r.what === 'reopen') actions.push({ at: r.at, do: 'openConversation', args: { conversation: open } });
            else if (r.what === 'close-open') {
              actions.push({ at: r.at, do: 'closeConversation', args: {} });
              actions.push({ at: r.at + 200 + r.gap, do: 'openConversation', args: { conversation: r.to } });
              open = r.to;
            } else {
              actions.push({ at: r.at, do: 'restart', args: {} });
              actions.push({ at: r.at + (r.gap % 1500), do: 'openConversation', args: { conversation: r.to } });
              open = r.to;
            }
          });
        // Actions of one instant run in plan order; keep the list in time order.
        return actions
          .map((a, i) => ({ a, i }))
          .sort((x, y) => x.a.at - y.a.at || x.i - y.i)
          .map((x) => x.a);
      });
  },
  faults: (f: typeof fc) => {
    // When a fault starts: anywhere, right after the first open (handshake, first load),
    // or around an anchor the actions gather at too.
    const phaseAt = f.oneof(
      f.integer({ min: 0, max: DURATION - 2000 }),
      f.integer({ min: 0, max: 2500 }),
      f.tuple(f.constantFrom(...anchors), f.integer({ min: -300, max: 3000 })).map(([a, d]) => Math.max(0, a + d)),
    );
    const retimed = (arb: fc.Arbitrary<FaultEntry>): fc.Arbitrary<FaultEntry[]> =>
      f.tuple(arb, f.option(phaseAt, { freq: 2 })).map(([e, t]) => [t === null ? e : ({ ...e, at: t } as FaultEntry)]);
    const shared = networkFaultArbitraries(f, {
      duration: DURATION,
      maxWindow: 45_000,
      httpStatuses: [500, 503, 401],
      restartStates: ['keep', 'lose'],
    }).map(retimed);
    // The real-world failures of issue #14, each at a uniform time or at a phase: idle
    // timeouts, server closes with every code, flapping, resets, captive portals and cut
    // bodies, Retry-After, size limits, slow consumers; a full or wiped storage; an expired token.
    const realWorld = realWorldFaultArbitraries(f, { duration: DURATION, maxWindow: 45_000 }).map(retimed);
    const storage = worldConditionArbitraries(f, { duration: DURATION, maxWindow: 45_000, clients: ['c1'] }).faults.map(retimed);
    const tokenExpiry = retimed(
      f.record({ kind: f.constant('token-expiry' as const), at: f.integer({ min: 2000, max: DURATION - 2000 }) }) as fc.Arbitrary<FaultEntry>,
    );
    const window = (min: number, max: number): fc.Arbitrary<Window> => f.record({ at: phaseAt, duration: f.integer({ min, max }) });
    const groups: fc.Arbitrary<FaultEntry[]>[] = [
      // A slow answer: one response held for a few seconds while later traffic overtakes it.
      retimed(
        f.record({
          kind: f.constant('hold' as const),
          at: f.integer({ min: 0, max: DURATION - 2000 }),
          name: f.constant('slow'),
          match: f.constantFrom({ envelope: 'http.response' as const }, { envelope: 'http.response' as const, nth: 2 }),
          duration: f.integer({ min: 500, max: 4500 }),
        }) as fc.Arbitrary<FaultEntry>,
      ),
      // The OS closes a backgrounded app's socket: the return to the foreground must bring it back (CHAT-16).
      retimed(
        f.record({
          kind: f.constant('app-background' as const),
          at: f.integer({ min: 0, max: DURATION - 2000 }),
          duration: f.integer({ min: 5000, max: 45_000 }),
          timers: f.constantFrom('suspend' as const, 'throttle' as const),
          closeSocketsAfter: f.integer({ min: 1000, max: 4000 }),
        }) as fc.Arbitrary<FaultEntry>,
      ),
      // An outage: the socket is lost (reset, or silent) while upgrades are refused, so the
      // polling fallback runs for the whole window; some of its polls fail.
      f
        .record({
          w: window(4000, 60_000),
          lose: f.option(f.constantFrom('ws-reset' as const, 'ws-reset' as const, 'ws-half-open' as const), { freq: 12 }),
          status: f.constantFrom(503, 500),
          // Options shrink to nothing, so a counterexample keeps only the entries it needs.
          refuse: f.option(f.constant(true), { freq: 12 }),
          failing: f.option(f.record({ after: f.integer({ min: 0, max: 20_000 }), count: f.integer({ min: 1, max: 3 }) }), { freq: 3 }),
        })
        .map(
          ({ w, lose, status, refuse, failing }) =>
            [
              ...(lose ? [{ kind: lose, at: w.at }] : []),
              ...(refuse ? [{ kind: 'ws-refuse', at: w.at, duration: w.duration, status }] : []),
              ...(failing
                ? [{ kind: 'http-status', at: w.at + failing.after, duration: 30_000, status, method: 'GET', count: failing.count }]
                : []),
            ] as FaultEntry[],
        ),
      // A 401 for the next request in a window (a token that expired and was renewed): mostly
      // right after the socket was lost, so that a poll meets it; else a send or a load does.
      f
        .record({
          w: window(2000, 60_000),
          method: f.constantFrom(undefined, undefined, 'GET', 'POST'),
          lose: f.constantFrom(false, true, true, true), // shrinks to the 401 alone
        })
        .map(
          ({ w, method, lose }) =>
            [
              ...(lose ? [{ kind: 'ws-reset', at: w.at }] : []),
              { kind: 'http-status', at: w.at, duration: w.duration, status: 401, count: 1, ...(method ? { method } : {}) },
            ] as FaultEntry[],
        ),
      // A socket that goes silent: half-open, or its pongs held (the heartbeat must notice, CHAT-9).
      f
        .record({ at: phaseAt, hold: f.option(f.integer({ min: 6000, max: 40_000 })) })
        .map(({ at, hold }) => [
          hold === null
            ? ({ kind: 'ws-half-open', at } as FaultEntry)
            : ({ kind: 'hold', at, name: 'pong', match: { envelope: 'ws.frame', type: 'pong' }, duration: hold } as FaultEntry),
        ]),
      // The device goes offline, or the app to the background while the OS closes its socket,
      // and comes back with no socket (CHAT-16). Most returns come late in the fault
      // phase (two in three), so that the session usually outlives the 35 s CHAT-16 judges after a return.
      f
        .record({
          w: f.oneof(
            { arbitrary: window(2000, 40_000), weight: 1 },
            {
              arbitrary: f
                .record({ end: f.integer({ min: 84_000, max: DURATION - 1000 }), duration: f.integer({ min: 2000, max: 40_000 }) })
                .map(({ end, duration }) => ({ at: end - duration, duration })),
              weight: 2,
            },
          ),
          background: f.option(f.integer({ min: 500, max: 4000 }), { freq: 2 }),
        })
        .map(({ w, background }) => [
          (background === null
            ? { kind: 'client-offline', at: w.at, duration: w.duration, sockets: 'close' }
            : { kind: 'app-background', at: w.at, duration: w.duration, timers: 'suspend', closeSocketsAfter: background }) as FaultEntry,
        ]),
    ];
    // Flapping while the socket would otherwise recover: a backend that accepts and drops
    // again and again (0–5 s after each open) for 10–60 s — the backoff must not restart (CHAT-8).
    const flapping = f
      .record({ w: window(10_000, 60_000), after: f.integer({ min: 0, max: 5000 }), lose: f.option(f.constant(true), { freq: 2 }) })
      .map(
        ({ w, after, lose }) =>
          [...(lose ? [{ kind: 'ws-reset', at: w.at }] : []), { kind: 'flapping', at: w.at, duration: w.duration, after }] as FaultEntry[],
      );
    // Whether a composite outage loses the socket and refuses upgrades: nearly always, but
    // each as an option, so that a counterexample drops either entry when it needs neither.
    const socketDown = f.record({ reset: f.option(f.constant(true), { freq: 12 }), refuse: f.option(f.constant(true), { freq: 12 }) });
    // The socket lost while the edge sheds load on the polls: 429/503 with Retry-After (CHAT-20).
    const retryAfter = f
      .record({
        w: window(5000, 45_000),
        status: f.constantFrom(429 as const, 503 as const),
        seconds: f.oneof(f.integer({ min: 1, max: 10 }), f.integer({ min: 11, max: 120 })),
        count: f.option(f.integer({ min: 1, max: 3 }), { nil: undefined }),
        down: socketDown,
      })
      .map(
        ({ w, status, seconds, count, down }) =>
          [
            ...(down.reset ? [{ kind: 'ws-reset', at: w.at }] : []),
            ...(down.refuse ? [{ kind: 'ws-refuse', at: w.at, duration: w.duration, status: 503 }] : []),
            { kind: 'retry-after', at: w.at, duration: w.duration, status, seconds, method: 'GET', ...(count ? { count } : {}) },
          ] as FaultEntry[],
      );
    // A captive portal while the socket is down: polls answered 200 with HTML (CHAT-18).
    const portal = f
      .record({ w: window(5000, 45_000), body: f.constantFrom('html' as const, 'truncated' as const), down: socketDown })
      .map(
        ({ w, body, down }) =>
          [
            ...(down.reset ? [{ kind: 'ws-reset', at: w.at }] : []),
            ...(down.refuse ? [{ kind: 'ws-refuse', at: w.at, duration: w.duration, status: 511 }] : []),
            { kind: 'bad-body', at: w.at, duration: w.duration, body, method: 'GET' },
          ] as FaultEntry[],
      );
    const weighted = [
      ...shared.map((arbitrary) => ({ arbitrary, weight: 1 })),
      ...realWorld.map((arbitrary) => ({ arbitrary, weight: 1 })),
      ...storage.map((arbitrary) => ({ arbitrary, weight: 1 })),
      { arbitrary: tokenExpiry, weight: 1 },
      { arbitrary: flapping, weight: 4 },
      { arbitrary: retryAfter, weight: 3 },
      { arbitrary: portal, weight: 3 },
      { arbitrary: groups[0]!, weight: 2 },
      { arbitrary: groups[1]!, weight: 2 },
      { arbitrary: groups[2]!, weight: 10 },
      { arbitrary: groups[3]!, weight: 15 },
      { arbitrary: groups[4]!, weight: 12 },
      { arbitrary: groups[5]!, weight: 20 },
    ];
    // Few runs without a fault (shrinking still reaches none: the empty plan comes first).
    const picks = f
      .oneof(
        { withCrossShrink: true },
        { arbitrary: f.constant([]), weight: 1 },
        { arbitrary: f.array(f.oneof(...weighted), { minLength: 1, maxLength: 4 }), weight: 12 },
      )
      .map((list) => list.flat());
    // A group's entries shrink one by one: a plan can always lose any single entry (the
    // subset branch comes first, so the shrinker moves a full plan into it and drops entries).
    return picks
      .chain((entries) =>
        f.oneof(
          { withCrossShrink: true },
          { arbitrary: f.subarray(entries), weight: 1 },
          { arbitrary: f.constant(entries), weight: 30 },
        ),
      )
      .map(validPlan);
  },
};

/** Makes a plan valid: windows end by the end of the fault phase, hold names are unique, no `node: undefined`. */
function validPlan(entries: FaultEntry[]): FaultEntry[] {
  return entries.map((e, i) => {
    const out: Record<string, unknown> = { ...e };
    if (out.node === undefined) delete out.node;
    if (out.method === undefined) delete out.method;
    if (e.kind === 'hold') out.name = `${String(out.name).replace(/-\d+$/, '')}-${i}`;
    if ((out.at as number) > DURATION - 2000) out.at = DURATION - 2000;
    const d = out.duration as number | undefined;
    if (d !== undefined && (out.at as number) + d > DURATION) out.duration = DURATION - (out.at as number);
    return out as unknown as FaultEntry;
  });
}

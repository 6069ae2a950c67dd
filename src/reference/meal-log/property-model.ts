import type * as fc from 'fast-check';
import {
  networkFaultArbitraries,
  realWorldFaultArbitraries,
  worldConditionArbitraries,
  type WorldConditions,
} from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';
import type { FaultEntry } from '../../sim/faults/plan.js';

const DURATION = 90_000;
const DAY = 86_400_000;
const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'] as const;

/**
 * A fault plan of up to four groups (a group is one entry, or entries that make one
 * real-world situation together), flattened and made valid as `faultPlanArbitrary` does.
 */
function groupedPlan(f: typeof fc, groups: fc.WeightedArbitrary<FaultEntry[]>[], duration: number): fc.Arbitrary<FaultEntry[]> {
  return f.array(f.oneof(...groups), { maxLength: 4 }).map((list) => fixPlan(list.flat(), duration));
}

/** Windows end by the end of the fault phase; hold names are unique. */
function fixPlan(list: FaultEntry[], duration: number): FaultEntry[] {
  return list.map((e, i) => {
    const out: Record<string, unknown> = { ...e };
    if (out.node === undefined) delete out.node;
    if (e.kind === 'hold') out.name = `${e.name}-${i}`;
    const d = out.duration as number | undefined;
    if (d !== undefined && e.at + d > duration) out.duration = duration - e.at;
    return out as unknown as FaultEntry;
  });
}

/**
 * What users type: a small pool, so that a run often submits the same text twice (two meals,
 * not one), with texts that need JSON escaping, are not ASCII or span lines.
 */
const mealTexts = ['two eggs', 'oatmeal with berries', 'two eggs and toast', 'café crème ☕', 'rice "jasmine" & beans \\ ½', '寿司 8 pieces', 'toast\nwith butter'];

/**
 * How property runs draw meal-log scenarios (docs/protocols/meal-log.md, "What property runs
 * draw"): the app launches (into NutritionView or not, sometimes with a meal submitted while
 * its first socket is still connecting), the user submits meals — from a small pool of texts,
 * so repeats are common, sometimes twice in a row; each submission dismisses AddMealView and
 * NutritionView appears 300 ms later, as in the document's timeline — and the app may be
 * killed and relaunched (then the view appears or a meal is submitted at once). Faults of every
 * kind, plus the meal-log phases: a slow upgrade or a held handshake at launch (the first
 * socket verified late), latency of seconds, offline/online transitions right after launch
 * and during processing, a socket refused for most of the run, a server restart during
 * processing. The server draws its own world (processing times, outcomes) from the run's seed.
 */
export const mealLogPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: 150_000,
  clients: ['c1'],
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  actions: (f: typeof fc) => {
    const text = f.constantFrom(...mealTexts);
    // Half of the steps early, while the first meals are processing and the launch's faults last.
    const stepAt = f.oneof(f.integer({ min: 200, max: 15_000 }), f.integer({ min: 200, max: DURATION - 1000 }));
    return f
      .record({
        viewAtLaunch: f.boolean(),
        launchSubmit: f.option(f.record({ at: f.integer({ min: 0, max: 400 }), text }), { freq: 3 }),
        steps: f.array(
          f.record({
            at: stepAt,
            what: f.constantFrom('submit', 'submit', 'submit', 'submit-twice', 'open-view', 'restart', 'restart-submit'),
            text,
            again: f.option(text, { freq: 2 }),
            gap: f.integer({ min: 1, max: 800 }),
            viewFirst: f.boolean(),
          }),
          { maxLength: 3 },
        ),
      })
      .map(({ viewAtLaunch, launchSubmit, steps }) => {
        const actions: ScenarioAction[] = viewAtLaunch ? [{ at: 0, do: 'openNutritionView', args: {} }] : [];
        const submit = (at: number, t: string): void => {
          actions.push({ at, do: 'submitMeal', args: { text: t } });
          actions.push({ at: at + 300, do: 'openNutritionView', args: {} });
        };
        if (launchSubmit) submit(launchSubmit.at, launchSubmit.text);
        for (const s of [...steps].sort((a, b) => a.at - b.at)) {
          if (s.what === 'submit') submit(s.at, s.text);
          else if (s.what === 'submit-twice') {
            // A double tap, or the same meal logged again: the same text (mostly) a moment later.
            submit(s.at, s.text);
            submit(s.at + s.gap, s.again ?? s.text);
          } else if (s.what === 'open-view') actions.push({ at: s.at, do: 'openNutritionView', args: {} });
          else {
            actions.push({ at: s.at, do: 'restart', args: {} });
            // Right after the relaunch, while its first socket is connecting.
            if (s.what === 'restart-submit') submit(s.at + (s.gap % 400) + 1, s.text);
            else if (s.viewFirst) actions.push({ at: s.at + 1, do: 'openNutritionView', args: {} });
          }
        }
        return actions.sort((a, b) => a.at - b.at);
      });
  },
  // The world: the shared draws (any instant, just before midnight UTC or a DST change, a
  // zone, skewed clocks), and in one run of three a start 2–40 s before midnight UTC, so a
  // meal submitted early is still processing when the day changes (the listing's `date`).
  world: (f: typeof fc) => {
    const shared = worldConditionArbitraries(f, { duration: DURATION, maxWindow: 45_000, clients: ['c1'] }).conditions;
    const nearMidnight = f
      .record({
        day: f.integer({ min: 1, max: 365 }),
        lead: f.integer({ min: 2, max: 40 }),
        zone: f.constantFrom(...zones),
        skew: f.option(f.integer({ min: -120_000, max: 120_000 }), { nil: undefined }),
      })
      .map(({ day, lead, zone, skew }): WorldConditions => ({
        start: new Date(Date.UTC(2025, 0, 1) + day * DAY - lead * 1000).toISOString(),
        clock: { timeZone: zone, ...(skew !== undefined ? { skew } : {}) },
      }));
    return f.oneof({ arbitrary: shared, weight: 2 }, { arbitrary: nearMidnight, weight: 1 });
  },
  // Processing the spec leaves open: short (done before the upload's answer or the socket's
  // verification), the source's ~26 s and spread around it, long (past the heal); outcomes
  // from never to often failed. Shipped scenarios keep the server's defaults.
  serverOptions: (f: typeof fc) =>
    f.record({
      processing: f.oneof(
        { arbitrary: f.constant({ kind: 'uniform', min: 0, max: 6000 }), weight: 1 },
        { arbitrary: f.constant({ kind: 'uniform', min: 5000, max: 45_000 }), weight: 4 },
        { arbitrary: f.constant({ kind: 'uniform', min: 40_000, max: 100_000 }), weight: 1 },
      ),
      failureRate: f.constantFrom(0.1, 0, 0.5),
    }),
  faults: (f: typeof fc) => {
    const at = f.integer({ min: 0, max: DURATION - 2000 });
    // When a fault strikes, relative to the protocol's phases: at launch, during the first
    // socket's handshake, while early meals are processing, or anywhere.
    const phaseAt = f.oneof(f.constant(0), f.integer({ min: 1, max: 600 }), f.integer({ min: 600, max: 35_000 }), at);
    const dur = f.integer({ min: 1000, max: 45_000 });
    const shared = networkFaultArbitraries(f, { duration: DURATION, maxWindow: 45_000, httpStatuses: [500, 503], restartStates: ['keep'] });
    // A socket refused for most of the run: long polling runs, so that the polling rules (adaptation, rate, stopping) are exercised often.
    const refusedForLong = f.record({
      kind: f.constant('ws-refuse' as const),
      at: f.oneof(f.constant(0), f.constant(0), f.constant(0), f.integer({ min: 0, max: 20_000 })),
      duration: f.integer({ min: 40_000, max: 80_000 }),
      status: f.constant(503),
    });
    // The first socket of a launch verified late: its upgrade held for seconds (a slow
    // handshake), so an upload answered meanwhile starts polling before the socket is verified.
    const slowUpgrade = f.record({
      kind: f.constant('hold' as const),
      at: f.oneof(f.constant(0), at),
      name: f.constant('slow-upgrade'),
      match: f.record({ envelope: f.constant('ws.connect' as const), nth: f.integer({ min: 1, max: 2 }) }),
      duration: f.integer({ min: 5_500, max: 30_000 }),
    });
    // Latency long enough to span user actions, heartbeats and reconnects.
    const slowNetwork = f.record({
      kind: f.constant('delay-spike' as const),
      at: phaseAt,
      duration: f.integer({ min: 2000, max: 30_000 }),
      extra: f.integer({ min: 3000, max: 15_000 }),
      direction: f.constantFrom('both' as const, 'to-client' as const, 'to-server' as const),
    });
    // Offline/online transitions: blips and long outages, at launch, during the handshake or during processing.
    const offline = f.record({
      kind: f.constant('client-offline' as const),
      at: phaseAt,
      duration: f.oneof(f.integer({ min: 1000, max: 5000 }), dur),
      sockets: f.constantFrom('close' as const, 'close' as const, 'stall' as const),
    });
    // A late answer: the upload's (the completion may be pushed before the client heard of the
    // meal) or a listing's (an older poll answering after a push or a newer listing).
    const lateAnswer = f.record({
      kind: f.constant('hold' as const),
      at: phaseAt,
      name: f.constant('late-answer'),
      match: f.record({
        envelope: f.constant('http.response' as const),
        path: f.constantFrom('/api/v1/meal-logs/natural', '/api/v1/meal-logs'),
        nth: f.integer({ min: 1, max: 3 }),
      }),
      duration: f.integer({ min: 2000, max: 40_000 }),
    });
    // A socket that dies silently while meals process: a completion is sent into it and only a catch-up load finds it.
    const halfOpenWhileProcessing = f.record({ kind: f.constant('ws-half-open' as const), at: f.integer({ min: 5000, max: 35_000 }) });
    const restartWhileProcessing = f.record({
      kind: f.constant('server-restart' as const),
      at: f.integer({ min: 1000, max: 40_000 }),
      downtime: f.integer({ min: 0, max: 8000 }),
      state: f.constant('keep' as const),
      closeCode: f.constantFrom(1006 as const, 1012 as const),
    });
    // The real-world failures of issue #14 (idle timeouts, server closes, flapping, resets,
    // captive portals, Retry-After, size limits, slow consumers), the storage's, and an
    // expired token — the last rarely, as it ends what the client can be judged on.
    const realWorld = realWorldFaultArbitraries(f, { duration: DURATION, maxWindow: 45_000 });
    const storage = worldConditionArbitraries(f, { duration: DURATION, maxWindow: 45_000, clients: ['c1'] }).faults;
    // A captive portal (a hotel's Wi-Fi before sign-in): upgrades refused with 511 and listings
    // answered 200 with its HTML page, for the same window — the polling fallback meets it.
    // The refusal is optional, so a counterexample keeps only what it needs.
    const captivePortal = f
      .record({ at: phaseAt, duration: f.integer({ min: 30_000, max: 60_000 }), refuse: f.option(f.constant(true), { freq: 4 }) })
      .map(
        ({ at: t, duration, refuse }) =>
          [
            ...(refuse ? [{ kind: 'ws-refuse', at: t, duration, status: 511 }] : []),
            { kind: 'bad-body', at: t, duration, path: '/api/v1/meal-logs', method: 'GET', body: 'html' },
          ] as FaultEntry[],
      );
    const listingReset = f.record({
      kind: f.constant('request-reset' as const),
      at: phaseAt,
      duration: f.integer({ min: 5000, max: 45_000 }),
      path: f.constant('/api/v1/meal-logs'),
      method: f.constant('GET'),
    });
    const uploadReset = f.record({
      kind: f.constant('request-reset' as const),
      at: phaseAt,
      duration: f.integer({ min: 1000, max: 20_000 }),
      path: f.constant('/api/v1/meal-logs/natural'),
      count: f.integer({ min: 1, max: 2 }),
    });
    // A full storage while meals are submitted: the outbox cannot be saved.
    const quotaWhileSubmitting = f.record({
      kind: f.constant('storage-failure' as const),
      at: phaseAt,
      duration: f.integer({ min: 2000, max: 45_000 }),
      mode: f.constant('quota' as const),
    });
    const tokenExpiry = f.record({ kind: f.constant('token-expiry' as const), at: f.integer({ min: 5000, max: DURATION - 2000 }) });
    const own: fc.Arbitrary<FaultEntry>[] = [
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
      refusedForLong,
      refusedForLong,
      refusedForLong,
      refusedForLong,
      refusedForLong,
      slowUpgrade,
      slowUpgrade,
      slowNetwork,
      offline,
      offline,
      offline,
      offline,
      offline,
      restartWhileProcessing,
      lateAnswer,
      halfOpenWhileProcessing,
      halfOpenWhileProcessing,
      halfOpenWhileProcessing,
      lateAnswer,
    ];
    const one = (a: fc.Arbitrary<FaultEntry>): fc.Arbitrary<FaultEntry[]> => a.map((e) => [e]);
    // The kinds of issue #14 share a few slots, so that they do not crowd out the long
    // refusals and outages the polling rules (MEAL-5, MEAL-11, MEAL-15) and MEAL-14 need.
    const groups: fc.WeightedArbitrary<FaultEntry[]>[] = [
      ...[...shared, ...own].map((a) => ({ arbitrary: one(a), weight: 1 })),
      { arbitrary: one(f.oneof(...realWorld)), weight: 3 },
      { arbitrary: one(f.oneof(...storage, quotaWhileSubmitting)), weight: 2 },
      { arbitrary: captivePortal, weight: 2 },
      { arbitrary: one(f.oneof(listingReset, uploadReset)), weight: 2 },
      { arbitrary: one(tokenExpiry), weight: 1 },
      { arbitrary: one(refusedForLong), weight: 6 },
      { arbitrary: one(offline), weight: 4 },
    ];
    return groupedPlan(f, groups, DURATION);
  },
};

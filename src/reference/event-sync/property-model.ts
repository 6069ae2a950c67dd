import type * as fc from 'fast-check';
import {
  faultPlanArbitrary,
  networkFaultArbitraries,
  realWorldFaultArbitraries,
  worldConditionArbitraries,
} from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';
import type { FaultEntry } from '../../sim/faults/plan.js';

const DURATION = 60_000;
/**
 * User actions and faults are drawn apart, so a fault lands on a protocol phase only by
 * chance. Both sometimes snap to a grid instead — syncs at anchors, faults a drawn offset
 * after one — so that faults often strike a sync's handshake, stream or REST paging.
 */
const ANCHOR = 6000;
const anchors = DURATION / ANCHOR;

/** Fault offsets after an anchor: the handshake (0–150 ms), the stream (150–1500 ms), the REST paging after a failure (1.5–12 s). */
const phaseOffsets = [
  [0, 150],
  [150, 1500],
  [1500, 12_000],
] as const;

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
          at: f.oneof(
            f.integer({ min: 1000, max: DURATION - 1000 }),
            f.integer({ min: 1, max: anchors - 1 }).map((k) => k * ANCHOR),
          ),
          what: f.constantFrom('sync', 'sync', 'sync', 'double-sync', 'burst', 'restart', 'restart-mid-sync', 'restart-mid-sync'),
          gap: f.integer({ min: 10, max: 1500 }),
          resync: f.boolean(),
        }),
        { maxLength: 6 },
      )
      .map((raw) => {
        const actions: ScenarioAction[] = [{ at: 0, do: 'sync', args: {} }];
        const sync = (at: number): void => void actions.push({ at, do: 'sync', args: {} });
        for (const r of raw.sort((a, b) => a.at - b.at)) {
          if (r.what === 'sync') sync(r.at);
          else if (r.what === 'double-sync') {
            sync(r.at);
            sync(r.at + r.gap);
          } else if (r.what === 'burst') {
            // A user tapping repeatedly while the first sync runs.
            for (let i = 0; i < 3; i++) sync(r.at + i * Math.ceil(r.gap / 3));
          } else if (r.what === 'restart') {
            actions.push({ at: r.at, do: 'restart', args: {} });
            sync(r.at + 1);
          } else {
            // The app killed while its sync streams or pages; the user syncs again at once, or not (a client may resume at launch).
            sync(r.at);
            actions.push({ at: r.at + 20 + r.gap, do: 'restart', args: {} });
            if (r.resync) sync(r.at + 21 + r.gap);
          }
        }
        return actions.sort((a, b) => a.at - b.at);
      }),
  faults: (f: typeof fc) => {
    const shared = networkFaultArbitraries(f, {
      duration: DURATION,
      maxWindow: 30_000,
      httpStatuses: [500, 503, 401],
      restartStates: ['keep', 'lose'],
    });
    // A stream's backlog is the frames in flight: a few KiB, tens while the app is
    // suspended or the link slows. Backlog bounds up to 1 MiB would never be reached, so
    // the slow-consumer entry draws them from 4 KiB to uWebSockets' 64 KiB default.
    const realWorld = realWorldFaultArbitraries(f, { duration: DURATION, maxWindow: 30_000 }).slice(0, 6);
    // The client's request is under 100 bytes; the server's batches weigh 0.5–10 KiB
    // (1,000 events in the source's: past iOS's 1 MiB `maximumMessageSize`). Limits are
    // drawn where batches reach them, mostly on the client's side.
    const messageTooBig = f.record({
      kind: f.constant('message-too-big' as const),
      at: f.integer({ min: 0, max: DURATION - 2000 }),
      duration: f.integer({ min: 1000, max: 30_000 }),
      limit: f.constantFrom(512, 1024, 4096, 8192, 65_536),
      direction: f.constantFrom('to-client' as const, 'to-client' as const, 'both' as const, 'to-server' as const),
    }) as fc.Arbitrary<FaultEntry>;
    realWorld.push(messageTooBig, messageTooBig);
    const slowConsumer = f.record({
      kind: f.constant('slow-consumer' as const),
      at: f.integer({ min: 0, max: DURATION - 2000 }),
      duration: f.integer({ min: 1000, max: 30_000 }),
      backlog: f.oneof(f.constantFrom(4096, 16_384, 65_536), f.integer({ min: 4096, max: 65_536 })),
    }) as fc.Arbitrary<FaultEntry>;
    // A stream lives a second or two: the closes servers send under load or in a deploy
    // (1013 shedding, 1001 going away, 1012 restart, 1011) are drawn again, aimed at the
    // first 0.8 s of a sync (the launch sync's stream, or one after an anchor).
    const loadShed = f.record({
      kind: f.constant('server-close' as const),
      at: f.oneof(
        f.integer({ min: 20, max: 800 }),
        f.integer({ min: 1, max: anchors - 1 }).chain((k) => f.integer({ min: k * ANCHOR + 20, max: k * ANCHOR + 800 })),
      ),
      code: f.constantFrom(1013, 1013, 1001, 1012, 1011),
      reason: f.constantFrom('', 'server overloaded', 'going away'),
    }) as fc.Arbitrary<FaultEntry>;
    realWorld.push(slowConsumer, slowConsumer, loadShed, loadShed);
    const world = worldConditionArbitraries(f, { duration: DURATION, maxWindow: 30_000, clients: ['c1'] });
    const kinds = [...shared, ...realWorld, ...world.faults, tokenExpiry(f)].map((a) => anchored(f, a));
    return faultPlanArbitrary(f, kinds, DURATION);
  },
  world: (f: typeof fc) => worldConditionArbitraries(f, { duration: DURATION, maxWindow: 30_000, clients: ['c1'] }).conditions,
};

/**
 * Token expiry: the token stops being accepted (docs/protocols/event-sync.md § 2.1). Every
 * later sync then ends with a 401, so it is drawn in the run's second half, as a session
 * that outlives its token would see it.
 */
function tokenExpiry(f: typeof fc): fc.Arbitrary<FaultEntry> {
  return f.record({ kind: f.constant('token-expiry' as const), at: f.integer({ min: DURATION / 2, max: DURATION - 2000 }) }) as fc.Arbitrary<FaultEntry>;
}

/**
 * Moves some drawn entries to a phase offset after an anchor (the launch sync at 0
 * included), keeping windows inside the fault phase. The move is drawn with its entry, so
 * that shrinking a plan by an entry leaves the others where they were.
 */
function anchored(f: typeof fc, entry: fc.Arbitrary<FaultEntry>): fc.Arbitrary<FaultEntry> {
  const move = f.option(
    f.record({
      anchor: f.integer({ min: 0, max: anchors - 1 }),
      phase: f.integer({ min: 0, max: phaseOffsets.length - 1 }),
      frac: f.integer({ min: 0, max: 999 }),
    }),
    { freq: 2 },
  );
  return f.tuple(entry, move).map(([e, m]) => {
    // A token expiry stays where it was drawn: late, not at a sync's handshake.
    if (!m || e.kind === 'token-expiry') return e;
    const [lo, hi] = phaseOffsets[m.phase]!;
    const at = Math.min(DURATION - 2000, m.anchor * ANCHOR + lo + Math.floor(((hi - lo) * m.frac) / 1000));
    const out: Record<string, unknown> = { ...e, at };
    const d = out.duration as number | undefined;
    if (d !== undefined && at + d > DURATION) out.duration = DURATION - at;
    return out as unknown as FaultEntry;
  });
}

import { describe, expect, it } from 'vitest';
import { eventSyncRequirements } from '../../../src/reference/event-sync/requirements/index.js';
import type { TraceEvent } from '../../../src/sim/trace.js';
import { check, cur, ev, TraceBuilder } from './trace-builder.js';

// Findings of the outside team that implemented two clients from docs/protocols/event-sync.md
// alone (test/independent/event-sync): what the spec permits must pass; each checker change
// has a violating and a conforming trace. T = 290 ms here (20 ms links).

type Ctx = ReturnType<TraceBuilder['ctx']>;
/** Every failing requirement, and every one that could not judge the trace (a checker that threw). */
const failures = (ctx: Ctx) =>
  eventSyncRequirements
    .map((r) => ({ id: r.id, ...check(r.id, ctx) }))
    .filter((f) => f.verdict === 'fail' || f.evidence.includes('could not be judged'))
    .map((f) => `${f.id}: ${f.evidence}`);

/** A stream whose first batch (at `batchAt`) carries the invalid e2; the client skips and counts it. */
function invalidBatch(batchAt = 100): { b: TraceBuilder; ws: string } {
  const b = new TraceBuilder();
  b.sync(0);
  const ws = b.stream(0, null);
  b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
  b.start(80, ws, 6);
  b.snap(80, { progress: { processed: 0, total: 6 } });
  b.batch(batchAt, ws, 0, [ev(1), ev(2, false), ev(3)]);
  b.snap(batchAt, { progress: { processed: 3, total: 6 }, store: [1, 3], skipped: 1 });
  return { b, ws };
}

describe('SYNC-6 and SYNC-11(e) agree: a close after 5 s of silence is a permitted stall close, not an abort', () => {
  /** The server stalls after batch 0 (0.2 s); the client gives the stream up at `closeAt` and pages from e3. */
  function stallClose(closeAt: number): { b: TraceBuilder; ws: string } {
    const { b, ws } = invalidBatch(200);
    b.add(495, 'server.log', { msg: 'stream.stall', request: ws });
    b.close(closeAt, ws, 3000);
    b.page(closeAt, cur(3), { events: [4, 5, 6], hasMore: false });
    b.snap(closeAt, { via: 'rest' });
    b.issued(closeAt + 20, cur(6), [1, 3, 4, 5, 6]);
    b.snap(closeAt + 40, {
      syncing: false,
      via: null,
      progress: { processed: 6, total: 6 },
      completed: 1,
      checkpoint: cur(6),
      store: [1, 3, 4, 5, 6],
    });
    return { b, ws };
  }

  it('passes a close 6.8 s after the last frame (a watchdog that gives up after 6 s), on every requirement', () => {
    const ctx = stallClose(7000).b.ctx();
    expect(failures(ctx)).toEqual([]);
    expect(check('SYNC-6', ctx).verdict).toBe('pass');
    expect(check('SYNC-11', ctx).verdict).toBe('pass');
  });

  it('fails a close 2.8 s after a batch with an invalid event, on SYNC-6 and SYNC-11 alike', () => {
    const ctx = stallClose(3000).b.ctx();
    const f = check('SYNC-6', ctx);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('the client closed c1/ws#1 at 3.0 s right after batch 0 on c1/ws#1 carried invalid event (e2)');
    expect(f.evidence).toContain('it had been silent 2.8 s, less than 5.0 s');
    expect(check('SYNC-11', ctx).verdict).toBe('fail');
  });
});

describe('settling: a completion reported in the step that starts the queued sync', () => {
  /**
   * A sync asked for at 0.11 s while the first runs; sync.stream.complete arrives at 0.14 s
   * and in that same step the client saves the checkpoint, closes the stream and connects
   * the next one: the step's snapshot, which shows `completed` rising, comes after the connect.
   */
  function sameStep(o: { saved: boolean }): TraceBuilder {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
    b.start(80, ws, 6);
    b.snap(80, { progress: { processed: 0, total: 6 } });
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
    b.snap(100, { progress: { processed: 3, total: 6 }, store: [1, 2, 3] });
    b.sync(110);
    b.batch(120, ws, 1, [ev(4), ev(5), ev(6)], true);
    b.snap(120, { progress: { processed: 6, total: 6 }, store: [1, 2, 3, 4, 5, 6] });
    b.issued(100, cur(6), [1, 2, 3, 4, 5, 6]);
    b.complete(140, ws, 6, cur(6));
    b.close(140, ws);
    b.stream(140, o.saved ? cur(6) : null);
    b.snap(140, { syncs: 2, completed: 1, checkpoint: o.saved ? cur(6) : null });
    return b;
  }

  it('judges the sync at the snapshot where completed rose, after the next connect of the same step', () => {
    const ctx = sameStep({ saved: true }).ctx({ endAt: 1000 });
    expect(failures(ctx)).toEqual([]);
    for (const id of ['SYNC-2', 'SYNC-3', 'SYNC-5', 'SYNC-11', 'SYNC-12', 'SYNC-13']) expect(check(id, ctx).verdict, id).toBe('pass');
  });

  it('fails a completion reported there without the final checkpoint', () => {
    const f = check('SYNC-3', sameStep({ saved: false }).ctx({ endAt: 1000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `c1 completed a sync at 0.14 s with the checkpoint none, but the server's final checkpoint was ${cur(6)} (c1/ws#1 at 0.14 s)`,
    );
  });
});

describe('a close made by dispose() while the app is killed is never an abort', () => {
  /** The stream of `invalidBatch`, closed at 1.0 s: by dispose() at an app restart, or by the running app. */
  function closedAt1s(o: { restart: boolean }): { b: TraceBuilder; ws: string } {
    const { b, ws } = invalidBatch();
    if (o.restart) b.add(1000, 'client.action', { do: 'restart', node: 'c1' });
    b.close(1000, ws, 1001);
    if (o.restart) {
      b.add(1000, 'client.restart', { node: 'c1', incarnation: 1 });
      b.snap(1000, { syncing: false, via: null, syncs: 0, progress: null, skipped: 0 });
    }
    return { b, ws };
  }

  it('passes SYNC-6 and SYNC-11 when dispose() closes the stream at a restart', () => {
    const ctx = closedAt1s({ restart: true }).b.ctx({ endAt: 5000 });
    expect(check('SYNC-6', ctx).verdict).toBe('pass');
    expect(check('SYNC-11', ctx).verdict).toBe('pass');
    expect(failures(ctx)).toEqual([]);
  });

  it('passes a close made by dispose() at the end of the run', () => {
    const { b, ws } = invalidBatch();
    const ctx = b.ctx({ endAt: 1000 });
    const closing: TraceEvent = { t: 1000, seq: ctx.events.length, ev: 'ws.closing', id: ws, side: 'client', code: 1001 };
    (ctx.events as TraceEvent[]).push(closing);
    expect(check('SYNC-6', ctx).verdict).toBe('pass');
    expect(check('SYNC-11', ctx).verdict).toBe('pass');
  });

  it('fails the same close made by the running app', () => {
    const ctx = closedAt1s({ restart: false }).b.ctx({ endAt: 5000 });
    expect(check('SYNC-6', ctx).evidence).toContain(
      'the client closed c1/ws#1 at 1.0 s right after batch 0 on c1/ws#1 carried invalid event (e2)',
    );
    expect(check('SYNC-11', ctx).evidence).toContain('the client closed c1/ws#1 at 1.0 s before sync.stream.complete');
  });
});

describe("SYNC-6's end-of-launch count and the background exemption", () => {
  /** Batch 0 (invalid e2) arrives at 0.1 s while the app is in the background; the skipped count never rises. */
  function uncounted(o: { foregroundAt?: number; timers: 'suspend' | 'throttle' }): Ctx {
    const b = new TraceBuilder();
    b.add(50, 'fault.start', { entry: 0, kind: 'app-background', node: 'c1', timers: o.timers });
    if (o.foregroundAt !== undefined) b.add(o.foregroundAt, 'fault.end', { entry: 0, kind: 'app-background', node: 'c1' });
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
    b.start(80, ws, 6);
    b.batch(100, ws, 0, [ev(1), ev(2, false), ev(3)]);
    return b.ctx({ endAt: 5000 });
  }

  it('does not judge a delivery the app could not deal with before the run ended (backgrounded, or throttled to the end)', () => {
    expect(check('SYNC-6', uncounted({ timers: 'suspend' })).verdict).toBe('pass');
    expect(check('SYNC-6', uncounted({ timers: 'throttle', foregroundAt: 1000 })).verdict).toBe('pass');
  });

  it('judges it once the app had T of normal timers before the end, and fails the uncounted event', () => {
    const f = check('SYNC-6', uncounted({ timers: 'suspend', foregroundAt: 1000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      "(the run ended) c1's skipped count had risen by 0 since the app started, but 1 distinct invalid event had been delivered",
    );
  });
});

describe('a batch after the isLast batch', () => {
  /** Batch 1 says isLast; batch 2 (e7) follows at 0.13 s instead of sync.stream.complete. */
  function extraBatch(closeAt: number): TraceBuilder {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
    b.start(80, ws, 6);
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
    b.snap(100, { progress: { processed: 3, total: 6 }, store: [1, 2, 3] });
    b.batch(120, ws, 1, [ev(4), ev(5), ev(6)], true);
    b.snap(120, { progress: { processed: 6, total: 6 }, store: [1, 2, 3, 4, 5, 6] });
    b.batch(130, ws, 2, [ev(7, false)]);
    b.close(closeAt, ws, 4000);
    b.page(closeAt, cur(6), { events: [7], hasMore: false });
    b.issued(closeAt + 20, cur(7), [1, 2, 3, 4, 5, 6, 7]);
    b.snap(closeAt + 40, {
      syncing: false,
      via: null,
      progress: { processed: 7, total: 7 },
      completed: 1,
      checkpoint: cur(7),
      store: [1, 2, 3, 4, 5, 6, 7],
    });
    return b;
  }

  it('may be taken for malformed: closing at once and paging from the last delivered event passes', () => {
    const ctx = extraBatch(130).ctx();
    expect(failures(ctx)).toEqual([]);
    expect(check('SYNC-11', ctx).verdict).toBe('pass');
    expect(check('SYNC-1', ctx).verdict).toBe('pass');
  });

  it('is no excuse before it arrived: closing right after the isLast batch fails SYNC-11(e)', () => {
    const f = check('SYNC-11', extraBatch(120).ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('the client closed c1/ws#1 at 0.12 s before sync.stream.complete although the stream had not failed');
  });
});

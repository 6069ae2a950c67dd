import { describe, expect, it } from 'vitest';
import { eventSyncRequirements } from '../../../src/reference/event-sync/requirements/index.js';
import { check, cur, ev, fallback, goodStream, TraceBuilder } from './trace-builder.js';

// Designs the spec permits that client teams wrote from docs/protocols/event-sync.md alone
// (issue #12): each must pass. And what a broken snapshot must not hide.

const all = (ctx: ReturnType<TraceBuilder['ctx']>) => eventSyncRequirements.map((r) => ({ id: r.id, ...check(r.id, ctx) }));
const failures = (ctx: ReturnType<TraceBuilder['ctx']>) =>
  all(ctx)
    .filter((f) => f.verdict === 'fail')
    .map((f) => `${f.id}: ${f.evidence}`);

describe('designs the spec permits', () => {
  it('a stream request sent as a binary frame (UTF-8 JSON) is read like a text frame', () => {
    const { b } = goodStream(undefined, { binary: true });
    b.sync(5000);
    b.stream(5000, cur(6), { binary: true });
    b.snap(5000, { syncing: true, via: 'stream', syncs: 2 });
    const ctx = b.ctx({ endAt: 8000 });
    expect(failures(ctx)).toEqual([]);
    expect(check('SYNC-1', ctx).verdict).toBe('pass');
  });

  it('a store digest in upper-case hex is the same digest', () => {
    expect(failures(goodStream(undefined, { upper: true }).b.ctx())).toEqual([]);
    expect(failures(fallback({ upper: true }).b.ctx())).toEqual([]);
    expect(check('SYNC-10', fallback({ upper: true }).b.ctx()).verdict).toBe('pass');
  });

  it('applying each delivery a few zero-delay timers later (chunked, asynchronous) is judged once the client had the chance to finish', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
    b.start(80, ws, 6);
    b.snap(81, { progress: { processed: 0, total: 6 } });
    b.batch(100, ws, 0, [ev(1), ev(2, false), ev(3)]);
    // The batch is applied in two chunks, one and two ms after it arrived.
    b.snap(101, { progress: { processed: 2, total: 6 }, store: [1], skipped: 1 });
    b.snap(102, { progress: { processed: 3, total: 6 }, store: [1, 3] });
    b.batch(120, ws, 1, [ev(4), ev(5), ev(6)], true);
    b.issued(100, cur(6), [1, 3, 4, 5, 6]);
    b.complete(120, ws, 6, cur(6));
    b.snap(121, { progress: { processed: 5, total: 6 }, store: [1, 3, 4, 5] });
    b.snap(122, { progress: { processed: 6, total: 6 }, store: [1, 3, 4, 5, 6] });
    b.close(122, ws);
    b.snap(122, { syncing: false, via: null, completed: 1, checkpoint: cur(6) });
    const ctx = b.ctx();
    expect(failures(ctx)).toEqual([]);
    for (const id of ['SYNC-2', 'SYNC-3', 'SYNC-5', 'SYNC-6', 'SYNC-12', 'SYNC-13']) expect(check(id, ctx).verdict, id).toBe('pass');
  });

  it('a cursor written in another but equivalent form is the same checkpoint', () => {
    const { b } = goodStream();
    b.sync(5000);
    b.stream(5000, '2025-01-14T10:00:02.000Z#e6');
    b.snap(5000, { syncing: true, via: 'stream', syncs: 2 });
    expect(check('SYNC-1', b.ctx()).verdict).toBe('pass');
  });
});

describe('a snapshot that breaks the contract fails what needs the broken field, never passes as not exercised', () => {
  /** The reference-shaped stream sync, with `checkpoint` reported as `cursor`. */
  function misnamed(o: { perBatch?: boolean } = {}): TraceBuilder {
    const b = new TraceBuilder();
    const state = (fields: Record<string, unknown>) => ({
      authError: false,
      completed: 0,
      cursor: null,
      progress: null,
      skipped: 0,
      store: { count: 0, digest: '00000000' },
      syncing: false,
      syncs: 0,
      via: null,
      ...fields,
    });
    b.events.splice(0); // a fresh start without the builder's own first snapshot
    b.add(0, 'sim.start', { seed: 1, clients: ['c1'] });
    b.raw(0, state({}));
    b.sync(0);
    const ws = b.stream(0, null);
    b.raw(0, state({ syncing: true, syncs: 1 }));
    b.start(80, ws, 3);
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)], true);
    b.issued(100, cur(3), [1, 2, 3]);
    b.complete(120, ws, 3, cur(3));
    b.close(120, ws);
    b.raw(120, state({ completed: 1, syncs: 1, cursor: cur(3), progress: { processed: 3, total: 3 }, store: { count: 3, digest: '0' } }));
    if (o.perBatch) b.raw(100, state({ syncing: true, syncs: 1, cursor: cur(3) }));
    return b;
  }

  it('SYNC-1 and SYNC-3 fail, naming the field, what was expected and what was found', () => {
    const ctx = misnamed().ctx();
    for (const id of ['SYNC-1', 'SYNC-3']) {
      const f = check(id, ctx);
      expect(f.verdict, id).toBe('fail');
      expect(f.evidence).toBe(
        `c1's snapshot at 0.0 s breaks the snapshot contract: field "checkpoint": expected a cursor string or null, found nothing (the field is missing); ${id} cannot be judged without it`,
      );
    }
  });

  it('a store digest that is not 8 hex digits fails SYNC-5 (the store is judged against the server, not skipped)', () => {
    const f = check('SYNC-5', misnamed().ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'field "store": expected {count: a whole number ≥ 0, digest: 8 hex digits}, found {"count":3,"digest":"0"}',
    );
  });

  it('a trace without any snapshot (a real-socket run that recorded none) leaves the snapshot clauses not exercised', () => {
    const b = new TraceBuilder();
    b.events.splice(0);
    b.add(0, 'sim.start', { seed: 1, clients: ['c1'] });
    b.sync(0);
    const ws = b.stream(0, null);
    b.start(80, ws, 3);
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)], true);
    b.complete(120, ws, 3, cur(3));
    b.close(120, ws);
    const ctx = b.ctx();
    for (const id of ['SYNC-1', 'SYNC-2', 'SYNC-3', 'SYNC-5', 'SYNC-13']) expect(check(id, ctx).verdict, id).toBe('not-exercised');
  });
});

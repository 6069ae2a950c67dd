import { describe, expect, it } from 'vitest';
import { check, cur, ev, fallback, goodStream, TraceBuilder } from './trace-builder.js';

// Issue #14's failures as the event-sync judge reads them: SYNC-14 and SYNC-15, and the
// rules that storage failures, refused big frames and spoiled page bodies change.

/** A stream that fails at once (reset) and a first page answered `status`, at 100. */
function failedPage(status: number, retryAfter?: number): { b: TraceBuilder; page: string } {
  const b = new TraceBuilder();
  b.sync(0);
  const ws = b.stream(0, null);
  b.reset(50, ws);
  const page = b.page(60, null, { events: [], hasMore: false, status });
  if (retryAfter !== undefined) b.add(80, 'http.edge', { entry: 0, id: page, retryAfter, status });
  return { b, page };
}

describe('SYNC-14 no request with a refused token', () => {
  it('passes a client that stops after a 401 and syncs again when the user asks', () => {
    const { b } = failedPage(401);
    b.sync(5000);
    const ws = b.stream(5000, null);
    b.reset(5050, ws);
    b.page(5060, null, { events: [], hasMore: false, status: 401 });
    const f = check('SYNC-14', b.ctx());
    expect(f.verdict).toBe('pass');
    expect(f.evidence).toBe('no request followed 2 401s until the user synced again');
  });

  it('passes a sync asked for while the refused sync ran, once', () => {
    const { b } = failedPage(401);
    b.sync(70);
    b.stream(150, null);
    expect(check('SYNC-14', b.ctx()).verdict).toBe('pass');
  });

  it('fails a page retried with the refused token', () => {
    const { b, page } = failedPage(401);
    const again = b.page(1100, null, { events: [], hasMore: false, status: 401 });
    expect(check('SYNC-14', b.ctx()).evidence).toBe(
      `page ${page} was answered 401 at 0.1 s, yet c1 asked for page ${again} at 1.1 s with the same token, though the user had not synced again: a refused token is not retried`,
    );
  });

  it('fails a stream reconnected on its own after a 401, and is not exercised without one', () => {
    const { b } = failedPage(401);
    const ws = b.stream(2000, null);
    expect(check('SYNC-14', b.ctx()).evidence).toContain(`connected ${ws} at 2.0 s with the same token`);
    expect(check('SYNC-14', goodStream().b.ctx()).verdict).toBe('not-exercised');
  });

  it('forgets the refusal at an app restart', () => {
    const { b } = failedPage(401);
    b.restart(3000);
    b.stream(3000, null);
    expect(check('SYNC-14', b.ctx()).verdict).toBe('pass');
  });
});

describe('SYNC-15 Retry-After is waited out', () => {
  it('passes a retry after the wait', () => {
    const { b } = failedPage(503, 5);
    b.page(5100, null, { events: [], hasMore: false });
    const f = check('SYNC-15', b.ctx());
    expect(f.verdict).toBe('pass');
    expect(f.evidence).toBe('1 Retry-After waited out before the next page');
  });

  it('fails a retry before the wait ended', () => {
    const { b, page } = failedPage(429, 5);
    const early = b.page(1100, null, { events: [], hasMore: false });
    expect(check('SYNC-15', b.ctx()).evidence).toBe(
      `page ${page} was answered 429 with Retry-After: 5 at 0.1 s, yet c1 asked for page ${early} 1.0 s later, at 1.1 s: the server asked for 5 s`,
    );
  });

  it('is not exercised by a 503 without the header', () => {
    const { b } = failedPage(503);
    b.page(1100, null, { events: [], hasMore: false });
    expect(check('SYNC-15', b.ctx()).verdict).toBe('not-exercised');
  });

  it('gives SYNC-8 the Retry-After on top of its 30 s', () => {
    const { b } = failedPage(503, 40);
    b.page(60_000, null, { events: [], hasMore: false });
    expect(check('SYNC-8', b.ctx({ endAt: 120_000 })).verdict).toBe('pass');
    const late = failedPage(503, 40).b;
    late.page(80_000, null, { events: [], hasMore: false });
    expect(check('SYNC-8', late.ctx({ endAt: 120_000 })).verdict).toBe('fail');
  });
});

describe('a 200 page whose body an edge spoiled (bad-body) is a failed page', () => {
  it('passes a retry of the same page, and fails taking it for the end of the data', () => {
    const x = new TraceBuilder();
    x.sync(0);
    const s = x.stream(0, null);
    x.reset(50, s);
    const p = x.page(60, null, { events: [1, 2, 3], hasMore: true });
    x.add(80, 'http.edge', { body: 'truncated', bytes: 50, entry: 0, id: p, status: 200 });
    x.page(1100, null, { events: [1, 2, 3], hasMore: false });
    expect(check('SYNC-8', x.ctx()).verdict).toBe('pass');
    const y = new TraceBuilder();
    y.sync(0);
    const s2 = y.stream(0, null);
    y.reset(50, s2);
    const p2 = y.page(60, null, { events: [1, 2, 3], hasMore: true });
    y.add(80, 'http.edge', { body: 'truncated', bytes: 50, entry: 0, id: p2, status: 200 });
    const f = check('SYNC-8', y.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`after page ${p2} answered 200 with a truncated body at 0.1 s, it was never retried`);
  });
});

describe('storage failures across a restart (SYNC-3, SYNC-9)', () => {
  /** A completed sync (checkpoint e6), a restart, and a snapshot with `after` as the checkpoint. */
  function restartTo(after: string | null, failure?: 'fail' | 'lost'): TraceBuilder {
    const { b } = goodStream();
    if (failure === 'fail') b.add(110, 'storage.fail', { bytes: 30, entry: 0, key: 'sync.checkpoint', node: 'c1' });
    b.restart(1000);
    if (failure === 'lost') b.add(1000, 'storage.lost', { entry: 0, keys: 4, node: 'c1' });
    b.snap(1000, { syncing: false, syncs: 0, completed: 0, checkpoint: after, store: after ? [1, 2, 3, 4, 5, 6] : [] });
    return b;
  }

  it('fails a checkpoint lost across a restart with healthy storage', () => {
    expect(check('SYNC-3', restartTo(null).ctx()).evidence).toContain('was lost at 1.0 s (across the app restart)');
  });

  it('passes a checkpoint lost with the storage, or never written (quota)', () => {
    expect(check('SYNC-3', restartTo(null, 'lost').ctx()).verdict).toBe('pass');
    expect(check('SYNC-3', restartTo(null, 'fail').ctx()).verdict).toBe('pass');
  });

  it('still fails a checkpoint the server never handed out, storage failure or not', () => {
    expect(check('SYNC-3', restartTo(cur(4), 'fail').ctx()).evidence).toContain('before any sync had completed with it');
  });

  it('passes a resume point lost with the storage (SYNC-9), and fails one lost without a storage failure', () => {
    const killed = (lost: boolean): TraceBuilder => {
      const b = new TraceBuilder();
      b.sync(0);
      const ws = b.stream(0, null);
      b.start(80, ws, 6);
      b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
      b.restart(200);
      if (lost) b.add(200, 'storage.lost', { entry: 0, keys: 4, node: 'c1' });
      b.stream(300, null);
      return b;
    };
    expect(check('SYNC-9', killed(true).ctx()).verdict).toBe('not-exercised');
    expect(check('SYNC-9', killed(false).ctx()).verdict).toBe('fail');
  });
});

describe('a frame the client\u2019s WebSocket refused (message-too-big) is a stream failure, not the client closing', () => {
  it('passes the fallback after the refusal, and is judged as a failure by SYNC-4', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.start(80, ws, 6);
    b.add(100, 'ws.closing', { id: ws, side: 'client', code: 1009, reason: 'Message Too Big', entry: 0, bytes: 3000 });
    b.add(140, 'ws.close', { id: ws, side: 'client', code: 1009, wasClean: true });
    b.page(140, null, { events: [1, 2, 3, 4, 5, 6], hasMore: false });
    expect(check('SYNC-11', b.ctx()).verdict).toBe('pass');
    const f = check('SYNC-4', b.ctx());
    expect(f.verdict).toBe('pass');
    const none = new TraceBuilder();
    none.sync(0);
    const s = none.stream(0, null);
    none.start(80, s, 6);
    none.add(100, 'ws.closing', { id: s, side: 'client', code: 1009, reason: 'Message Too Big', entry: 0, bytes: 3000 });
    none.add(140, 'ws.close', { id: s, side: 'client', code: 1009, wasClean: true });
    expect(check('SYNC-4', none.ctx()).evidence).toContain("the client's WebSocket refused a frame of 3000 bytes");
    expect(check('SYNC-11', fallback().b.ctx()).verdict).toBe('pass');
  });
});

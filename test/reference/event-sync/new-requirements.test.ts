import { describe, expect, it } from 'vitest';
import { check, cur, ev, fallback, goodStream, TraceBuilder } from './trace-builder.js';

// SYNC-11 … SYNC-13 and the short page of SYNC-8: a violating and a conforming trace each.

describe('SYNC-11 every sync starts with the stream and uses it', () => {
  it('passes a stream sync, and a fallback after the stream failed', () => {
    expect(check('SYNC-11', goodStream().b.ctx()).verdict).toBe('pass');
    expect(check('SYNC-11', fallback().b.ctx()).verdict).toBe('pass');
  });

  it('passes a sync whose stream the backend does not offer (refused 404), then REST', () => {
    const b = new TraceBuilder();
    b.sync(0);
    b.refused(0, 404, 'no event-sync WebSocket endpoint at /v1/sync/stream');
    b.page(40, null, { events: [1, 2, 3], hasMore: false });
    expect(check('SYNC-11', b.ctx()).verdict).toBe('pass');
  });

  it('fails a REST-only sync', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const page = b.page(0, null, { events: [1, 2, 3], hasMore: false });
    const f = check('SYNC-11', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `c1 was asked to sync at 0.0 s, but it asked for page ${page} at 0.0 s instead: every sync starts with the stream (/v1/sync/stream) within 290 ms`,
    );
  });

  it('fails a later sync that goes straight to REST, and a sync asked for that never connects', () => {
    const { b } = goodStream();
    b.sync(5000);
    b.page(5000, cur(6), { events: [], hasMore: false });
    expect(check('SYNC-11', b.ctx()).evidence).toBe(
      'c1 was asked to sync at 5.0 s, but it asked for page c1/http#1 at 5.0 s instead: every sync starts with the stream (/v1/sync/stream) within 290 ms',
    );
    const launch = goodStream().b;
    launch.restart(5000);
    launch.page(5000, cur(6), { events: [], hasMore: false });
    expect(check('SYNC-11', launch.ctx()).evidence).toBe(
      'page request c1/http#1 at 5.0 s belongs to a sync that never tried the stream: REST pages are the fallback of a failed stream, never the first choice',
    );
    const idle = goodStream().b;
    idle.sync(5000);
    expect(check('SYNC-11', idle.ctx()).evidence).toBe(
      'c1 was asked to sync at 5.0 s, but no stream was connected: every sync starts with the stream (/v1/sync/stream) within 290 ms',
    );
  });

  it('runs a sync asked for during a sync right after it, with the stream', () => {
    const { b } = goodStream();
    b.sync(110);
    b.stream(121, cur(6));
    expect(check('SYNC-11', b.ctx({ endAt: 5000 })).verdict).toBe('pass');
    const late = goodStream().b;
    late.sync(110);
    late.stream(3000, cur(6));
    expect(check('SYNC-11', late.ctx({ endAt: 5000 })).evidence).toBe(
      'c1 was asked to sync at 0.11 s while a sync ran, which ended at 0.12 s, but the stream was connected only at 3.0 s: every sync starts with the stream (/v1/sync/stream) within 290 ms',
    );
  });

  it('fails a stream that opens but is never asked for events', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null, { request: false });
    b.close(1000, ws);
    b.page(1000, null, { events: [1, 2, 3], hasMore: false });
    expect(check('SYNC-11', b.ctx()).evidence).toContain(`${ws} opened at 0.04 s, but no sync.stream.request was sent on it`);
  });

  it('fails an upgrade without the user token, while REST carries it', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.refused(0, 401, 'missing token');
    b.page(40, null, { events: [1, 2, 3], hasMore: false });
    expect(check('SYNC-11', b.ctx()).evidence).toBe(
      `the server refused the upgrade of ${ws} (401) because it carried no token: the stream must be opened with the user's token (Authorization: Bearer, or access_token)`,
    );
  });

  it('fails a healthy stream closed before completion, but not one silent for 5 s', () => {
    const abandon = (closeAt: number): TraceBuilder => {
      const b = new TraceBuilder();
      b.sync(0);
      const ws = b.stream(0, null);
      b.start(80, ws, 6);
      b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
      b.close(closeAt, ws, 4000);
      b.page(closeAt, cur(3), { events: [4, 5, 6], hasMore: false });
      return b;
    };
    expect(check('SYNC-11', abandon(2100).ctx()).evidence).toBe(
      'the client closed c1/ws#1 at 2.1 s before sync.stream.complete although the stream had not failed (the last frame, a batch 0, had arrived 2.0 s before): a stream is used until it completes or fails (5 seconds of silence may count as a stall)',
    );
    expect(check('SYNC-11', abandon(5100).ctx()).verdict).toBe('pass');
  });
});

describe('SYNC-12 the stream is closed after completion', () => {
  it('passes a stream closed when sync.stream.complete arrives', () => {
    expect(check('SYNC-12', goodStream().b.ctx()).verdict).toBe('pass');
  });

  it('fails a stream left open after it completed', () => {
    const f = check('SYNC-12', goodStream(undefined, { closeAt: Infinity }).b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'sync.stream.complete arrived on c1/ws#1 at 0.12 s, but the client had not closed the socket 290 ms later (it never did)',
    );
    expect(f.at).toBe(410);
  });

  it('is not exercised without a completed stream', () => {
    expect(check('SYNC-12', fallback().b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('SYNC-13 progress is shown while a sync runs', () => {
  it('passes a sync that shows progress after each batch', () => {
    expect(check('SYNC-13', goodStream().b.ctx()).verdict).toBe('pass');
    expect(check('SYNC-13', fallback().b.ctx()).verdict).toBe('pass');
  });

  it('fails a sync that shows progress only at its end', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
    b.start(80, ws, 6);
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
    b.snap(100, { store: [1, 2, 3] });
    b.batch(120, ws, 1, [ev(4), ev(5), ev(6)], true);
    b.issued(100, cur(6), [1, 2, 3, 4, 5, 6]);
    b.complete(120, ws, 6, cur(6));
    b.close(120, ws);
    b.snap(120, {
      syncing: false,
      via: null,
      completed: 1,
      checkpoint: cur(6),
      store: [1, 2, 3, 4, 5, 6],
      progress: { processed: 6, total: 6 },
    });
    const f = check('SYNC-13', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'during the sync that ended at 0.12 s, batch 0 on c1/ws#1 at 0.1 s brought 3 events with more announced, but c1 never showed a progress between 0 and its total before it finished at 0.12 s: progress is shown while the sync runs',
    );
  });

  it('is not exercised by a sync whose first part completes what was announced (more events may come later)', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.start(80, ws, 3);
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)], true);
    b.issued(100, cur(3), [1, 2, 3]);
    b.complete(120, ws, 3, cur(3));
    b.close(120, ws);
    b.snap(120, { completed: 1, checkpoint: cur(3), store: [1, 2, 3], progress: { processed: 3, total: 3 } });
    expect(check('SYNC-13', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('SYNC-8 a short page is not the last', () => {
  /** A stream refused, then REST: the first page holds 2 events but more follow. */
  function shortPage(follow: boolean): TraceBuilder {
    const b = new TraceBuilder();
    b.sync(0);
    b.refused(0, 503, 'ws-refuse');
    b.page(40, null, { events: [1, 2], hasMore: true });
    if (follow) b.page(80, cur(2), { events: [3, 4, 5, 6], hasMore: false });
    return b;
  }

  it('passes a client that follows the cursor past a short page', () => {
    expect(check('SYNC-8', shortPage(true).ctx()).verdict).toBe('pass');
  });

  it('fails a client that stops at the short page', () => {
    const f = check('SYNC-8', shortPage(false).ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'after page c1/http#1 answered hasMore at 0.08 s, no next page was asked for (a short page of 2 events with hasMore: true is not the last): the cursor must be followed to the end',
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judge } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { eventSyncRequirements } from '../../../src/reference/event-sync/requirements/index.js';
import type { TraceEvent } from '../../../src/sim/trace.js';
import { check, cur, digestOf, ev, fallback, goodStream, TS, TraceBuilder, WS } from './trace-builder.js';

describe('event-sync requirement catalogue', () => {
  it('lists SYNC-1 … SYNC-15 with the level and sentence of docs/protocols/event-sync.md', () => {
    const doc = readFileSync(new URL('../../../docs/protocols/event-sync.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (SYNC-\d+) +\| (MUST|SHOULD) +\| (.+?) +\| (.+?) +\|$/gm)].map((r) => ({
      id: r[1],
      level: r[2],
      text: r[3]!.replaceAll('`', ''),
      source: r[4],
    }));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 15 }, (_, i) => `SYNC-${i + 1}`));
    expect(eventSyncRequirements.map((r) => ({ id: r.id, level: r.level, text: r.text, source: r.source }))).toEqual(rows);
    for (const r of eventSyncRequirements) {
      // SYNC-14 and SYNC-15 come from HTTP's RFCs: the source says nothing about 401 or Retry-After.
      expect(r.source).toMatch(/^(event-sync-websocket-streaming\.md|RFC \d+) § /);
      expect(['safety', 'liveness']).toContain(r.kind);
    }
    expect(eventSyncRequirements.filter((r) => r.level === 'SHOULD').map((r) => r.id)).toEqual(['SYNC-9', 'SYNC-14', 'SYNC-15']);
  });

  it('never crashes on a trace it does not understand', () => {
    const events = [
      { t: 0, seq: 0, ev: 'sim.start' },
      { t: 1, seq: 1, ev: 'client.snapshot', node: 'c1', state: null },
      {
        t: 2,
        seq: 2,
        ev: 'client.snapshot',
        node: 'c1',
        state: { checkpoint: 5, progress: { processed: 'x' }, store: [], completed: 'no' },
      },
      { t: 3, seq: 3, ev: 'ws.connect', id: 'c1/ws#1', node: 'c1', url: WS },
      { t: 4, seq: 4, ev: 'ws.send', id: 'c1/ws#1', dir: 'to-client', n: 0, data: '{"type":"sync.stream.batch","events":"x"}' },
      { t: 5, seq: 5, ev: 'ws.recv', id: 'c1/ws#1', dir: 'to-client', n: 0 },
      { t: 6, seq: 6, ev: 'ws.send', id: 'c1/ws#1', dir: 'to-server', n: 0, data: 'not json' },
      { t: 7, seq: 7, ev: 'http.request', id: 'c1/http#1', node: 'c1', method: 'GET', url: '::nonsense::' },
      { t: 8, seq: 8, ev: 'server.log', msg: 'rest.page', request: 7 },
      { t: 9, seq: 9, ev: 'server.log', msg: 'checkpoint.issued', count: 'x' },
      { t: 10, seq: 10, ev: 'fault.start', kind: 'app-background' },
      {
        t: 11,
        seq: 11,
        ev: 'client.snapshot',
        node: 'c1',
        state: { progress: null, checkpoint: null, completed: 1, store: { count: 2, digest: 'x' } },
      },
    ] as TraceEvent[];
    const ctx = { events, scenario: { network: 'nonsense' } as unknown as ResolvedScenario, healAt: 10, endAt: 20 };
    for (const r of eventSyncRequirements) {
      const f = judge(r, ctx);
      expect(f.evidence, r.id).not.toMatch(/could not/);
    }
    const empty = { events: [], scenario: {} as ResolvedScenario, healAt: 0, endAt: 0 };
    for (const r of eventSyncRequirements) expect(judge(r, empty).verdict, r.id).toBe('not-exercised');
  });

  it('passes the reference-shaped traces on every requirement they exercise', () => {
    for (const ctx of [goodStream().b.ctx(), fallback().b.ctx()]) {
      for (const r of eventSyncRequirements)
        expect(['pass', 'not-exercised'], `${r.id}: ${judge(r, ctx).evidence}`).toContain(judge(r, ctx).verdict);
    }
  });
});

describe('SYNC-1 the request carries the saved checkpoint', () => {
  /** After goodStream, a second sync at 5 s. */
  function second(since: string | null): TraceBuilder {
    const { b } = goodStream();
    b.sync(5000);
    b.stream(5000, since);
    b.snap(5000, { syncing: true, via: 'stream', syncs: 2 });
    return b;
  }

  it('passes when the next stream request carries the checkpoint', () => {
    const f = check('SYNC-1', second(cur(6)).ctx());
    expect(f.verdict).toBe('pass');
  });

  it('fails when it asks for everything although a checkpoint is saved', () => {
    const f = check('SYNC-1', second(null).ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `sync.stream.request on c1/ws#2 at 5.04 s asked for every event (since null) although the client had saved the checkpoint ${cur(6)}`,
    );
    expect(f.at).toBe(5040);
  });

  it('fails when since is behind the checkpoint or ahead of anything received', () => {
    expect(check('SYNC-1', second(cur(3)).ctx()).evidence).toContain('behind the saved checkpoint');
    const ahead = check('SYNC-1', second('2025-01-14T10:00:09Z#e9').ctx());
    expect(ahead.verdict).toBe('fail');
    expect(ahead.evidence).toContain('neither the saved checkpoint');
  });

  it('accepts a resume point after the checkpoint that was already received, and rejects one that was not', () => {
    expect(check('SYNC-1', fallback().b.ctx()).verdict).toBe('pass');
    const f = check('SYNC-1', fallback({ since: cur(5) }).b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`the last event delivered to c1 was ${cur(3)}`);
  });
});

describe('SYNC-2 progress', () => {
  it('passes when processed grows to total', () => {
    expect(check('SYNC-2', goodStream().b.ctx()).verdict).toBe('pass');
  });

  it('fails when processed exceeds total', () => {
    const { b } = goodStream();
    b.snap(130, { progress: { processed: 8, total: 6 } });
    const f = check('SYNC-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe('c1 showed progress 8 of 6 at 0.13 s: processed above total');
  });

  it('fails when processed goes back within a sync', () => {
    const b = new TraceBuilder();
    b.sync(0);
    b.stream(0, null);
    b.snap(0, { syncing: true, syncs: 1, progress: { processed: 0, total: 6 } });
    b.snap(100, { progress: { processed: 4, total: 6 } });
    b.snap(200, { progress: { processed: 3, total: 6 } });
    const f = check('SYNC-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe("c1's progress went back from 4 of 6 to 3 of 6 at 0.2 s (sync 1)");
  });

  it('fails when processed is not total once the sync is over, judged where the client settled it', () => {
    const { b } = goodStream(undefined, { finalProgress: 5 });
    const f = check('SYNC-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 had finished the sync that ended with c1/ws#1 at 0.12 s, but showed progress 5 of 6 at 0.12 s: processed must equal total at completion',
    );
  });

  it('does not take a new sync that shows a smaller progress for a step back (even with a stale syncs count)', () => {
    const { b } = goodStream();
    b.sync(5000);
    b.stream(5000, cur(6));
    b.snap(5080, { syncing: true, progress: { processed: 0, total: 2 } });
    expect(check('SYNC-2', b.ctx()).verdict).toBe('pass');
  });
});

describe('SYNC-3 the checkpoint is saved on completion only', () => {
  it('passes when it changes on completion to the final checkpoint', () => {
    expect(check('SYNC-3', goodStream().b.ctx()).verdict).toBe('pass');
    expect(check('SYNC-3', fallback().b.ctx()).verdict).toBe('pass');
  });

  it('fails when it is saved after a batch', () => {
    const { b } = goodStream(undefined, { checkpointPerBatch: true });
    const f = check('SYNC-3', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `c1 saved the checkpoint ${cur(3)} at 0.1 s before any sync had completed with it (the last final checkpoint it received was none): a checkpoint is saved only on completion`,
    );
  });

  it('fails when it is lost across an app restart, or goes backwards', () => {
    const { b } = goodStream();
    b.restart(3000);
    b.snap(3000, { checkpoint: null, completed: 0, syncs: 0 });
    expect(check('SYNC-3', b.ctx()).evidence).toContain('was lost at 3.0 s (across the app restart)');
    const back = goodStream().b;
    back.snap(200, { checkpoint: cur(6) });
    back.snap(300, { checkpoint: cur(2) });
    const f = check('SYNC-3', back.ctx());
    expect(f.verdict).toBe('fail');
  });
});

describe('SYNC-4 a stream failure closes the socket and falls back at once', () => {
  it('passes a reset followed by the REST fallback', () => {
    expect(check('SYNC-4', fallback().b.ctx()).verdict).toBe('pass');
  });

  it('fails when the socket stays open after sync.stream.error', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, syncs: 1 });
    b.start(80, ws, 6);
    b.frame(100, ws, { type: 'sync.stream.error', error: 'Database connection failed', code: 'DB_ERROR' });
    b.close(10_100, ws, 4000);
    b.page(10_100, null, { events: [1, 2, 3, 4, 5, 6], hasMore: false });
    const f = check('SYNC-4', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'sync.stream.error DB_ERROR ("Database connection failed") arrived on c1/ws#1 at 0.1 s, but the client had not closed c1/ws#1 290 ms later (it ended at 10.1 s)',
    );
    expect(f.at).toBe(390);
  });

  it('fails when REST starts while the stream is still open', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.start(80, ws, 6);
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
    const page = b.page(2100, cur(3), { events: [4, 5, 6], hasMore: false });
    b.close(2200, ws);
    const f = check('SYNC-4', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `page request ${page} started at 2.1 s while the stream ${ws} (connected at 0.0 s) was still open: never stream and REST at once`,
    );
  });

  it('fails when a stalled stream is not abandoned, and passes when it is after 10 s', () => {
    const stalled = (closeAt: number): TraceBuilder => {
      const b = new TraceBuilder();
      b.sync(0);
      const ws = b.stream(0, null);
      b.start(80, ws, 6);
      b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
      b.close(closeAt, ws, 4000);
      b.page(closeAt, cur(3), { events: [4, 5, 6], hasMore: false });
      return b;
    };
    expect(check('SYNC-4', stalled(10_100).ctx()).verdict).toBe('pass');
    const f = check('SYNC-4', stalled(25_000).ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('nothing arrived on c1/ws#1 from 0.1 s on, but the client still held the stalled stream');
  });
});

describe('SYNC-5 the store holds exactly the valid events up to the checkpoint', () => {
  it('passes when count and digest match the issued checkpoint', () => {
    expect(check('SYNC-5', goodStream().b.ctx()).verdict).toBe('pass');
  });

  it('fails when an event at an equal-timestamp boundary is missing', () => {
    const { b } = goodStream(undefined, { finalStore: [1, 2, 3, 4, 6] });
    const f = check('SYNC-5', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `after the sync that completed at 0.12 s with checkpoint ${cur(6)}, c1's store held 5 events (digest ${digestOf([1, 2, 3, 4, 6])}) where the server's valid events up to ${cur(6)} are 6 (digest ${digestOf([1, 2, 3, 4, 5, 6])}): 1 missing (lost at a batch, page or equal-timestamp boundary?)`,
    );
  });

  it('judges a client that never reports the completion where it had settled the sync (before its next sync)', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, syncs: 1 });
    b.batch(100, ws, 0, [ev(1), ev(2), ev(3)], true);
    b.frame(80, ws, { type: 'sync.stream.start', totalEvents: 3 });
    b.snap(100, { store: [1, 2] });
    b.issued(100, cur(3), [1, 2, 3]);
    b.complete(120, ws, 3, cur(3));
    b.close(120, ws);
    b.stream(3000, cur(3));
    const f = check('SYNC-5', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain("judged at 0.1 s, before the client's next step");
    expect(f.evidence).toContain('1 missing');
  });

  it('fails when the checkpoint is saved before the store holds what it covers', () => {
    const { b } = goodStream(undefined, { finalStore: [1, 2, 3] });
    b.snap(200, { store: [1, 2, 3, 4, 5, 6] });
    const f = check('SYNC-5', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('3 missing');
  });

  it('is not exercised without a completion', () => {
    const b = new TraceBuilder();
    b.sync(0);
    expect(check('SYNC-5', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('SYNC-6 invalid events are skipped and counted, never stored, never abort', () => {
  /** A stream whose first batch carries an invalid e2. */
  function withInvalid(o: { skipped: number; store: number[]; closeAt?: number }): { b: TraceBuilder; ws: string } {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.snap(0, { syncing: true, syncs: 1 });
    b.start(80, ws, 6);
    b.snap(80, { progress: { processed: 0, total: 6 } });
    b.batch(100, ws, 0, [ev(1), ev(2, false), ev(3)]);
    b.snap(100, { progress: { processed: 3, total: 6 }, store: o.store, skipped: o.skipped });
    if (o.closeAt !== undefined) {
      b.close(o.closeAt, ws, 4000);
      b.page(o.closeAt, cur(1), { events: [3], invalid: [2], hasMore: false });
    }
    return { b, ws };
  }

  it('passes when the invalid event is skipped and counted', () => {
    expect(check('SYNC-6', withInvalid({ skipped: 1, store: [1, 3] }).b.ctx()).verdict).toBe('pass');
  });

  it('fails when it is not counted, or stored', () => {
    const f = check('SYNC-6', withInvalid({ skipped: 0, store: [1, 2, 3] }).b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      "by 0.1 s (the run ended) c1's skipped count had risen by 0 since the app started, but 1 distinct invalid event had been delivered to it (the first in batch 0 on c1/ws#1 at 0.1 s, e2): invalid events are skipped and counted (and 1 more violation)",
    );
  });

  it('fails when the stream is abandoned right after it', () => {
    const f = check('SYNC-6', withInvalid({ skipped: 1, store: [1, 3], closeAt: 100 }).b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('the client closed c1/ws#1 at 0.1 s right after batch 0 on c1/ws#1 carried invalid event (e2)');
  });

  it('fails when a REST page with an invalid event is asked for again', () => {
    const b = new TraceBuilder();
    b.sync(0);
    const ws = b.stream(0, null);
    b.reset(50, ws);
    b.page(50, null, { events: [1, 3], invalid: [2], hasMore: true });
    b.snap(90, { syncing: true, syncs: 1, store: [1, 3], skipped: 1, progress: { processed: 3, total: 6 } });
    const again = b.page(1090, null, { events: [1, 3], invalid: [2], hasMore: true });
    b.snap(1130, { skipped: 2, progress: { processed: 6, total: 9 } });
    const f = check('SYNC-6', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `after page c1/http#1 (since none) carried 1 invalid event, ${again} at 1.09 s asked for the same page again instead of skipping it`,
    );
  });
});

describe('SYNC-7 one sync at a time', () => {
  it('passes one stream after another', () => {
    const { b } = goodStream();
    b.stream(5000, cur(6));
    expect(check('SYNC-7', b.ctx()).verdict).toBe('pass');
  });

  it('fails on a second stream while the first is live', () => {
    const b = new TraceBuilder();
    b.sync(0);
    b.stream(0, null);
    const second = b.stream(1000, null);
    const f = check('SYNC-7', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `c1 connected a second stream ${second} at 1.0 s while c1/ws#1 (connected at 0.0 s) was still running: one sync at a time`,
    );
  });

  it('fails on overlapping page requests', () => {
    const b = new TraceBuilder();
    b.page(0, null, { events: [1, 2, 3], hasMore: true });
    b.page(10, null, { events: [1, 2, 3], hasMore: true });
    expect(check('SYNC-7', b.ctx()).evidence).toContain('started page request c1/http#2 at 0.01 s while c1/http#1');
  });
});

describe('SYNC-8 REST pages of 100 follow the cursor to the end', () => {
  function paging(nextSince: string | null, at = 40, limit?: number): TraceBuilder {
    const b = new TraceBuilder();
    b.page(0, null, { events: [1, 2, 3], hasMore: true, limit });
    b.page(at, nextSince, { events: [4, 5, 6], hasMore: false });
    return b;
  }

  it('passes when the next page follows nextCursor at once', () => {
    expect(check('SYNC-8', paging(cur(3)).ctx()).verdict).toBe('pass');
  });

  it('fails when the cursor is not followed', () => {
    const f = check('SYNC-8', paging(TS[2]!).ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `after page c1/http#1 answered hasMore with nextCursor ${cur(3)}, c1/http#2 asked since ${TS[2]}: the cursor must be followed`,
    );
  });

  it('fails on pages of another size, and when the next page comes late or never', () => {
    expect(check('SYNC-8', paging(cur(3), 40, 1000).ctx()).evidence).toContain('asked for limit=1000: pages are 100 events');
    expect(check('SYNC-8', paging(cur(3), 5000).ctx()).evidence).toContain('the next page (c1/http#2) came only at 5.0 s');
    const b = new TraceBuilder();
    b.page(0, null, { events: [1, 2, 3], hasMore: true });
    expect(check('SYNC-8', b.ctx()).evidence).toContain('no next page was asked for');
  });

  it('passes a failed page retried within 30 s, fails one never retried', () => {
    const retried = new TraceBuilder();
    retried.page(0, null, { events: [], hasMore: false, status: 503 });
    retried.page(1040, null, { events: [1, 2, 3, 4, 5, 6], hasMore: false });
    expect(check('SYNC-8', retried.ctx()).verdict).toBe('pass');
    const dropped = new TraceBuilder();
    dropped.page(0, null, { events: [], hasMore: false, status: 503 });
    expect(check('SYNC-8', dropped.ctx()).evidence).toBe(
      'after page c1/http#1 answered 503 at 0.04 s, it was never retried (bound 30.29 s)',
    );
  });
});

describe('SYNC-9 resumable streams', () => {
  it('passes when the fallback resumes from the last event received', () => {
    expect(check('SYNC-9', fallback().b.ctx()).verdict).toBe('pass');
  });

  it('is violated when the fallback starts from the checkpoint again', () => {
    const f = check('SYNC-9', fallback({ since: null, pageEvents: [1, 2, 3, 4, 5, 6], store: [1, 2, 3, 4, 5, 6] }).b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `after c1/ws#1 closed with 1006 at 0.11 s before sync.stream.complete (the stream had delivered up to ${cur(3)}), page request c1/http#1 at 0.11 s asked since none: it downloads again what was already applied`,
    );
  });
});

describe('SYNC-10 the fallback neither loses nor doubles applied events', () => {
  it('passes when the fallback completes with each event once', () => {
    expect(check('SYNC-10', fallback().b.ctx()).verdict).toBe('pass');
  });

  it('fails when the fallback applies re-downloaded events again', () => {
    const f = check('SYNC-10', fallback({ since: null, pageEvents: [1, 2, 3, 4, 5, 6], store: [1, 2, 3, 1, 2, 3, 4, 5, 6] }).b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `after c1/ws#1 closed with 1006 at 0.11 s before sync.stream.complete, the fallback ended at 0.15 s with 9 events in the store where the server's valid events up to ${cur(6)} are 6: 3 applied twice`,
    );
  });

  it('fails when the store shrinks after the failure', () => {
    const { b } = fallback();
    b.snap(120, { store: [4] });
    const f = check('SYNC-10', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain("c1's store shrank from 3 to 1 events at 0.12 s");
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judge, type CheckContext, type Finding } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { eventSyncRequirements } from '../../../src/reference/event-sync/requirements.js';
import { digestAdd, digestHex } from '../../../src/reference/event-sync/wire.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel records them (docs/trace-format.md). The default
// link is 20 ms each way, so T = 250 ms + 2 × 20 ms = 290 ms; a stream stalls after 10 s.

const WS = 'ws://lockstep.test/v1/sync/stream';
const pageUrl = (since: string | null, limit = 100) =>
  `http://lockstep.test/v1/sync/events?${since === null ? '' : `since=${encodeURIComponent(since)}&`}limit=${limit}`;

/** Six events: e1 e2 share a second, e3 e4 e5 another, e6 a third. */
const TS = [
  '2025-01-14T10:00:00Z',
  '2025-01-14T10:00:00Z',
  '2025-01-14T10:00:01Z',
  '2025-01-14T10:00:01Z',
  '2025-01-14T10:00:01Z',
  '2025-01-14T10:00:02Z',
];
const ev = (i: number, valid = true) => ({
  id: `e${i}`,
  timestamp: TS[i - 1]!,
  type: valid ? 'task.created' : 'task.archived.v2',
  payload: { entity: `t${i}` },
});
const cur = (i: number) => `${TS[i - 1]}#e${i}`;
const digestOf = (ids: number[]) => digestHex(ids.reduce((d, i) => digestAdd(d, `e${i}`), 0));

interface SnapFields {
  syncing?: boolean;
  via?: 'stream' | 'rest' | null;
  progress?: { processed: number; total: number } | null;
  syncs?: number;
  completed?: number;
  checkpoint?: string | null;
  /** Stored event numbers (with multiplicity). */
  store?: number[];
  skipped?: number;
}

/**
 * A tiny trace builder. Steps may be added out of time order; `ctx()` sorts them by time,
 * keeping the call order within one instant, and numbers them (`seq`).
 */
class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private ws = 0;
  private http = 0;
  private frames = new Map<string, number>();
  private state: Required<SnapFields> = {
    syncing: false,
    via: null,
    progress: null,
    syncs: 0,
    completed: 0,
    checkpoint: null,
    store: [],
    skipped: 0,
  };

  constructor() {
    this.add(0, 'sim.start', { seed: 1, startTime: '2025-01-15T09:00:00.000Z', clients: ['c1'], origin: 'http://lockstep.test' });
    this.snap(0, {});
  }

  add(t: number, ev: string, fields: Record<string, unknown> = {}): TraceEvent {
    const e: TraceEvent = { t, seq: -1, ev, ...fields };
    this.events.push(e);
    return e;
  }

  /** A snapshot: the previous one with `fields` changed. */
  snap(t: number, fields: SnapFields): this {
    this.state = { ...this.state, ...fields };
    const s = this.state;
    this.add(t, 'client.snapshot', {
      node: 'c1',
      state: {
        authError: false,
        checkpoint: s.checkpoint,
        completed: s.completed,
        progress: s.progress,
        skipped: s.skipped,
        store: { count: s.store.length, digest: digestOf(s.store) },
        syncing: s.syncing,
        syncs: s.syncs,
        via: s.via,
      },
    });
    return this;
  }

  sync(t: number): this {
    this.add(t, 'client.action', { do: 'sync', node: 'c1' });
    return this;
  }

  /** A stream socket connected at t, open at t + 40, its request sent then. Returns its id. */
  stream(t: number, since: string | null): string {
    const id = `c1/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node: 'c1', url: WS });
    this.add(t + 20, 'ws.upgrade', { id, path: '/v1/sync/stream' });
    this.add(t + 20, 'ws.accept', { id });
    this.add(t + 40, 'ws.open', { id });
    this.add(t + 40, 'ws.send', { id, dir: 'to-server', n: 0, data: JSON.stringify({ type: 'sync.stream.request', since }) });
    return id;
  }

  /** A server frame arriving at t (sent 20 ms before). */
  frame(t: number, id: string, frame: unknown): TraceEvent {
    const n = this.frames.get(id) ?? 0;
    this.frames.set(id, n + 1);
    this.add(t - 20, 'ws.send', { id, dir: 'to-client', n, data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
    return this.add(t, 'ws.recv', { id, dir: 'to-client', n });
  }
  start(t: number, id: string, totalEvents: number): TraceEvent {
    return this.frame(t, id, { type: 'sync.stream.start', totalEvents });
  }
  batch(t: number, id: string, batchIndex: number, events: unknown[], isLast = false): TraceEvent {
    return this.frame(t, id, { type: 'sync.stream.batch', events, batchIndex, isLast });
  }
  complete(t: number, id: string, processedEvents: number, newCheckpoint: string | null): TraceEvent {
    return this.frame(t, id, { type: 'sync.stream.complete', processedEvents, newCheckpoint });
  }
  /** The client closes the socket at t. */
  close(t: number, id: string, code = 1000): TraceEvent {
    const e = this.add(t, 'ws.closing', { id, side: 'client', code });
    this.add(t + 40, 'ws.close', { id, side: 'client', code, wasClean: true });
    return e;
  }
  /** The connection is reset at t. */
  reset(t: number, id: string): TraceEvent {
    this.add(t, 'ws.reset', { id, reason: 'ws-reset (fault entry 0)' });
    return this.add(t, 'ws.close', { id, side: 'client', code: 1006, wasClean: false, why: 'ws-reset (fault entry 0)' });
  }

  /** A page request at t answered 40 ms later (served at t + 20). */
  page(
    t: number,
    since: string | null,
    answer: { events: number[]; invalid?: number[]; hasMore: boolean; status?: number; limit?: number },
  ): string {
    const id = `c1/http#${++this.http}`;
    this.add(t, 'http.request', { id, node: 'c1', method: 'GET', url: pageUrl(since, answer.limit) });
    this.add(t + 20, 'http.serve', { id, method: 'GET', path: '/v1/sync/events' });
    const status = answer.status ?? 200;
    if (status === 200) {
      const all = [...answer.events, ...(answer.invalid ?? [])].sort((a, b) => a - b);
      const last = all.length ? cur(all[all.length - 1]!) : since;
      this.add(t + 20, 'server.log', {
        msg: 'rest.page',
        request: id,
        since: since ?? undefined,
        limit: 100,
        count: all.length,
        invalid: answer.invalid?.length || undefined,
        first: all.length ? cur(all[0]!) : undefined,
        last: all.length ? last : undefined,
        nextCursor: last ?? undefined,
        hasMore: answer.hasMore,
        totalEvents: all.length,
      });
    }
    this.add(t + 20, 'http.respond', { id, status, bytes: 100 });
    this.add(t + 40, 'http.response', { id, status, bytes: 100 });
    return id;
  }

  issued(t: number, checkpoint: string | null, valid: number[]): this {
    this.add(t, 'server.log', {
      msg: 'checkpoint.issued',
      checkpoint: checkpoint ?? undefined,
      count: valid.length,
      digest: digestOf(valid),
    });
    return this;
  }

  restart(t: number): this {
    this.add(t, 'client.action', { do: 'restart', node: 'c1' });
    this.add(t, 'client.restart', { node: 'c1', incarnation: 1 });
    return this;
  }

  ctx(opts: { endAt?: number } = {}): CheckContext {
    const sorted = this.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i);
    this.events.splice(0, this.events.length, ...sorted.map((x) => x.e));
    const last = this.events[this.events.length - 1]!;
    const endAt = opts.endAt ?? last.t + 60_000;
    this.add(endAt, 'sim.end');
    this.events.forEach((e, i) => (e.seq = i));
    const scenario: ResolvedScenario = {
      protocol: 'event-sync',
      name: 'hand-built',
      description: '',
      seed: 1,
      duration: endAt,
      heal: 0,
      clients: ['c1'],
      network: {},
      server: { variant: 'reference', options: {} },
      faults: [],
      actions: [],
      requirements: eventSyncRequirements.map((r) => r.id),
      expect: {},
    };
    return { events: this.events, scenario, healAt: endAt, endAt };
  }
}

function check(id: string, ctx: CheckContext): Finding {
  const req = eventSyncRequirements.find((r) => r.id === id);
  if (!req) throw new Error(`no requirement ${id}`);
  return judge(req, ctx);
}

/**
 * A fresh sync over the stream, as the reference client does it: six events in two
 * batches of three, completion with checkpoint e6; the socket is closed after it.
 */
function goodStream(b = new TraceBuilder(), o: { closeAt?: number; checkpointPerBatch?: boolean } = {}): { b: TraceBuilder; ws: string } {
  b.sync(0);
  const ws = b.stream(0, null);
  b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
  b.start(80, ws, 6);
  b.snap(80, { progress: { processed: 0, total: 6 } });
  b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
  b.snap(100, { progress: { processed: 3, total: 6 }, store: [1, 2, 3], checkpoint: o.checkpointPerBatch ? cur(3) : null });
  b.batch(120, ws, 1, [ev(4), ev(5), ev(6)], true);
  b.snap(120, { progress: { processed: 6, total: 6 }, store: [1, 2, 3, 4, 5, 6] });
  b.issued(100, cur(6), [1, 2, 3, 4, 5, 6]);
  b.complete(120, ws, 6, cur(6));
  b.close(o.closeAt ?? 120, ws);
  b.snap(120, { syncing: false, via: null, completed: 1, checkpoint: cur(6) });
  return { b, ws };
}

/**
 * A stream that fails after its first batch (reset at 110), and the REST fallback from
 * the resume point e3: one page of e4..e6, final.
 */
function fallback(o: { since?: string | null; store?: number[]; pageEvents?: number[] } = {}): {
  b: TraceBuilder;
  ws: string;
  page: string;
} {
  const b = new TraceBuilder();
  b.sync(0);
  const ws = b.stream(0, null);
  b.snap(0, { syncing: true, via: 'stream', syncs: 1 });
  b.start(80, ws, 6);
  b.snap(80, { progress: { processed: 0, total: 6 } });
  b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
  b.snap(100, { progress: { processed: 3, total: 6 }, store: [1, 2, 3] });
  b.reset(110, ws);
  const since = o.since === undefined ? cur(3) : o.since;
  const page = b.page(110, since, { events: o.pageEvents ?? [4, 5, 6], hasMore: false });
  b.snap(110, { via: 'rest' });
  b.issued(130, cur(6), [1, 2, 3, 4, 5, 6]);
  const processed = 3 + (o.pageEvents ?? [4, 5, 6]).length;
  b.snap(150, {
    syncing: false,
    via: null,
    progress: { processed, total: processed },
    completed: 1,
    checkpoint: cur(6),
    store: o.store ?? [1, 2, 3, 4, 5, 6],
  });
  return { b, ws, page };
}

describe('event-sync requirement catalogue', () => {
  it('lists SYNC-1 … SYNC-10 with the level and sentence of docs/protocols/event-sync.md', () => {
    const doc = readFileSync(new URL('../../../docs/protocols/event-sync.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (SYNC-\d+) +\| (MUST|SHOULD) +\| (.+?) +\| (.+?) +\|$/gm)].map((r) => ({
      id: r[1],
      level: r[2],
      text: r[3]!.replaceAll('`', ''),
      source: r[4],
    }));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `SYNC-${i + 1}`));
    expect(eventSyncRequirements.map((r) => ({ id: r.id, level: r.level, text: r.text, source: r.source }))).toEqual(rows);
    for (const r of eventSyncRequirements) {
      expect(r.source).toMatch(/^event-sync-websocket-streaming\.md § /);
      expect(['safety', 'liveness']).toContain(r.kind);
    }
    expect(eventSyncRequirements.filter((r) => r.level === 'SHOULD').map((r) => r.id)).toEqual(['SYNC-9']);
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

  it('fails when processed goes back within a sync, or is not total at completion', () => {
    const b = new TraceBuilder();
    b.sync(0);
    b.snap(0, { syncing: true, syncs: 1, progress: { processed: 0, total: 6 } });
    b.snap(100, { progress: { processed: 4, total: 6 } });
    b.snap(200, { progress: { processed: 3, total: 6 } });
    b.snap(300, { progress: { processed: 5, total: 6 }, completed: 1, syncing: false });
    const f = check('SYNC-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('went back from 4 of 6 to 3 of 6');
    expect(f.evidence).toContain('and 1 more violation');
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
    const { b } = goodStream();
    b.snap(120, { store: [1, 2, 3, 4, 6] });
    b.snap(130, { completed: 2 });
    const f = check('SYNC-5', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `after the sync that completed at 0.13 s with checkpoint ${cur(6)}, c1's store held 5 events (digest ${digestOf([1, 2, 3, 4, 6])}) where the server's valid events up to that checkpoint are 6 (digest ${digestOf([1, 2, 3, 4, 5, 6])}): 1 missing (lost at a batch, page or equal-timestamp boundary?)`,
    );
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
      'after batch 0 on c1/ws#1 at 0.1 s (1 invalid event, e.g. e2) the skipped count rose by 0, not 1 (and 1 more violation)',
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
    const { b } = goodStream(undefined, { closeAt: 2000 });
    const second = b.stream(1000, null);
    const f = check('SYNC-7', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `c1 connected a second stream ${second} at 1.0 s while c1/ws#1 (connected at 0.0 s) was still live: one sync at a time`,
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
      `after c1/ws#1 closed with 1006 at 0.11 s before sync.stream.complete, the fallback completed at 0.15 s with 9 events in the store where the server's valid events up to ${cur(6)} are 6: 3 applied twice`,
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

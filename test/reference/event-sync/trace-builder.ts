import type { CheckContext, Finding } from '../../../src/conformance/requirement.js';
import { judge } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { eventSyncRequirements } from '../../../src/reference/event-sync/requirements/index.js';
import { digestAdd, digestHex } from '../../../src/reference/event-sync/wire.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel records them (docs/trace-format.md). The default
// link is 20 ms each way, so T = 250 ms + 2 × 20 ms = 290 ms; a stream stalls after 10 s.

export const WS = 'ws://lockstep.test/v1/sync/stream';
export const pageUrl = (since: string | null, limit = 100) =>
  `http://lockstep.test/v1/sync/events?${since === null ? '' : `since=${encodeURIComponent(since)}&`}limit=${limit}`;

/** Six events: e1 e2 share a second, e3 e4 e5 another, e6 a third (e7–e9 follow in later seconds). */
export const TS = [
  '2025-01-14T10:00:00Z',
  '2025-01-14T10:00:00Z',
  '2025-01-14T10:00:01Z',
  '2025-01-14T10:00:01Z',
  '2025-01-14T10:00:01Z',
  '2025-01-14T10:00:02Z',
  '2025-01-14T10:00:03Z',
  '2025-01-14T10:00:04Z',
  '2025-01-14T10:00:05Z',
];
export const ev = (i: number, valid = true) => ({
  id: `e${i}`,
  timestamp: TS[i - 1]!,
  type: valid ? 'task.created' : 'task.archived.v2',
  payload: { entity: `t${i}` },
});
export const cur = (i: number) => `${TS[i - 1]}#e${i}`;
export const digestOf = (ids: number[]) => digestHex(ids.reduce((d, i) => digestAdd(d, `e${i}`), 0));

export interface SnapFields {
  syncing?: boolean;
  via?: 'stream' | 'rest' | null;
  progress?: { processed: number; total: number } | null;
  syncs?: number;
  completed?: number;
  checkpoint?: string | null;
  /** Stored event numbers (with multiplicity). */
  store?: number[];
  skipped?: number;
  /** Show the digest in upper case. */
  upper?: boolean;
}

/**
 * A tiny trace builder. Steps may be added out of time order; `ctx()` sorts them by time,
 * keeping the call order within one instant, and numbers them (`seq`).
 */
export class TraceBuilder {
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
    upper: false,
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
    const digest = digestOf(s.store);
    return this.raw(t, {
      authError: false,
      checkpoint: s.checkpoint,
      completed: s.completed,
      progress: s.progress,
      skipped: s.skipped,
      store: { count: s.store.length, digest: s.upper ? digest.toUpperCase() : digest },
      syncing: s.syncing,
      syncs: s.syncs,
      via: s.via,
    });
  }

  /** A snapshot exactly as given. */
  raw(t: number, state: unknown): this {
    this.add(t, 'client.snapshot', { node: 'c1', state });
    return this;
  }

  sync(t: number): this {
    this.add(t, 'client.action', { do: 'sync', node: 'c1' });
    return this;
  }

  /**
   * A stream socket connected at t, open at t + 40, its request sent then (as a binary
   * frame when asked; not at all with `request: false`). Returns its id.
   */
  stream(t: number, since: string | null, o: { binary?: boolean; request?: boolean } = {}): string {
    const id = `c1/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node: 'c1', url: WS });
    this.add(t + 20, 'ws.upgrade', { id, path: '/v1/sync/stream' });
    this.add(t + 20, 'ws.accept', { id });
    this.add(t + 40, 'ws.open', { id });
    if (o.request === false) return id;
    const text = JSON.stringify({ type: 'sync.stream.request', since });
    if (o.binary) this.add(t + 40, 'ws.send', { id, dir: 'to-server', n: 0, binary: true, data: Buffer.from(text).toString('base64') });
    else this.add(t + 40, 'ws.send', { id, dir: 'to-server', n: 0, data: text });
    return id;
  }

  /** A stream whose upgrade the server refused at t + 20 (the client sees the failure at t + 40). */
  refused(t: number, status: number, reason: string): string {
    const id = `c1/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node: 'c1', url: WS });
    this.add(t + 20, 'ws.upgrade', { id, path: '/v1/sync/stream' });
    this.add(t + 20, 'server.log', { msg: 'upgrade.rejected', request: id, path: '/v1/sync/stream', status, reason });
    this.add(t + 20, 'ws.refuse', { id, status });
    this.add(t + 40, 'ws.fail', { id, reason: `upgrade refused with HTTP ${status}`, status });
    this.add(t + 40, 'ws.close', { id, side: 'client', code: 1006, wasClean: false });
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
        invalidIds: answer.invalid?.length ? answer.invalid.map((i) => `e${i}`) : undefined,
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
    } as unknown as ResolvedScenario;
    return { events: this.events, scenario, healAt: endAt, endAt };
  }
}

export function check(id: string, ctx: CheckContext): Finding {
  const req = eventSyncRequirements.find((r) => r.id === id);
  if (!req) throw new Error(`no requirement ${id}`);
  return judge(req, ctx);
}

/**
 * A fresh sync over the stream, as the reference client does it: six events in two
 * batches of three, completion with checkpoint e6; the socket is closed after it.
 */
export function goodStream(
  b = new TraceBuilder(),
  o: {
    closeAt?: number;
    checkpointPerBatch?: boolean;
    finalStore?: number[];
    finalProgress?: number;
    upper?: boolean;
    binary?: boolean;
  } = {},
): { b: TraceBuilder; ws: string } {
  b.sync(0);
  const ws = b.stream(0, null, { binary: o.binary });
  b.snap(0, { syncing: true, via: 'stream', syncs: 1, upper: o.upper });
  b.start(80, ws, 6);
  b.snap(80, { progress: { processed: 0, total: 6 } });
  b.batch(100, ws, 0, [ev(1), ev(2), ev(3)]);
  b.snap(100, { progress: { processed: 3, total: 6 }, store: [1, 2, 3], checkpoint: o.checkpointPerBatch ? cur(3) : null });
  b.batch(120, ws, 1, [ev(4), ev(5), ev(6)], true);
  b.snap(120, { progress: { processed: o.finalProgress ?? 6, total: 6 }, store: o.finalStore ?? [1, 2, 3, 4, 5, 6] });
  b.issued(100, cur(6), [1, 2, 3, 4, 5, 6]);
  b.complete(120, ws, 6, cur(6));
  if (o.closeAt !== Infinity) b.close(o.closeAt ?? 120, ws);
  b.snap(120, { syncing: false, via: null, completed: 1, checkpoint: cur(6) });
  return { b, ws };
}

/**
 * A stream that fails after its first batch (reset at 110), and the REST fallback from
 * the resume point e3: one page of e4..e6, final.
 */
export function fallback(o: { since?: string | null; store?: number[]; pageEvents?: number[]; upper?: boolean } = {}): {
  b: TraceBuilder;
  ws: string;
  page: string;
} {
  const b = new TraceBuilder();
  b.sync(0);
  const ws = b.stream(0, null);
  b.snap(0, { syncing: true, via: 'stream', syncs: 1, upper: o.upper });
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

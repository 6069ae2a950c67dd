import { describe, expect, it } from 'vitest';
import {
  createEventLog,
  expectedUpTo,
  handleHttp,
  indexAfter,
  resolveEventSyncConfig,
  streamStep,
  handleStreamFrame,
  appendEvents,
} from '../../../src/reference/event-sync/server-core.js';
import {
  EventSyncServerOptionsError,
  abandonAfter,
  createEventSyncServer,
  parseEventSyncServerOptions,
  syncRevokedCloseCode,
  type EventSyncServerOptions,
  type EventSyncServerVariant,
} from '../../../src/reference/event-sync/server.js';
import {
  comparePositions,
  cursorOf,
  digestAdd,
  digestHex,
  fnv1a32,
  isValidEvent,
  parseClientFrame,
  parseCursor,
  parseRestPage,
  parseServerFrame,
  restPageUrl,
  syncPaths,
  type RestPage,
  type SyncServerFrame,
  type WireEvent,
} from '../../../src/reference/event-sync/wire.js';
import { Random } from '../../../src/sim/random.js';
import { Simulation, type SimulationOptions } from '../../../src/sim/simulation.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// A small hand-written client drives the server through the simulated network. Default
// link: 20 ms each way: a request sent at t is served at t+20 and answered at t+40; a
// socket opened at t is open at t+40, its request reaches the server at t+60.

function setup(
  options: EventSyncServerOptions = { events: 250 },
  variant: EventSyncServerVariant = 'reference',
  sim: Partial<SimulationOptions> = {},
): Simulation {
  return new Simulation({ seed: 5, server: createEventSyncServer(options, variant), clients: ['c1'], ...sim });
}

interface Reply {
  at: number;
  status?: number;
  body?: unknown;
}

function get(
  sim: Simulation,
  t: number,
  o: { since?: string | null; path?: string; token?: string | null; method?: string; limit?: number } = {},
): Reply {
  const out: Reply = { at: -1 };
  sim.at(t, 'c1', 'test-get', () => {
    const env = sim.env('c1');
    const token = o.token === undefined ? env.token : o.token;
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let path = o.path ?? restPageUrl(o.since ?? null);
    if (o.limit !== undefined) path = path.replace('limit=100', `limit=${o.limit}`);
    void env.fetch(path, { headers, method: o.method ?? 'GET' }).then(async (r) => {
      out.at = sim.now;
      out.status = r.status;
      const text = await r.text();
      out.body = text ? JSON.parse(text) : undefined;
    });
  });
  return out;
}

const page = (r: Reply): RestPage => {
  expect(r.status).toBe(200);
  return parseRestPage(r.body);
};

interface Stream {
  log: string[];
  frames: SyncServerFrame[];
  raw: string[];
  close?: number;
}

/** Opens a stream socket at `t` and sends `sync.stream.request {since}` once it is open. */
function stream(
  sim: Simulation,
  t: number,
  o: { since?: string | null; token?: string | null; path?: string; send?: string } = {},
): Stream {
  const s: Stream = { log: [], frames: [], raw: [] };
  sim.at(t, 'c1', 'test-stream', () => {
    const env = sim.env('c1');
    const token = o.token === undefined ? env.token : o.token;
    const ws = new env.WebSocket(
      o.path ?? syncPaths.stream,
      undefined,
      token === null ? undefined : { headers: { authorization: `Bearer ${token}` } },
    );
    ws.onopen = () => {
      s.log.push(`${sim.now} open`);
      ws.send(o.send ?? JSON.stringify({ type: 'sync.stream.request', since: o.since ?? null }));
    };
    ws.onerror = () => s.log.push(`${sim.now} error`);
    ws.onclose = (e) => {
      s.close = e.code;
      s.log.push(`${sim.now} close ${e.code}`);
    };
    ws.onmessage = (e) => {
      s.raw.push(e.data as string);
      try {
        const f = parseServerFrame(e.data);
        s.frames.push(f);
        s.log.push(`${sim.now} ${f.type}${f.type === 'sync.stream.batch' ? ` #${f.batchIndex} (${f.events.length})` : ''}`);
      } catch (err) {
        s.log.push(`${sim.now} malformed: ${(err as Error).message}`);
      }
    };
  });
  return s;
}

function logs(sim: Simulation, msg: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === 'server.log' && e.msg === msg);
}

const batches = (s: Stream) =>
  s.frames.filter((f): f is Extract<SyncServerFrame, { type: 'sync.stream.batch' }> => f.type === 'sync.stream.batch');
const streamed = (s: Stream): WireEvent[] => batches(s).flatMap((b) => b.events);
const ready = (sim: Simulation) => logs(sim, 'log.ready')[0]!;

describe('event-sync server: the event log', () => {
  it('writes whole-second RFC 3339 timestamps that never go backwards, several events sharing one, ids in order', async () => {
    const sim = setup({ events: 250, ties: 6, batchSize: 1000 });
    const s = stream(sim, 0);
    await sim.run(1000);
    const events = streamed(s);
    expect(events).toHaveLength(250);
    expect(events.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(e.timestamp))).toBe(true);
    for (let i = 1; i < events.length; i++)
      expect(comparePositions(parseCursor(cursorOf(events[i - 1]!))!, parseCursor(cursorOf(events[i]!))!)).toBeLessThan(0);
    const perSecond = new Map<string, number>();
    for (const e of events) perSecond.set(e.timestamp, (perSecond.get(e.timestamp) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeGreaterThan(1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(6);
    expect(events[0]!.id).toBe('ev-0000001');
    // The history ends before the run starts (2025-01-15T09:00:00Z).
    expect(Date.parse(events[249]!.timestamp)).toBeLessThan(Date.UTC(2025, 0, 15, 9));
    expect(ready(sim)).toMatchObject({
      events: 250,
      valid: 250,
      invalid: 0,
      batchSize: 1000,
      ties: 6,
      first: cursorOf(events[0]!),
      last: cursorOf(events[249]!),
    });
  });

  it('marks the share of invalid events asked for: positioned, but of an unknown type or without a payload object', async () => {
    const sim = setup({ events: 2000, invalid: 0.1, batchSize: 2000 });
    const s = stream(sim, 0);
    await sim.run(1000);
    const events = streamed(s);
    const invalid = events.filter((e) => !isValidEvent(e));
    expect(invalid.length).toBeGreaterThan(150);
    expect(invalid.length).toBeLessThan(250);
    expect(ready(sim).invalid).toBe(invalid.length);
    for (const e of invalid) expect(parseCursor(cursorOf(e))).toBeDefined();
    expect(new Set(invalid.map((e) => (e.payload === null ? 'no payload' : String(e.type))))).toEqual(
      new Set(['no payload', 'task.archived.v2']),
    );
  });

  it('appends events during the run stamped with the current second, tying with each other', async () => {
    const sim = setup({
      events: 10,
      append: [
        { at: 1200, count: 3 },
        { at: 1700, count: 2 },
        { at: 2100, count: 1 },
      ],
    });
    await sim.run(3000);
    const appended = logs(sim, 'events.appended');
    expect(appended.map((e) => [e.t, e.count, e.first, e.last])).toEqual([
      [1200, 3, '2025-01-15T09:00:01Z#ev-0000011', '2025-01-15T09:00:01Z#ev-0000013'],
      [1700, 2, '2025-01-15T09:00:01Z#ev-0000014', '2025-01-15T09:00:01Z#ev-0000015'],
      [2100, 1, '2025-01-15T09:00:02Z#ev-0000016', '2025-01-15T09:00:02Z#ev-0000016'],
    ]);
  });

  it('appends every `every` ms within [from, until]', async () => {
    const sim = setup({ events: 0, append: { every: 1000, count: 2, from: 500, until: 3000 } });
    await sim.run(10_000);
    expect(logs(sim, 'events.appended').map((e) => [e.t, e.count])).toEqual([
      [500, 2],
      [1500, 2],
      [2500, 2],
    ]);
  });

  it('keeps the log (the database) across a restart that loses the process state, and goes on appending', async () => {
    const sim = setup({ events: 30, append: { every: 1000, count: 1 } }, 'reference', {
      faults: [{ kind: 'server-restart', at: 2500, downtime: 1000, state: 'lose' }],
    });
    const after = get(sim, 5000);
    await sim.run(5500);
    expect(logs(sim, 'log.ready')).toHaveLength(1);
    // Writes at 1 s and 2 s, none while down (3 s), then 4 s and 5 s.
    expect(logs(sim, 'events.appended').map((e) => e.t)).toEqual([1000, 2000, 4000, 5000]);
    expect(page(after).events).toHaveLength(34);
  });
});

describe('event-sync server: the stream', () => {
  it('streams start, batches of batchSize with increasing batchIndex, isLast, then complete with the last cursor', async () => {
    const sim = setup({ events: 250, batchSize: 100, batchInterval: 10 });
    const s = stream(sim, 0);
    await sim.run(1000);
    expect(s.log).toEqual([
      '40 open',
      '80 sync.stream.start',
      '90 sync.stream.batch #0 (100)',
      '100 sync.stream.batch #1 (100)',
      '110 sync.stream.batch #2 (50)',
      '110 sync.stream.complete',
    ]);
    const [start, , , last, complete] = s.frames;
    expect(start).toEqual({ type: 'sync.stream.start', totalEvents: 250 });
    expect(last).toMatchObject({ isLast: true, batchIndex: 2 });
    const events = streamed(s);
    expect(complete).toEqual({ type: 'sync.stream.complete', processedEvents: 250, newCheckpoint: cursorOf(events[249]!) });
    expect(logs(sim, 'stream.complete')[0]).toMatchObject({
      socket: 'c1/ws#1',
      processedEvents: 250,
      batches: 3,
      newCheckpoint: cursorOf(events[249]!),
    });
  });

  it('logs checkpoint.issued with the count and digest of the valid events up to the checkpoint', async () => {
    const sim = setup({ events: 300, invalid: 0.1, batchSize: 1000 });
    const s = stream(sim, 0);
    await sim.run(1000);
    const events = streamed(s);
    const valid = events.filter(isValidEvent);
    let digest = 0;
    for (const e of valid) digest = digestAdd(digest, e.id);
    expect(logs(sim, 'checkpoint.issued').map((e) => [e.checkpoint, e.count, e.digest, e.via])).toEqual([
      [cursorOf(events[299]!), valid.length, digestHex(digest), 'c1/ws#1'],
    ]);
  });

  it('since is exclusive of its position: a cursor inside a run of equal timestamps gets the rest of the run', async () => {
    const all = setup({ events: 120, ties: 8, batchSize: 1000 });
    const first = stream(all, 0);
    await all.run(1000);
    const events = streamed(first);
    // An event followed by another of the same second.
    const i = events.findIndex((e, k) => events[k + 1]?.timestamp === e.timestamp);
    expect(i).toBeGreaterThanOrEqual(0);
    const sim = setup({ events: 120, ties: 8, batchSize: 1000 });
    const fromCursor = stream(sim, 0, { since: cursorOf(events[i]!) });
    const fromSecond = stream(sim, 0, { since: events[i]!.timestamp });
    await sim.run(1000);
    expect(streamed(fromCursor).map((e) => e.id)).toEqual(events.slice(i + 1).map((e) => e.id));
    const sameSecond = events.findIndex((e) => e.timestamp === events[i]!.timestamp);
    expect(streamed(fromSecond).map((e) => e.id)).toEqual(events.slice(sameSecond).map((e) => e.id));
  });

  it('answers an empty stream with start 0 and complete echoing since', async () => {
    const sim = setup({ events: 20 });
    const everything = stream(sim, 0);
    await sim.run(500);
    const last = cursorOf(streamed(everything)[19]!);
    const empty = stream(sim, 500, { since: last });
    const none = setup({ events: 0 });
    const fresh = stream(none, 0);
    await Promise.all([sim.run(500), none.run(500)]);
    expect(empty.frames).toEqual([
      { type: 'sync.stream.start', totalEvents: 0 },
      { type: 'sync.stream.complete', processedEvents: 0, newCheckpoint: last },
    ]);
    expect(fresh.frames[1]).toEqual({ type: 'sync.stream.complete', processedEvents: 0, newCheckpoint: null });
  });

  it('answers a bad request frame with sync.stream.error BAD_REQUEST and accepts a binary JSON request', async () => {
    const sim = setup({ events: 5 });
    const bad = stream(sim, 0, { send: '{"type":"sync.stream.request","since":"yesterday"}' });
    await sim.run(500);
    expect(bad.frames).toEqual([{ type: 'sync.stream.error', error: 'Invalid request', code: 'BAD_REQUEST' }]);
    expect(logs(sim, 'frame.ignored')[0]!.reason).toMatch(/since must be/);
    expect(parseClientFrame(new TextEncoder().encode('{"type":"sync.stream.request"}'))).toEqual({
      type: 'sync.stream.request',
      since: null,
    });
  });

  it('requires the Bearer token in the upgrade headers (401), and refuses other paths (404)', async () => {
    const sim = setup();
    const none = stream(sim, 0, { token: null });
    const bad = stream(sim, 0, { token: 'nope' });
    const other = stream(sim, 0, { path: '/v1/sync/other' });
    await sim.run(500);
    expect(none.log).toEqual(['40 error', '40 close 1006']);
    expect(bad.log).toEqual(['40 error', '40 close 1006']);
    expect(other.log).toEqual(['40 error', '40 close 1006']);
    expect(logs(sim, 'upgrade.rejected').map((e) => [e.status, e.reason])).toEqual([
      [401, 'missing token'],
      [401, 'unknown token'],
      [404, 'no event-sync WebSocket endpoint at /v1/sync/other'],
    ]);
  });

  it('accepts the token as an access_token query parameter on the upgrade (a browser cannot set headers there)', async () => {
    const sim = setup({ events: 20 });
    const s = stream(sim, 0, { token: null, path: `${syncPaths.stream}?access_token=${sim.env('c1').token}` });
    const wrong = stream(sim, 0, { token: null, path: `${syncPaths.stream}?access_token=nope` });
    await sim.run(500);
    expect(s.frames.at(-1)?.type).toBe('sync.stream.complete');
    expect(wrong.log).toEqual(['40 error', '40 close 1006']);
    expect(logs(sim, 'upgrade.rejected').map((e) => e.reason)).toEqual(['unknown token']);
  });

  it('closes open streams with 4001 when the token is revoked', async () => {
    const sim = setup({ events: 2000, batchSize: 100, batchInterval: 50, revokeAt: 300 });
    const s = stream(sim, 0);
    const later = get(sim, 400);
    await sim.run(1000);
    expect(s.close).toBe(syncRevokedCloseCode);
    expect(batches(s).length).toBeLessThan(20);
    expect(later).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(logs(sim, 'auth.revoked')[0]).toMatchObject({ sockets: ['c1/ws#1'] });
  });
});

describe('event-sync server: injected failures', () => {
  it('dbError: sync.stream.error DB_ERROR before the given batch of the first `times` streams, then nothing; closes after 30 s', async () => {
    const sim = setup({ events: 500, batchSize: 100, dbError: { batch: 2, times: 1 } });
    const first = stream(sim, 0);
    const second = stream(sim, 1000);
    await sim.run(40_000);
    expect(first.log.slice(1)).toEqual([
      '80 sync.stream.start',
      '90 sync.stream.batch #0 (100)',
      '100 sync.stream.batch #1 (100)',
      '110 sync.stream.error',
      `${110 + abandonAfter} close 1011`,
    ]);
    expect(first.frames[3]).toEqual({ type: 'sync.stream.error', error: 'Database connection failed', code: 'DB_ERROR' });
    expect(batches(second)).toHaveLength(5);
    expect(logs(sim, 'stream.error').map((e) => [e.socket, e.batchIndex])).toEqual([['c1/ws#1', 2]]);
    expect(logs(sim, 'stream.abandoned').map((e) => e.socket)).toEqual(['c1/ws#1']);
  });

  it('malformed: a frame that is not JSON; stall: nothing more ever', async () => {
    const bad = setup({ events: 500, batchSize: 100, malformed: { batch: 1 } });
    const m = stream(bad, 0);
    const stalled = setup({ events: 500, batchSize: 100, stall: { batch: 3 } });
    const s = stream(stalled, 0);
    await Promise.all([bad.run(5000), stalled.run(5000)]);
    expect(m.log.slice(-1)[0]).toBe('100 malformed: the frame is not valid JSON');
    expect(m.raw.at(-1)).toMatch(/^\{"type":"sync.stream.batch","events":\[\{/);
    expect(batches(s)).toHaveLength(3);
    expect(s.log.at(-1)).toBe('110 sync.stream.batch #2 (100)');
    expect(logs(stalled, 'stream.stall')[0]).toMatchObject({ batchIndex: 3, injected: true });
  });

  it('skips an injection at a batch the stream does not reach', async () => {
    const sim = setup({ events: 150, batchSize: 100, dbError: { batch: 5 } });
    const s = stream(sim, 0);
    await sim.run(1000);
    expect(s.frames.at(-1)?.type).toBe('sync.stream.complete');
  });

  it('server variants force a failure on every stream (clamped to short streams) or refuse the stream endpoint', async () => {
    const db = setup({ events: 50, batchSize: 100 }, 'db-error');
    const a = stream(db, 0);
    const b = stream(db, 500);
    const none = setup({ events: 50 }, 'no-stream');
    const refused = stream(none, 0);
    const rest = get(none, 0);
    await Promise.all([db.run(1000), none.run(1000)]);
    expect(a.frames.at(-1)).toMatchObject({ type: 'sync.stream.error', code: 'DB_ERROR' });
    expect(b.frames.at(-1)).toMatchObject({ type: 'sync.stream.error', code: 'DB_ERROR' });
    expect(refused.log).toEqual(['40 error', '40 close 1006']);
    expect(page(rest).events).toHaveLength(50);
  });
});

describe('event-sync server: REST pages', () => {
  it('pages of 100 following nextCursor to the end; the last page issues the checkpoint', async () => {
    const sim = setup({ events: 250, ties: 9 });
    const pages: RestPage[] = [];
    const step = (since: string | null, t: number): Promise<void> =>
      new Promise((resolve) => {
        const r = get(sim, t, { since });
        void sim.run(100).then(() => {
          pages.push(page(r));
          resolve();
        });
      });
    await step(null, 0);
    await step(pages[0]!.nextCursor, 100);
    await step(pages[1]!.nextCursor, 200);
    expect(pages.map((p) => [p.events.length, p.hasMore, p.totalEvents])).toEqual([
      [100, true, 250],
      [100, true, 150],
      [50, false, 50],
    ]);
    const ids = pages.flatMap((p) => p.events.map((e) => e.id));
    expect(new Set(ids).size).toBe(250);
    expect(pages.map((p) => p.nextCursor)).toEqual(pages.map((p) => cursorOf(p.events.at(-1)!)));
    expect(logs(sim, 'rest.page').map((e) => [e.count, e.hasMore, e.since === undefined])).toEqual([
      [100, true, true],
      [100, true, false],
      [50, false, false],
    ]);
    expect(logs(sim, 'checkpoint.issued').map((e) => [e.checkpoint, e.count, e.via])).toEqual([[pages[2]!.nextCursor, 250, 'c1/http#3']]);
  });

  it('caps limit at 100, echoes since on an empty page, and rejects a bad since (400), a bad token (401), other methods (405) and paths (404)', async () => {
    const sim = setup({ events: 150 });
    const big = get(sim, 0, { limit: 1000 });
    const small = get(sim, 0, { limit: 7 });
    const badSince = get(sim, 0, { path: `${syncPaths.events}?since=yesterday` });
    const badToken = get(sim, 0, { token: 'nope' });
    const post = get(sim, 0, { method: 'POST' });
    const other = get(sim, 0, { path: '/v1/sync/nothing' });
    const plain = get(sim, 0, { path: syncPaths.stream });
    await sim.run(200);
    expect(page(big).events).toHaveLength(100);
    expect(page(small).events).toHaveLength(7);
    const last = page(big).nextCursor;
    expect(badSince).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(badToken).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(post).toMatchObject({ status: 405 });
    expect(other).toMatchObject({ status: 404 });
    expect(plain).toMatchObject({ status: 426 });
    expect(last).toBe(cursorOf(page(big).events[99]!));
  });

  it('cuts a share of the pages short (shortPages): 1–99 events, still hasMore, the same page for the same since; logs invalid ids', async () => {
    const sim = setup({ events: 2000, shortPages: 0.5, invalid: 0.2 });
    const pages: RestPage[] = [];
    let since: string | null = null;
    for (let i = 0; i < 40; i++) {
      const r = get(sim, i * 100, { since });
      await sim.run(i * 100 + 100);
      const p = page(r);
      pages.push(p);
      if (!p.hasMore) break;
      since = p.nextCursor;
    }
    const ids = pages.flatMap((p) => p.events.map((e) => e.id));
    expect(new Set(ids).size).toBe(2000);
    expect(ids.length).toBe(2000);
    const short = pages.filter((p) => p.hasMore && p.events.length < 100);
    expect(short.length).toBeGreaterThan(3);
    for (const p of short) expect(p.events.length).toBeGreaterThanOrEqual(1);
    expect(pages.at(-1)!.hasMore).toBe(false);
    const again = get(sim, 10_000, { since: pages[0]!.nextCursor });
    await sim.run(10_100);
    expect(page(again).events.length).toBe(pages[1]!.events.length);
    const logged = logs(sim, 'rest.page')[0]!;
    const invalid = pages[0]!.events.filter((e) => !isValidEvent(e)).map((e) => e.id);
    expect(logged.invalidIds ?? []).toEqual(invalid);
    expect(logged.invalid ?? 0).toBe(invalid.length);
  });

  it('answers an empty page at the end with nextCursor = since and hasMore false', async () => {
    const sim = setup({ events: 3 });
    const all = get(sim, 0);
    await sim.run(100);
    const since = page(all).nextCursor!;
    const empty = get(sim, 100, { since });
    await sim.run(100);
    expect(page(empty)).toEqual({ events: [], nextCursor: since, hasMore: false, totalEvents: 0 });
  });
});

describe('event-sync server: options', () => {
  it('validates options, naming each field, what was expected and what was found', () => {
    let err: unknown;
    try {
      parseEventSyncServerOptions(
        { events: -1, batchSze: 3, invalid: 2, shortPages: -0.5, append: { every: 0 }, dbError: { batch: 'x' }, tokens: [] },
        'scenario',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EventSyncServerOptionsError);
    expect((err as EventSyncServerOptionsError).problems.map((p) => p.field)).toEqual([
      'batchSze',
      'events',
      'invalid',
      'shortPages',
      'append.every',
      'tokens',
      'dbError.batch',
    ]);
    expect((err as Error).message).toContain('did you mean "batchSize"?');
    expect(parseEventSyncServerOptions({ append: [{ at: 5, count: 2 }], stall: { batch: 1, times: 2 } }, 's')).toEqual({
      append: [{ at: 5, count: 2 }],
      stall: { batch: 1, times: 2 },
    });
  });

  it('defaults: 1,000 events in batches of 1,000; no options at all draws the world from the seed', () => {
    const fixed = resolveEventSyncConfig({ events: 10 }, Random.root(1));
    expect(fixed).toMatchObject({ drawn: false, events: 10, batchSize: 1000, batchInterval: 10, ties: 4, invalid: 0 });
    expect(resolveEventSyncConfig({}).batchSize).toBe(1000);
    const a = resolveEventSyncConfig({}, Random.root(1));
    const b = resolveEventSyncConfig({}, Random.root(1));
    expect(a.drawn).toBe(true);
    expect({ ...a, knows: undefined }).toEqual({ ...b, knows: undefined });
    expect(a.events).toBeGreaterThanOrEqual(30);
    expect(a.events).toBeLessThanOrEqual(300);
    expect(a.batchSize).toBeLessThanOrEqual(40);
    expect(Object.keys(a.inject).sort()).toEqual(['dbError', 'malformed', 'stall']);
    const drawnShort = Array.from({ length: 40 }, (_, i) => resolveEventSyncConfig({}, Random.root(i)).shortPages);
    expect(new Set(drawnShort)).toEqual(new Set([0, 1 / 3]));
  });
});

describe('event-sync server core (sans-IO)', () => {
  const config = resolveEventSyncConfig({ events: 40, ties: 5, batchSize: 15 });
  const log = createEventLog(config, Date.UTC(2025, 0, 15, 9), Random.root(3));

  it('finds the first event after a cursor, and what a store synced up to a checkpoint holds', () => {
    expect(indexAfter(log, null)).toBe(0);
    const e = log.entries[10]!;
    expect(indexAfter(log, parseCursor(cursorOf(e))!)).toBe(11);
    expect(indexAfter(log, parseCursor(e.timestamp)!)).toBe(log.entries.findIndex((x) => x.timestamp === e.timestamp));
    expect(expectedUpTo(log, null)).toEqual({ count: 0, digest: '00000000' });
    expect(expectedUpTo(log, cursorOf(e)).count).toBe(11);
  });

  it('steps a stream batch by batch; appended events never go back in time', () => {
    const out = handleStreamFrame(log, config, 's', '{"type":"sync.stream.request","since":null}', () => undefined);
    expect(out.frames).toEqual(['{"type":"sync.stream.start","totalEvents":40}']);
    const s = out.session!;
    const steps = [streamStep(log, config, s), streamStep(log, config, s), streamStep(log, config, s)];
    expect(steps.map((x) => [x.frames.length, x.more])).toEqual([
      [1, true],
      [1, true],
      [2, false],
    ]);
    const added = appendEvents(log, 2, Date.UTC(2024, 0, 1));
    expect(added[0]!.timestamp).toBe(log.entries[39]!.timestamp);
    const r = handleHttp(
      log,
      config,
      { id: 'x', method: 'GET', path: syncPaths.events, query: new URLSearchParams(''), token: 'token-a', dup: false },
      0,
    );
    expect(parseRestPage(JSON.parse(r.response.body as string)).events).toHaveLength(42);
  });
});

describe('event-sync wire', () => {
  it('parses cursors: a bare timestamp sorts before every event of its second', () => {
    expect(parseCursor('2025-01-15T09:00:00Z#ev-1')).toEqual({
      ms: Date.UTC(2025, 0, 15, 9),
      timestamp: '2025-01-15T09:00:00Z',
      id: 'ev-1',
    });
    expect(parseCursor('2025-01-15T09:00:00Z')?.id).toBe('');
    for (const bad of ['yesterday', '2025-01-15T09:00:00Z#', '', 42, null]) expect(parseCursor(bad)).toBeUndefined();
    const bare = parseCursor('2025-01-15T10:00:00+01:00')!;
    expect(comparePositions(bare, parseCursor('2025-01-15T09:00:00Z#a')!)).toBeLessThan(0);
    expect(comparePositions(parseCursor('2025-01-15T09:00:00Z#b')!, parseCursor('2025-01-15T09:00:00Z#a')!)).toBeGreaterThan(0);
  });

  it('rejects malformed frames with a reason, but lets positioned invalid events through', () => {
    const reasons = [
      'nope',
      '[]',
      '{"type":"sync.stream.start"}',
      '{"type":"sync.stream.batch","events":[{"id":"a"}],"batchIndex":0,"isLast":true}',
      '{"type":"sync.stream.complete","processedEvents":1,"newCheckpoint":"soon"}',
      '{"type":"sync.stream.nope"}',
    ].map((d) => {
      try {
        parseServerFrame(d);
        return 'parsed';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(reasons).toEqual([
      'the frame is not valid JSON',
      'the frame is not a JSON object',
      'sync.stream.start: totalEvents must be a whole number ≥ 0',
      'sync.stream.batch: event a: timestamp must be RFC 3339',
      'sync.stream.complete: newCheckpoint must be a cursor or null',
      'unknown event-sync frame type "sync.stream.nope"',
    ]);
    const f = parseServerFrame(
      '{"type":"sync.stream.batch","events":[{"id":"a","timestamp":"2025-01-15T09:00:00Z","type":"x","payload":{}}],"batchIndex":0,"isLast":true}',
    );
    expect(f.type === 'sync.stream.batch' && isValidEvent(f.events[0]!)).toBe(false);
  });

  it('digests count multiplicity', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    const once = digestAdd(0, 'ev-1');
    expect(digestAdd(once, 'ev-1')).not.toBe(once);
    expect(digestHex(digestAdd(digestAdd(0, 'a'), 'b'))).toBe(digestHex(digestAdd(digestAdd(0, 'b'), 'a')));
  });
});

describe('event-sync drawn-world dimensions (docs/protocols/event-sync.md, "What property runs draw")', () => {
  const base = resolveEventSyncConfig({ events: 40, ties: 5, batchSize: 15, invalid: 0.5 });
  const request = '{"type":"sync.stream.request","since":null}';
  const run = (config: typeof base, injection?: { kind: 'dbError' | 'malformed' | 'stall'; batch: number }) => {
    const log = createEventLog(config, Date.UTC(2025, 0, 15, 9), Random.root(3));
    const out = handleStreamFrame(log, config, 's', request, () => injection);
    const frames = [...out.frames];
    for (let i = 0; i < 20; i++) {
      const step = streamStep(log, config, out.session!);
      frames.push(...step.frames);
      if (!step.more) break;
    }
    return { log, frames };
  };

  it('injects a failure at the handshake (before start) and between the isLast batch and complete', () => {
    const early = run(base, { kind: 'dbError', batch: -1 });
    expect(early.frames).toHaveLength(1);
    expect(JSON.parse(early.frames[0]!)).toMatchObject({ type: 'sync.stream.error', code: 'DB_ERROR' });
    const late = run(base, { kind: 'dbError', batch: 3 });
    const types = late.frames.map((f) => (JSON.parse(f) as { type: string }).type);
    expect(types).toEqual(['sync.stream.start', 'sync.stream.batch', 'sync.stream.batch', 'sync.stream.batch', 'sync.stream.error']);
    expect(JSON.parse(late.frames[3]!)).toMatchObject({ isLast: true });
  });

  it('varies batch lengths, payload shapes and invalid forms, all readable by the wire parser', () => {
    const varied = run({ ...base, batchShape: 'varied', payloads: 'rich', invalidForms: 'all' });
    const batches = varied.frames.map((f) => parseServerFrame(f)).filter((f) => f.type === 'sync.stream.batch');
    expect(new Set(batches.map((b) => b.events.length)).size).toBeGreaterThan(1);
    expect(batches.reduce((n, b) => n + b.events.length, 0)).toBe(40);
    const events = batches.flatMap((b) => b.events);
    const invalid = events.filter((e) => !isValidEvent(e));
    expect(invalid.length).toBe(varied.log.entries.filter((e) => !e.valid).length);
    expect(
      new Set(invalid.map((e) => JSON.stringify((e as unknown as { payload?: unknown }).payload ?? 'missing').slice(0, 1))).size,
    ).toBeGreaterThan(2);
    const payloads = events.filter((e) => isValidEvent(e)).map((e) => JSON.stringify((e as unknown as { payload: unknown }).payload));
    expect(new Set(payloads).size).toBeLessThan(payloads.length);
    expect(payloads[0]).toContain('Café');
  });
});

/**
 * Independent event-sync client A — "map + re-armed idle timer".
 *
 * Written from docs/protocols/event-sync.md alone.
 *  - store: a Map<id, chunk> (hash lookup for dedupe), persisted as one JSON chunk per
 *    batch/page of newly stored ids;
 *  - stream auth: `Authorization: Bearer` header on the upgrade (§ 2.1);
 *  - request frame: text JSON (§ 2.3);
 *  - stall: a 10 s setTimeout re-armed on connect, open and every frame (§ 3);
 *  - events applied synchronously on arrival;
 *  - REST retries: exponential backoff with full jitter, capped at 30 s (§ 3 "any
 *    schedule (backoff, jitter) whose delays never exceed 30 s"), at once when `online`;
 *  - REST timeout 15 s via env.timeoutSignal;
 *  - an interrupted sync is resumed at launch (§ 1 "at launch when an interrupted sync is
 *    resumed");
 *  - storage writes go through an in-order journal: a write refused for quota stays at its
 *    head and is retried 2 s later, nothing after it overtakes it, so storage always holds
 *    the state of an earlier moment and a restart never finds a checkpoint ahead of its
 *    chunks (§ "Storage failures", SYNC-5); memory stays the truth within a launch.
 */

export const protocol = 'event-sync';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Env = any;

const EVENT_TYPES = new Set(['stack.created', 'stack.updated', 'task.created', 'task.updated', 'task.completed']);
const TS_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const CURSOR_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})(#.+)?$/;

const STALL_MS = 10_000;
const PAGE_TIMEOUT_MS = 15_000;
const RETRY_CAP_MS = 30_000;

class Malformed extends Error {}

interface WireEvent {
  id: string;
  timestamp: string;
  type?: unknown;
  payload?: unknown;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isWholeNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
function isCursorOrNull(v: unknown): v is string | null {
  return v === null || (typeof v === 'string' && CURSOR_RE.test(v));
}
function positioned(e: unknown): e is WireEvent {
  return isObj(e) && typeof e.id === 'string' && e.id.length > 0 && typeof e.timestamp === 'string' && TS_RE.test(e.timestamp);
}
function validEvent(e: WireEvent): boolean {
  return typeof e.type === 'string' && EVENT_TYPES.has(e.type) && isObj(e.payload);
}
function checkEvents(v: unknown): WireEvent[] {
  if (!Array.isArray(v)) throw new Malformed('events not an array');
  for (const e of v) if (!positioned(e)) throw new Malformed('event without a position');
  return v as WireEvent[];
}
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createClient(env: Env) {
  const S = env.storage;
  const K = {
    checkpoint: 'esA.checkpoint',
    resume: 'esA.resume',
    chunks: 'esA.chunks',
    chunk: (n: number) => `esA.chunk.${n}`,
    active: 'esA.active',
  };
  const auth = `Bearer ${env.token}`;
  const base = String(env.baseUrl ?? '').replace(/\/+$/, '');
  const wsBase = String(env.wsBaseUrl ?? '').replace(/\/+$/, '');

  // ---- persistent state ----
  const rawCk = S.getItem(K.checkpoint);
  let checkpoint: string | null = rawCk === null ? null : (JSON.parse(rawCk) as string | null);
  const rawResume = S.getItem(K.resume);
  let resume: { cursor: string; base: string | null } | null = rawResume === null ? null : JSON.parse(rawResume);
  const store = new Map<string, number>();
  let digest = 0;
  let chunkCount = Number(S.getItem(K.chunks) ?? '0');
  for (let n = 0; n < chunkCount; n++) {
    const raw = S.getItem(K.chunk(n));
    if (raw === null) continue;
    for (const id of JSON.parse(raw) as string[]) {
      if (store.has(id)) continue;
      store.set(id, n);
      digest = (digest + fnv1a(id)) >>> 0;
    }
  }

  // ---- per-launch state ----
  let syncs = 0;
  let completed = 0;
  let skipped = 0;
  let processed = 0;
  let total: number | null = null;
  let phase: 'idle' | 'starting' | 'stream' | 'rest' = 'idle';
  let queued = false;
  let authError = false;
  let disposed = false;
  let since: string | null = null; // since of the next request of the running sync

  let ws: any = null;
  let stallTimer: any;
  let retryTimer: any;
  let retryAttempt = 0;
  let pageSeq = 0;
  let streamState = { started: false, announced: 0, next: 0, gotLast: false, carried: 0 };

  const timers = new Set<any>();
  const later = (fn: () => void, ms: number) => {
    const h = env.setTimeout(() => {
      timers.delete(h);
      if (!disposed) fn();
    }, ms);
    timers.add(h);
    return h;
  };
  const cancel = (h: any) => {
    if (h === undefined) return;
    timers.delete(h);
    env.clearTimeout(h);
  };

  // ---- storage journal: writes land in the order they were made (null removes) ----
  const journal: Array<[string, string | null]> = [];
  let journalRetry: any;
  function put(key: string, value: string | null) {
    const tail = journal[journal.length - 1];
    // rewriting the newest entry's key in place keeps the order of everything before it
    if (tail !== undefined && tail[0] === key) tail[1] = value;
    else journal.push([key, value]);
    drainJournal();
  }
  function drainJournal() {
    while (journal.length > 0) {
      const [key, value] = journal[0]!;
      try {
        if (value === null) S.removeItem(key);
        else S.setItem(key, value);
      } catch {
        // quota: keep it at the head, nothing overtakes it
        if (journalRetry === undefined)
          journalRetry = later(() => {
            journalRetry = undefined;
            drainJournal();
          }, 2000);
        return;
      }
      journal.shift();
    }
  }

  // ---- store ----
  /** Applies events in order; returns nothing. Persists new ids and the resume point together. */
  function apply(events: WireEvent[]) {
    const fresh: string[] = [];
    for (const e of events) {
      processed++;
      if (!validEvent(e)) {
        skipped++;
        continue;
      }
      if (store.has(e.id)) continue;
      store.set(e.id, chunkCount);
      digest = (digest + fnv1a(e.id)) >>> 0;
      fresh.push(e.id);
    }
    if (fresh.length > 0) {
      put(K.chunk(chunkCount), JSON.stringify(fresh));
      chunkCount++;
      put(K.chunks, String(chunkCount));
    }
    if (events.length > 0) {
      const last = events[events.length - 1]!;
      setResume(`${last.timestamp}#${last.id}`);
    }
    if (total !== null && processed > total) total = processed;
  }

  function setResume(cursor: string) {
    since = cursor;
    resume = { cursor, base: checkpoint };
    put(K.resume, JSON.stringify(resume));
  }

  // ---- sync lifecycle ----
  function startSync() {
    if (disposed) return;
    syncs++;
    phase = 'stream';
    authError = false;
    processed = 0;
    total = null;
    retryAttempt = 0;
    since = resume !== null && resume.base === checkpoint ? resume.cursor : checkpoint;
    put(K.active, '1');
    openStream();
  }

  function armStall() {
    cancel(stallTimer);
    stallTimer = later(() => {
      stallTimer = undefined;
      streamFailed();
    }, STALL_MS);
  }

  function openStream() {
    streamState = { started: false, announced: 0, next: 0, gotLast: false, carried: 0 };
    let sock: any;
    try {
      sock = new env.WebSocket(`${wsBase}/v1/sync/stream`, [], { headers: { Authorization: auth } });
    } catch {
      phase = 'rest';
      requestPage();
      return;
    }
    ws = sock;
    try {
      sock.binaryType = 'arraybuffer';
    } catch {
      /* ignore */
    }
    armStall();
    sock.onopen = () => {
      if (sock !== ws || disposed) return;
      armStall();
      sock.send(JSON.stringify({ type: 'sync.stream.request', since }));
    };
    sock.onmessage = (ev: any) => {
      if (sock !== ws || disposed) return;
      armStall();
      try {
        onFrame(ev.data);
      } catch (err) {
        if (err instanceof Malformed) streamFailed();
        else throw err;
      }
    };
    sock.onerror = () => {
      if (sock === ws && !disposed) streamFailed();
    };
    sock.onclose = () => {
      if (sock === ws && !disposed) streamFailed();
    };
  }

  function dropSocket(code: number) {
    cancel(stallTimer);
    stallTimer = undefined;
    const sock = ws;
    ws = null;
    if (sock) {
      try {
        if (sock.readyState === 0 || sock.readyState === 1) sock.close(code);
      } catch {
        /* ignore */
      }
    }
  }

  function streamFailed() {
    if (phase !== 'stream') return;
    dropSocket(4000);
    phase = 'rest';
    requestPage();
  }

  function onFrame(data: unknown) {
    let text: string;
    if (typeof data === 'string') text = data;
    else {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(data as ArrayBuffer);
      } catch {
        throw new Malformed('undecodable');
      }
    }
    let f: unknown;
    try {
      f = JSON.parse(text);
    } catch {
      throw new Malformed('not JSON');
    }
    if (!isObj(f) || typeof f.type !== 'string') throw new Malformed('no type');
    const st = streamState;
    switch (f.type) {
      case 'sync.stream.start': {
        if (!isWholeNumber(f.totalEvents)) throw new Malformed('totalEvents');
        if (st.started) throw new Malformed('second start');
        st.started = true;
        st.announced = f.totalEvents;
        total = processed + f.totalEvents;
        return;
      }
      case 'sync.stream.batch': {
        if (!isWholeNumber(f.batchIndex) || typeof f.isLast !== 'boolean') throw new Malformed('batch fields');
        const events = checkEvents(f.events);
        if (!st.started) throw new Malformed('batch before start');
        if (f.batchIndex < st.next) return; // repeated batchIndex: ignored
        if (f.batchIndex > st.next || st.gotLast) throw new Malformed('out of sequence');
        st.next++;
        st.carried += events.length;
        if (f.isLast) st.gotLast = true;
        apply(events);
        return;
      }
      case 'sync.stream.complete': {
        if (!isWholeNumber(f.processedEvents) || !('newCheckpoint' in f) || !isCursorOrNull(f.newCheckpoint)) throw new Malformed('complete fields');
        if (!st.started) throw new Malformed('complete before start');
        if (st.next > 0 ? !st.gotLast : st.announced > 0) throw new Malformed('complete before the last batch');
        if (f.processedEvents !== st.carried) throw new Malformed('processedEvents mismatch');
        dropSocket(1000);
        finish(f.newCheckpoint);
        return;
      }
      case 'sync.stream.error': {
        if (typeof f.error !== 'string' || typeof f.code !== 'string') throw new Malformed('error fields');
        streamFailed();
        return;
      }
      default:
        throw new Malformed('unknown type');
    }
  }

  function requestPage() {
    if (disposed || phase !== 'rest') return;
    cancel(retryTimer);
    retryTimer = undefined;
    const seq = ++pageSeq;
    const qs = (since !== null ? `since=${encodeURIComponent(since)}&` : '') + 'limit=100';
    type Outcome = { kind: 'ok'; body: any } | { kind: 'auth' } | { kind: 'fail' };
    const run = async (): Promise<Outcome> => {
      try {
        const r = await env.fetch(`${base}/v1/sync/events?${qs}`, {
          headers: { Authorization: auth },
          signal: env.timeoutSignal(PAGE_TIMEOUT_MS),
        });
        if (r.status === 401) return { kind: 'auth' };
        if (r.status !== 200) return { kind: 'fail' };
        return { kind: 'ok', body: await r.json() };
      } catch {
        return { kind: 'fail' };
      }
    };
    void run().then((o) => {
      if (disposed || seq !== pageSeq || phase !== 'rest') return;
      if (o.kind === 'auth') return stopForAuth();
      if (o.kind === 'ok') {
        const b = o.body;
        let events: WireEvent[] | null = null;
        try {
          if (!isObj(b) || typeof b.hasMore !== 'boolean' || !isWholeNumber(b.totalEvents) || !isCursorOrNull(b.nextCursor)) throw new Malformed('page');
          if (b.hasMore && b.nextCursor === null) throw new Malformed('hasMore without cursor');
          events = checkEvents(b.events);
        } catch {
          events = null;
        }
        if (events !== null) return onPage(events, b.nextCursor as string | null, b.hasMore as boolean, b.totalEvents as number);
      }
      scheduleRetry();
    });
  }

  function onPage(events: WireEvent[], nextCursor: string | null, hasMore: boolean, totalEvents: number) {
    retryAttempt = 0;
    const t = processed + totalEvents;
    total = total === null ? t : Math.max(t, processed);
    apply(events);
    if (hasMore) {
      setResume(nextCursor as string);
      requestPage();
    } else {
      finish(nextCursor);
    }
  }

  function scheduleRetry() {
    retryAttempt++;
    const cap = Math.min(RETRY_CAP_MS, 1000 * 2 ** Math.min(retryAttempt - 1, 10));
    const delay = Math.min(RETRY_CAP_MS, 200 + Math.floor(env.random() * cap));
    retryTimer = later(() => {
      retryTimer = undefined;
      requestPage();
    }, delay);
  }

  function stopForAuth() {
    cancel(retryTimer);
    retryTimer = undefined;
    dropSocket(4000);
    phase = 'idle';
    queued = false;
    authError = true;
    put(K.active, null);
  }

  function finish(finalCheckpoint: string | null) {
    if (finalCheckpoint !== null && finalCheckpoint !== checkpoint) {
      checkpoint = finalCheckpoint;
      put(K.checkpoint, JSON.stringify(checkpoint));
    }
    resume = null;
    put(K.resume, null);
    put(K.active, null);
    if (total === null || total !== processed) total = processed;
    phase = 'idle';
    completed++;
    cancel(retryTimer);
    retryTimer = undefined;
    if (queued) {
      // the sync asked for meanwhile runs right after, on the next tick (so the
      // completion shows in a snapshot of its own)
      queued = false;
      phase = 'starting';
      later(startSync, 0);
    }
  }

  env.lifecycle?.addEventListener?.('online', () => {
    if (disposed || retryTimer === undefined || phase !== 'rest') return;
    cancel(retryTimer);
    retryTimer = undefined;
    requestPage();
  });

  if (S.getItem(K.active) === '1') {
    // an interrupted sync is resumed at launch
    phase = 'starting';
    later(startSync, 0);
  }

  // ---- snapshot ----
  let last: any = null;
  function snapshot() {
    const idle = phase === 'idle' || phase === 'starting';
    const next = {
      syncs,
      completed,
      checkpoint,
      progress: total === null ? null : { processed, total },
      store: { count: store.size, digest: digest.toString(16).padStart(8, '0') },
      skipped,
      syncing: !idle,
      via: idle ? null : phase,
      authError,
    };
    if (
      last !== null &&
      last.syncs === next.syncs &&
      last.completed === next.completed &&
      last.checkpoint === next.checkpoint &&
      (last.progress === null ? next.progress === null : next.progress !== null && last.progress.processed === next.progress.processed && last.progress.total === next.progress.total) &&
      last.store.count === next.store.count &&
      last.store.digest === next.store.digest &&
      last.skipped === next.skipped &&
      last.syncing === next.syncing &&
      last.via === next.via &&
      last.authError === next.authError
    )
      return last;
    last = next;
    return next;
  }

  return {
    sync() {
      if (disposed) return;
      if (phase === 'idle') startSync();
      else if (phase !== 'starting') queued = true; // a sync about to start serves this one too
    },
    snapshot,
    dispose() {
      disposed = true;
      for (const h of timers) env.clearTimeout(h);
      timers.clear();
      pageSeq++;
      // the app is killed: its socket dies with it (§ 4 "timers, sockets and requests
      // die"); closing it here would look like the client abandoning the stream
      ws = null;
    },
  };
}

/**
 * Independent event-sync client B — "sorted array + async apply queue + watchdog".
 *
 * Written from docs/protocols/event-sync.md alone. Deliberately different from client A:
 *  - store: a sorted array of ids with binary-search dedupe, persisted as newline-joined
 *    segments (one per applied chunk);
 *  - stream auth: the `access_token` query parameter on the upgrade (§ 2.1 "or ... the
 *    query parameter access_token=<token>");
 *  - request frame: a binary frame holding UTF-8 JSON (§ 2.3 "it accepts the client's
 *    frame as text or as a binary frame holding UTF-8 JSON");
 *  - received events are queued and applied in chunks across zero-delay timers (§ 1
 *    "Settled. A client may apply what it receives asynchronously (in chunks, after
 *    zero-delay timers, in a queue)"); invalid events are counted as skipped on receipt
 *    (they stay in the queue only to advance the applied cursor);
 *  - stall: a 1 s setInterval watchdog that gives a stream up after 6 s of silence (§ 3
 *    "it MAY do so after 5 s (SYNC-11)");
 *  - REST: the next page is chained through a zero-delay setTimeout; a page times out after
 *    20 s (own AbortController; § 3 "REST request timeout: not judged"); retries on a linear
 *    schedule 2, 4, 6, … s plus up to 0.5 s of jitter, capped at 20 s (§ 3 "any schedule
 *    (backoff, jitter) whose delays never exceed 30 s"); no `online` shortcut;
 *  - no resume at launch: an interrupted sync continues from the saved resume point at the
 *    user's next sync (§ 1: the resume point "may" be used "for the next sync as long as
 *    its checkpoint has not changed"; § 8 is informative);
 *  - a sync asked for meanwhile starts on a zero-delay timer after the completion;
 *  - storage is written as "what it still owes", always in dependency order — new
 *    segments, their count, the resume point, the checkpoint — and an owed item is only
 *    cleared once written: a write refused for quota stops the pass, which is retried 2 s
 *    later, so a restart never finds a checkpoint (or resume point) ahead of the stored
 *    segments (§ "Storage failures", SYNC-5). Memory stays the truth within a launch.
 */

export const protocol = 'event-sync';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Env = any;

const KNOWN_TYPES = ['stack.created', 'stack.updated', 'task.created', 'task.updated', 'task.completed'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const WATCHDOG_TICK = 1000;
const SILENCE_LIMIT = 6000;
const PAGE_TIMEOUT = 20_000;
const CHUNK = 256;

type Item = { id: string; cursor: string; ok: boolean; edge?: boolean };

function bad(why: string): never {
  throw Object.assign(new Error(why), { malformed: true });
}
const object = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
function cursorish(v: unknown): v is string | null {
  if (v === null) return true;
  if (typeof v !== 'string') return false;
  const hash = v.indexOf('#');
  const ts = hash < 0 ? v : v.slice(0, hash);
  return RFC3339.test(ts) && (hash < 0 || hash < v.length - 1);
}
function toItems(v: unknown): Item[] {
  if (!Array.isArray(v)) bad('events');
  return v.map((e) => {
    if (!object(e) || typeof e.id !== 'string' || e.id === '' || typeof e.timestamp !== 'string' || !RFC3339.test(e.timestamp)) bad('unpositioned event');
    const ok = KNOWN_TYPES.includes(e.type) && object(e.payload);
    return { id: e.id, cursor: e.timestamp + '#' + e.id, ok };
  });
}
function hash32(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function createClient(env: Env) {
  const ls = env.storage;
  const KEY = 'eventsync.b.';
  const get = (k: string) => ls.getItem(KEY + k);
  const put = (k: string, v: string) => ls.setItem(KEY + k, v);
  const del = (k: string) => ls.removeItem(KEY + k);

  const httpRoot = String(env.baseUrl ?? '').replace(/\/$/, '');
  const wsRoot = String(env.wsBaseUrl ?? '').replace(/\/$/, '');

  // ---- the sorted store ----
  const ids: string[] = [];
  let sum = 0;
  let segments = Number(get('segments') ?? 0);
  const locate = (id: string) => {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const insert = (id: string) => {
    const at = locate(id);
    if (ids[at] === id) return false;
    ids.splice(at, 0, id);
    sum = (sum + hash32(id)) >>> 0;
    return true;
  };
  for (let s = 0; s < segments; s++) {
    const seg = get(`seg${s}`);
    if (seg) for (const id of seg.split('\n')) insert(id);
  }

  let checkpoint: string | null = get('checkpoint');
  // resume point as saved (its base is the checkpoint it was taken against)
  let savedResume: string | null = get('resume') !== null && get('resumeBase') === (checkpoint ?? '') ? get('resume') : null;

  // ---- this launch ----
  const st = {
    syncs: 0,
    completed: 0,
    skipped: 0,
    processed: 0,
    received: 0,
    total: null as number | null,
    running: false,
    via: null as 'stream' | 'rest' | null,
    again: false,
    authError: false,
  };
  let gone = false;
  let beginTimer: any = null;
  let rxCursor: string | null = null; // last event received (memory resume point) or since
  const queue: Item[] = [];
  let qHead = 0;
  let drainer: any = null;
  let finalCursor: { value: string | null } | null = null;

  let sock: any = null;
  let lastHeard = 0;
  let watchdog: any = null;
  let stream = { began: false, expect: 0, want: 0, ended: false, got: 0 };

  let pageTicket = 0;
  let pageAbort: AbortController | null = null;
  let pageTimer: any = null;
  let retryTimer: any = null;
  let nextTimer: any = null;
  let failures = 0;

  // ---- persistence: what storage still owes, written in dependency order ----
  const owedSegs = new Map<number, string>(); // segment texts not written yet (ascending)
  let owedCount = false;
  let owedResume = false;
  let owedCheckpoint = false;
  let resumeNow: { cursor: string; base: string } | null = null;
  let rewriteTimer: any = null;
  function persist() {
    try {
      for (const [n, text] of owedSegs) {
        put(`seg${n}`, text);
        owedSegs.delete(n);
      }
      if (owedCount) {
        put('segments', String(segments));
        owedCount = false;
      }
      if (owedResume) {
        if (resumeNow !== null) {
          put('resume', resumeNow.cursor);
          put('resumeBase', resumeNow.base);
        } else {
          del('resume');
          del('resumeBase');
        }
        owedResume = false;
      }
      if (owedCheckpoint) {
        if (checkpoint !== null) put('checkpoint', checkpoint);
        owedCheckpoint = false;
      }
    } catch {
      // quota: what is owed stays owed; nothing later is written before it
      if (rewriteTimer === null && !gone)
        rewriteTimer = env.setTimeout(() => {
          rewriteTimer = null;
          if (!gone) persist();
        }, 2000);
    }
  }

  // ---- applying, in chunks ----
  function enqueue(items: Item[]) {
    st.received += items.length;
    // invalid events are counted as skipped on receipt; they stay in the queue (without
    // being stored) so that the applied cursor still passes over them in order
    for (const it of items) {
      if (!it.ok) st.skipped++;
      queue.push(it);
    }
    // a drain tick never crosses the end of a delivery, so progress shows after each one
    if (items.length > 0) items[items.length - 1]!.edge = true;
    if (items.length > 0) rxCursor = items[items.length - 1]!.cursor;
    if (st.total !== null && st.received > st.total) st.total = st.received;
    kick();
  }
  function kick() {
    if (drainer === null && !gone) drainer = env.setTimeout(drain, 0);
  }
  function drain() {
    drainer = null;
    if (gone) return;
    const end = Math.min(queue.length, qHead + CHUNK);
    const added: string[] = [];
    let lastCursor: string | null = null;
    while (qHead < end) {
      const it = queue[qHead++]!;
      st.processed++;
      lastCursor = it.cursor;
      if (it.ok && insert(it.id)) added.push(it.id);
      if (it.edge) break;
    }
    if (added.length > 0) {
      owedSegs.set(segments, added.join('\n'));
      segments++;
      owedCount = true;
    }
    if (lastCursor !== null) {
      resumeNow = { cursor: lastCursor, base: checkpoint ?? '' };
      owedResume = true;
    }
    persist();
    if (qHead >= queue.length) {
      queue.length = 0;
      qHead = 0;
      maybeCommit();
    } else kick();
  }
  function idleQueue() {
    return qHead >= queue.length && drainer === null;
  }

  // ---- the sync ----
  function begin() {
    st.syncs++;
    st.running = true;
    st.authError = false;
    st.processed = 0;
    st.received = 0;
    st.total = null;
    failures = 0;
    finalCursor = null;
    // since: the resume point of an interrupted sync against this checkpoint, else the checkpoint
    rxCursor = savedResume ?? checkpoint;
    connect();
  }

  function connect() {
    st.via = 'stream';
    stream = { began: false, expect: 0, want: 0, ended: false, got: 0 };
    const url = `${wsRoot}/v1/sync/stream?access_token=${encodeURIComponent(env.token)}`;
    const since = rxCursor;
    let s: any;
    try {
      s = new env.WebSocket(url);
    } catch {
      return toRest();
    }
    sock = s;
    s.binaryType = 'arraybuffer';
    lastHeard = env.Date.now();
    watchdog = env.setInterval(() => {
      if (s === sock && env.Date.now() - lastHeard >= SILENCE_LIMIT) fail(s);
    }, WATCHDOG_TICK);
    s.addEventListener('open', () => {
      if (s !== sock || gone) return;
      lastHeard = env.Date.now();
      s.send(new TextEncoder().encode(JSON.stringify({ type: 'sync.stream.request', since })));
    });
    s.addEventListener('message', (ev: any) => {
      if (s !== sock || gone) return;
      lastHeard = env.Date.now();
      try {
        frame(s, ev.data);
      } catch (e: any) {
        if (e && e.malformed) fail(s);
        else throw e;
      }
    });
    s.addEventListener('error', () => fail(s));
    s.addEventListener('close', () => fail(s));
  }

  function release(s: any, code: number) {
    if (s !== sock) return;
    sock = null;
    env.clearInterval(watchdog);
    watchdog = null;
    try {
      if (s.readyState <= 1) s.close(code);
    } catch {
      /* already closing */
    }
  }

  function fail(s: any) {
    if (s !== sock || gone) return;
    release(s, 3000); // any code the WebSocket API allows (§ 2.3: 1000 or 3000–4999)
    toRest();
  }

  function frame(s: any, data: unknown) {
    let f: any;
    try {
      f = JSON.parse(typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: true }).decode(data as ArrayBuffer));
    } catch {
      bad('not JSON');
    }
    if (!object(f)) bad('not an object');
    if (f.type === 'sync.stream.start') {
      if (!count(f.totalEvents) || stream.began) bad('start');
      stream.began = true;
      stream.want = f.totalEvents;
      st.total = st.received + f.totalEvents;
    } else if (f.type === 'sync.stream.batch') {
      if (!count(f.batchIndex) || typeof f.isLast !== 'boolean') bad('batch');
      const items = toItems(f.events);
      if (!stream.began) bad('batch before start');
      if (f.batchIndex < stream.expect) return; // repeated: ignored
      if (f.batchIndex !== stream.expect || stream.ended) bad('gap');
      stream.expect++;
      stream.got += items.length;
      stream.ended = f.isLast;
      enqueue(items);
    } else if (f.type === 'sync.stream.complete') {
      if (!count(f.processedEvents) || !('newCheckpoint' in f) || !cursorish(f.newCheckpoint)) bad('complete');
      if (!stream.began) bad('complete before start');
      if (stream.expect === 0 ? stream.want !== 0 : !stream.ended) bad('complete early');
      if (f.processedEvents !== stream.got) bad('count');
      release(s, 1000);
      reachFinal(f.newCheckpoint);
    } else if (f.type === 'sync.stream.error') {
      if (typeof f.error !== 'string' || typeof f.code !== 'string') bad('error');
      fail(s);
    } else bad('type');
  }

  function toRest() {
    st.via = 'rest';
    page();
  }

  function clearPageTimers() {
    for (const t of [retryTimer, nextTimer, pageTimer]) if (t !== null) env.clearTimeout(t);
    retryTimer = nextTimer = pageTimer = null;
  }

  function page() {
    if (gone || !st.running) return;
    clearPageTimers();
    const ticket = ++pageTicket;
    const since = rxCursor;
    const ctl = new AbortController();
    pageAbort = ctl;
    pageTimer = env.setTimeout(() => ctl.abort(), PAGE_TIMEOUT);
    const q = new URLSearchParams();
    if (since !== null) q.set('since', since);
    q.set('limit', '100');
    env
      .fetch(`${httpRoot}/v1/sync/events?${q.toString()}`, { headers: { Authorization: 'Bearer ' + env.token }, signal: ctl.signal })
      .then(async (r: any) => {
        if (r.status === 401) return 'auth' as const;
        if (r.status !== 200) return null;
        const b = await r.json();
        if (!object(b) || typeof b.hasMore !== 'boolean' || !count(b.totalEvents) || !cursorish(b.nextCursor)) return null;
        if (b.hasMore && b.nextCursor === null) return null;
        return { items: toItems(b.events), next: b.nextCursor as string | null, more: b.hasMore as boolean, total: b.totalEvents as number };
      })
      .catch(() => null)
      .then((res: any) => {
        if (gone || ticket !== pageTicket || !st.running) return;
        if (pageTimer !== null) env.clearTimeout(pageTimer);
        pageTimer = null;
        pageAbort = null;
        if (res === 'auth') return unauthorized();
        if (res === null) return retryLater();
        failures = 0;
        const t = st.received + res.total;
        st.total = Math.max(t, st.processed);
        enqueue(res.items);
        if (res.more) {
          rxCursor = res.next;
          nextTimer = env.setTimeout(() => {
            nextTimer = null;
            page();
          }, 0);
        } else reachFinal(res.next);
      });
  }

  function retryLater() {
    failures++;
    const delay = Math.min(20_000, 2000 * failures) + Math.floor(env.random() * 500);
    retryTimer = env.setTimeout(() => {
      retryTimer = null;
      page();
    }, delay);
  }

  function unauthorized() {
    clearPageTimers();
    if (sock) release(sock, 4000);
    st.running = false;
    st.via = null;
    st.again = false;
    st.authError = true;
    // keep the resume point: the user's next sync continues from it
    savedResume = rxCursor !== checkpoint ? rxCursor : null;
  }

  function reachFinal(cursor: string | null) {
    finalCursor = { value: cursor };
    st.via = null;
    clearPageTimers();
    maybeCommit();
  }

  function maybeCommit() {
    if (finalCursor === null || !idleQueue()) return;
    const c = finalCursor.value;
    finalCursor = null;
    if (c !== null) {
      checkpoint = c;
      owedCheckpoint = true;
    }
    resumeNow = null;
    owedResume = true;
    persist();
    savedResume = null;
    if (st.total !== st.processed) st.total = st.processed;
    st.running = false;
    st.completed++;
    if (st.again) {
      // the sync asked for meanwhile: its stream connects on the next zero-delay tick, so
      // that this completion is recorded in a snapshot of its own before that connect
      st.again = false;
      beginTimer = env.setTimeout(() => {
        beginTimer = null;
        if (!gone) begin();
      }, 0);
    }
  }

  // ---- snapshot: rebuilt each time, the previous object returned when equal ----
  let prevKey = '';
  let prev: any = null;
  function snapshot() {
    const snap = {
      syncs: st.syncs,
      completed: st.completed,
      checkpoint,
      progress: st.total === null ? null : { processed: st.processed, total: st.total },
      store: { count: ids.length, digest: ('0000000' + sum.toString(16)).slice(-8) },
      skipped: st.skipped,
      syncing: st.running,
      via: st.running ? st.via : null,
      authError: st.authError,
    };
    const key = JSON.stringify(snap);
    if (key === prevKey) return prev;
    prevKey = key;
    prev = snap;
    return snap;
  }

  return {
    sync() {
      if (gone || beginTimer !== null) return; // a sync about to start serves this request
      if (st.running) st.again = true;
      else begin();
    },
    snapshot,
    dispose() {
      gone = true;
      sock = null; // the app is killed: its socket dies with it (§ 4)
      clearPageTimers();
      pageAbort?.abort();
      if (drainer !== null) env.clearTimeout(drainer);
      if (beginTimer !== null) env.clearTimeout(beginTimer);
      if (watchdog !== null) env.clearInterval(watchdog);
      if (rewriteTimer !== null) env.clearTimeout(rewriteTimer);
    },
  };
}

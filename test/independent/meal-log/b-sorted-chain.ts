/**
 * Independent meal-log client B — "sorted-chain".
 *
 * Written from docs/protocols/meal-log.md alone, deliberately unlike client A:
 *  - meals live in one array kept sorted by (loggedAt, id) with binary-search insertion;
 *    the snapshot is rebuilt eagerly on every change (a version counter) and the same
 *    object is returned while nothing changed;
 *  - the socket is opened lazily, when it is first needed (NutritionView, a submission,
 *    a restored outbox, a meal known to be processing), not at launch;
 *  - polling is a setTimeout chain armed after each poll ended ("sleeps after each poll");
 *    the interval grows ×1.5 from the 4th unchanged poll (the literal reading) and is kept
 *    after a change;
 *  - the listing is fetched without `date` (all meals);
 *  - uploads carry `loggedAt` (the submission time, RFC 3339 with ms);
 *  - pings are binary frames holding UTF-8 JSON; the heartbeat is one chained timer;
 *  - reconnect delays are backoff[k] with jitter (within ±50 %); a user action resets k and connects
 *    at once; a handshake still pending after 10 s is abandoned by the client;
 *  - uploads wait (≤ 5 s from submission) for the socket to be *verified* or to end;
 *  - pushed payloads and listing answers are applied in chunks on zero-delay timers;
 *  - requests time out after 20 s; the outbox is stored one key per item plus an index;
 *    a write refused for quota leaves the meal pending in memory (still uploaded) and a
 *    timer chain retries the whole write 5 s later until it goes through (§ 2.1 "Storage").
 */

export const protocol = 'meal-log';

type Status = 'uploading' | 'processing' | 'completed' | 'failed';

interface Row {
  localId: string;
  id: string | null;
  text: string;
  status: Status;
  sortKey: string; // loggedAt (server) or the submission time
}

interface Pending {
  localId: string;
  text: string;
  loggedAt: string;
  at: number;
}

interface ServerMeal {
  id: string;
  localId: string;
  rawInput: string;
  status: 'processing' | 'completed' | 'failed';
  loggedAt: string;
}

const STEPS = [1000, 2000, 4000, 8000, 16000, 30000];
const HEARTBEAT = 15000;
const ANSWER_WITHIN = 5000;
const HANDSHAKE_LIMIT = 10000;
const FIRST_POLL = 5000;
const POLL_CAP = 30000;
const HTTP_LIMIT = 20000;
const RETRY_MS = 5000;
const WAIT_FOR_SOCKET = 5000;
const CHUNK = 2;

const INDEX_KEY = 'mlb:index';
const itemKey = (localId: string) => `mlb:item:${localId}`;

const final = (s: Status) => s === 'completed' || s === 'failed';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createClient(env: any) {
  let dead = false;
  const live = new Set<unknown>();
  const clock = (): number => env.Date.now();
  const timer = (ms: number, fn: () => void): unknown => {
    const h = env.setTimeout(() => {
      live.delete(h);
      if (!dead) fn();
    }, ms);
    live.add(h);
    return h;
  };
  const untimer = (h: unknown) => {
    if (h === undefined || h === null) return;
    env.clearTimeout(h);
    live.delete(h);
  };

  const origin = String(env.baseUrl ?? '').replace(/\/+$/, '');
  const wsOrigin = String(env.wsBaseUrl ?? '').replace(/\/+$/, '');
  const bearer = `Bearer ${env.token}`;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  // ------------------------------------------------------------ view (sorted array)
  const rows: Row[] = [];
  let version = 0;
  const touch = () => {
    version += 1;
  };

  const compare = (a: Row, b: Row) => {
    if (a.sortKey !== b.sortKey) return a.sortKey < b.sortKey ? -1 : 1;
    const ai = a.id ?? '\uffff';
    const bi = b.id ?? '\uffff';
    if (ai !== bi) return ai < bi ? -1 : 1;
    return a.localId < b.localId ? -1 : a.localId > b.localId ? 1 : 0;
  };
  const insertSorted = (row: Row) => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(rows[mid]!, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    rows.splice(lo, 0, row);
  };
  const find = (id: string | null | undefined, localId: string): number => {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.localId === localId || (id && r.id === id)) return i;
    }
    return -1;
  };

  // ------------------------------------------------------------ outbox (one key per item)
  const readIndex = (): string[] => {
    try {
      const raw = env.storage.getItem(INDEX_KEY);
      return raw ? (JSON.parse(raw) as string[]) : [];
    } catch {
      return [];
    }
  };
  const pending: Pending[] = [];
  for (const localId of readIndex()) {
    try {
      const raw = env.storage.getItem(itemKey(localId));
      if (raw) pending.push(JSON.parse(raw) as Pending);
    } catch {
      /* a torn item is skipped */
    }
  }
  const stored = new Set(pending.map((p) => p.localId)); // items whose own key was written
  let rewrite: unknown = null;
  /** Writes the items not stored yet, then the index; on a refused write, retries in 5 s. */
  const persist = () => {
    untimer(rewrite);
    rewrite = null;
    try {
      for (const p of pending) {
        if (stored.has(p.localId)) continue;
        env.storage.setItem(itemKey(p.localId), JSON.stringify(p));
        stored.add(p.localId);
      }
      env.storage.setItem(INDEX_KEY, JSON.stringify(pending.map((p) => p.localId)));
    } catch {
      // quota: the meal stays pending in memory and keeps uploading
      rewrite = timer(5000, persist);
    }
  };
  const dropPending = (localId: string) => {
    const i = pending.findIndex((p) => p.localId === localId);
    if (i < 0) return;
    pending.splice(i, 1);
    stored.delete(localId);
    try {
      env.storage.removeItem(itemKey(localId));
    } catch {
      /* the index below no longer names it */
    }
    persist();
  };
  for (const p of pending) insertSorted({ localId: p.localId, id: null, text: p.text, status: 'uploading', sortKey: p.loggedAt });

  /** Merges one server meal; returns true when it turned a processing meal final. */
  const merge = (m: ServerMeal, override?: Status): boolean => {
    if (!m || typeof m.localId !== 'string' || !m.localId) return false;
    const status: Status = override ?? m.status;
    const i = find(m.id, m.localId);
    let turnedFinal = false;
    if (i < 0) {
      insertSorted({ localId: m.localId, id: m.id ?? null, text: m.rawInput ?? '', status, sortKey: m.loggedAt ?? '' });
    } else {
      const row = rows[i]!;
      const next: Row = { ...row, id: m.id ?? row.id, sortKey: m.loggedAt ?? row.sortKey };
      if (!final(row.status)) {
        turnedFinal = row.status === 'processing' && final(status);
        next.status = status;
      }
      rows.splice(i, 1);
      insertSorted(next);
    }
    dropPending(m.localId);
    touch();
    return turnedFinal;
  };
  const someProcessing = () => rows.some((r) => r.status === 'processing');

  // ------------------------------------------------------------ socket state
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let sock: any = null;
  let sockOpen = false;
  let sockVerified = false;
  let sockFrames = 0;
  let sockBornAt = 0;
  let wanted = false; // the socket has been needed in this incarnation
  let everConnected = false;
  let unverifiedEnds = 0; // consecutive sockets ended unverified since the last verified one
  let retryConnect: unknown = null;
  let beat: unknown = null;
  let handshakeGuard: unknown = null;
  let cameBackAt = -Infinity;
  let onlineWhileAway = false;
  const socketWatchers: Array<() => void> = [];

  // polling
  let looping = false;
  let period = FIRST_POLL;
  let quietPolls = 0;
  let nextPoll: unknown = null;
  let pollBusy = false;
  let pollRun = 0; // identifies one polling run

  // loads
  let loadSeq = 0;
  let loadBusy = false;
  let lastOkAnswerAt = -Infinity;
  let failedLoadAt: number | null = null;
  let reloadTimer: unknown = null;

  // uploads
  let pumping = false;
  let pumpRetry: unknown = null;

  // ------------------------------------------------------------ chunked work queue
  const work: Array<() => void> = [];
  let draining = false;
  const enqueue = (job: () => void) => {
    work.push(job);
    if (!draining) {
      draining = true;
      timer(0, drain);
    }
  };
  const drain = () => {
    for (let n = 0; n < CHUNK && work.length > 0; n++) work.shift()!();
    if (work.length > 0) timer(0, drain);
    else draining = false;
  };
  /** Applies a list of meals CHUNK at a time across zero-delay timers; resolves when done. */
  const applyInChunks = (list: ServerMeal[]) =>
    new Promise<boolean>((resolve) => {
      let changed = false;
      for (const m of list)
        enqueue(() => {
          if (merge(m)) changed = true;
        });
      enqueue(() => resolve(changed));
    });

  // ------------------------------------------------------------ HTTP
  const getList = async (): Promise<{ ok: boolean; changed: boolean }> => {
    try {
      const r = await env.fetch(`${origin}/api/v1/meal-logs`, {
        headers: { authorization: bearer },
        signal: env.timeoutSignal(HTTP_LIMIT),
      });
      if (dead || !r.ok) return { ok: false, changed: false };
      const body = (await r.json()) as { mealLogs?: ServerMeal[] };
      if (dead) return { ok: false, changed: false };
      lastOkAnswerAt = clock();
      const changed = await applyInChunks(Array.isArray(body.mealLogs) ? body.mealLogs : []);
      return { ok: true, changed };
    } catch {
      return { ok: false, changed: false };
    }
  };

  /** A refresh at a load point; one chain at a time, retried every 5 s while it keeps failing. */
  const refresh = async () => {
    if (dead) return;
    untimer(reloadTimer);
    reloadTimer = null;
    if (!env.isOnline()) {
      if (failedLoadAt === null) failedLoadAt = clock();
      return;
    }
    const mine = ++loadSeq;
    loadBusy = true;
    const startedAt = clock();
    const res = await getList();
    if (dead || mine !== loadSeq) return;
    loadBusy = false;
    if (res.ok) failedLoadAt = null;
    else {
      failedLoadAt = startedAt;
      reloadTimer = timer(RETRY_MS, () => {
        reloadTimer = null;
        if (loadBusy) return;
        if (failedLoadAt !== null && lastOkAnswerAt <= failedLoadAt) void refresh();
        else failedLoadAt = null;
      });
    }
    reconsider();
  };

  // ------------------------------------------------------------ polling (timeout chain)
  const reconsider = () => {
    if (dead) return;
    if (someProcessing() && !wanted) need();
    const should = someProcessing() && !sockVerified;
    if (should && !looping) {
      looping = true;
      pollRun += 1;
      period = FIRST_POLL;
      quietPolls = 0;
      armPoll(FIRST_POLL);
      touch();
    } else if (!should && looping) {
      looping = false;
      untimer(nextPoll);
      nextPoll = null;
      touch();
    }
  };
  const armPoll = (ms: number) => {
    untimer(nextPoll);
    nextPoll = timer(ms, () => {
      nextPoll = null;
      void pollOnce();
    });
  };
  const pollOnce = async () => {
    if (!looping) return;
    if (pollBusy) {
      armPoll(period); // a poll of an earlier run is still out: try again one interval later
      return;
    }
    if (!env.isOnline()) return; // back online refreshes and re-arms
    const run = pollRun;
    pollBusy = true;
    const res = await getList();
    pollBusy = false;
    if (dead) return;
    if (looping && run === pollRun && res.ok) {
      if (res.changed) {
        quietPolls = 0; // the interval is kept after a change (§ 9 allows it)
      } else {
        quietPolls += 1;
        if (quietPolls >= 4) period = Math.min(POLL_CAP, period * 1.5); // literal "from the 4th"
      }
      touch();
    }
    reconsider();
    if (looping && run === pollRun && nextPoll === null) armPoll(period);
  };
  const refreshThenRearm = async () => {
    await refresh();
    if (looping && !dead) armPoll(period);
  };

  // ------------------------------------------------------------ socket
  const wake = () => {
    for (const w of socketWatchers.splice(0)) w();
  };
  const later = (ms: number) => {
    untimer(retryConnect);
    retryConnect = timer(ms, () => {
      retryConnect = null;
      if (env.isOnline()) open();
    });
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ping = (s: any) => {
    if (sock !== s || !sockOpen) return;
    const seen = sockFrames;
    try {
      s.send(encoder.encode(JSON.stringify({ type: 'ping' })));
    } catch {
      /* close follows */
    }
    untimer(beat);
    beat = timer(ANSWER_WITHIN, () => {
      beat = null;
      if (sock !== s) return;
      if (sockFrames === seen) finish(s, 4000);
      else beat = timer(HEARTBEAT - ANSWER_WITHIN, () => ping(s));
    });
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const finish = (s: any, code?: number) => {
    if (sock !== s) return;
    sock = null;
    const hadVerified = sockVerified;
    sockVerified = false;
    sockOpen = false;
    untimer(beat);
    beat = null;
    untimer(handshakeGuard);
    handshakeGuard = null;
    if (code !== undefined) {
      try {
        s.close(code);
      } catch {
        /* ignore */
      }
    }
    touch();
    // k = the sockets that ended unverified before this one since the last verified one.
    // § 6.1 MEAL-9 can be read with or without the socket that just ended in k; a delay in
    // [1, 1.5] × backoff[k] lies inside the ±50 % window of both readings (jitter, § 9).
    let delay: number;
    if (hadVerified) {
      unverifiedEnds = 0;
      delay = STEPS[0]! * (0.5 + env.random()); // k = 0: anything up to 1.5 s
    } else {
      const k = Math.min(unverifiedEnds, STEPS.length - 1);
      unverifiedEnds += 1;
      delay = STEPS[k]! * (1 + 0.5 * env.random());
    }
    if (clock() - cameBackAt <= 1000 && sockBornAt < cameBackAt) {
      unverifiedEnds = 0; // died while away; the device is back: connect at once
      delay = 0;
    }
    later(delay);
    wake();
    reconsider();
  };

  const open = () => {
    if (dead || sock !== null || !env.isOnline()) return;
    untimer(retryConnect);
    retryConnect = null;
    const s = new env.WebSocket(`${wsOrigin}/ws/meal-logs?token=${encodeURIComponent(env.token)}`);
    s.binaryType = 'arraybuffer';
    sock = s;
    sockBornAt = clock();
    sockOpen = false;
    sockVerified = false;
    sockFrames = 0;
    everConnected = true;
    touch();
    handshakeGuard = timer(HANDSHAKE_LIMIT, () => {
      handshakeGuard = null;
      if (sock === s && !sockOpen) finish(s, 1000);
    });
    s.onopen = () => {
      if (sock !== s || dead) return;
      sockOpen = true;
      untimer(handshakeGuard);
      handshakeGuard = null;
      touch();
      wake();
      ping(s);
    };
    s.onmessage = (e: { data: unknown }) => {
      if (sock !== s || dead) return;
      sockFrames += 1;
      if (!sockVerified) {
        sockVerified = true;
        unverifiedEnds = 0;
        touch();
        wake();
        reconsider();
        void refresh(); // catch up on anything pushed into a dead socket
      }
      const raw = e.data;
      enqueue(() => onFrame(raw));
    };
    s.onerror = () => {
      if (!dead) finish(s);
    };
    s.onclose = () => {
      if (!dead) finish(s);
    };
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const onFrame = (raw: any) => {
    let text: string;
    if (typeof raw === 'string') text = raw;
    else {
      try {
        text = decoder.decode(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw);
      } catch {
        return;
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let f: any;
    try {
      f = JSON.parse(text);
    } catch {
      return;
    }
    if (f?.type !== 'meal_log_completed' && f?.type !== 'meal_log_failed') return;
    const m = f.payload?.mealLog as ServerMeal | undefined;
    if (!m) return;
    const override: Status | undefined =
      m.status === 'processing' ? (f.type === 'meal_log_failed' ? 'failed' : 'completed') : undefined;
    merge(m, override);
    reconsider();
  };

  /** The socket is needed (a user action, a pending upload, a processing meal). */
  function need(userAction = false) {
    wanted = true;
    if (sock !== null) return;
    if (userAction) unverifiedEnds = 0; // MEAL-9: a user action may reset k
    if (userAction || retryConnect === null) open();
  }

  // ------------------------------------------------------------ uploads
  const waitForSocket = (p: Pending) =>
    new Promise<void>((resolve) => {
      const left = p.at + WAIT_FOR_SOCKET - clock();
      if (sock === null || sockVerified || left <= 0) return resolve();
      let settled = false;
      const check = () => {
        if (settled) return;
        if (sock === null || sockVerified || clock() >= p.at + WAIT_FOR_SOCKET) {
          settled = true;
          untimer(t);
          resolve();
        } else socketWatchers.push(check);
      };
      const t = timer(left, () => {
        settled = true;
        resolve();
      });
      socketWatchers.push(check);
    });

  const post = async (p: Pending): Promise<boolean> => {
    try {
      const r = await env.fetch(`${origin}/api/v1/meal-logs/natural`, {
        method: 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ localId: p.localId, rawInput: p.text, loggedAt: p.loggedAt }),
        signal: env.timeoutSignal(HTTP_LIMIT),
      });
      if (dead || !r.ok) return false;
      const body = (await r.json()) as { mealLog?: ServerMeal };
      if (dead) return false;
      if (body.mealLog) merge(body.mealLog);
      dropPending(p.localId);
      touch();
      reconsider();
      return true;
    } catch {
      return false;
    }
  };

  const pump = async () => {
    if (pumping || dead) return;
    pumping = true;
    try {
      while (pending.length > 0 && !dead) {
        if (!everConnected) need();
        if (!everConnected) return; // offline: the online handler pumps (MEAL-12)
        const p = pending[0]!;
        await waitForSocket(p);
        if (dead) return;
        if (pending[0] !== p) continue;
        if (!(await post(p))) {
          if (dead) return;
          untimer(pumpRetry);
          pumpRetry = timer(RETRY_MS, () => {
            pumpRetry = null;
            void pump();
          });
          return;
        }
      }
    } finally {
      pumping = false;
    }
  };

  const uuid = () => {
    let s = '';
    for (let i = 0; i < 32; i++) s += Math.floor(env.random() * 16).toString(16);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };

  // ------------------------------------------------------------ lifecycle
  const backOnline = () => {
    cameBackAt = clock();
    unverifiedEnds = 0;
    if (wanted && sock === null) {
      untimer(retryConnect);
      retryConnect = null;
      open();
    }
    void pump();
    if (looping || failedLoadAt !== null) void refreshThenRearm();
  };
  env.lifecycle.addEventListener('online', () => {
    if (dead) return;
    if (!env.isForeground()) {
      onlineWhileAway = true;
      return;
    }
    backOnline();
  });
  env.lifecycle.addEventListener('foreground', () => {
    if (dead || !env.isOnline()) return;
    if (onlineWhileAway) {
      onlineWhileAway = false;
      backOnline();
      return;
    }
    if (wanted && sock === null && retryConnect === null) open();
    void pump();
    if (looping) void refreshThenRearm();
  });

  // ------------------------------------------------------------ launch
  if (pending.length > 0) need();
  void refresh();
  void pump();

  // ------------------------------------------------------------ snapshot
  let snapVersion = -1;
  let snap: unknown = null;
  let lastVerified = false;
  let lastConn = '';
  return {
    openNutritionView() {
      if (dead) return;
      need(true);
      void refresh();
    },
    submitMeal(text: string) {
      if (dead) return;
      const at = clock();
      const p: Pending = { localId: uuid(), text: String(text), loggedAt: new env.Date(at).toISOString(), at };
      pending.push(p);
      persist();
      insertSorted({ localId: p.localId, id: null, text: p.text, status: 'uploading', sortKey: p.loggedAt });
      touch();
      need(true);
      void pump();
    },
    snapshot() {
      const conn = sock === null ? 'disconnected' : sockOpen ? 'connected' : 'connecting';
      if (snap !== null && snapVersion === version && lastVerified === sockVerified && lastConn === conn) return snap;
      snapVersion = version;
      lastVerified = sockVerified;
      lastConn = conn;
      snap = {
        meals: rows.map((r) => ({ localId: r.localId, id: r.id, text: r.text, status: r.status })),
        verified: sockVerified,
        connection: conn,
        polling: looping,
        pollingInterval: looping ? period : null,
        outbox: pending.length,
      };
      return snap;
    },
    dispose() {
      dead = true;
      for (const h of live) env.clearTimeout(h);
      live.clear();
    },
  };
}

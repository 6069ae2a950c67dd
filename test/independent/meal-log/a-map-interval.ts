/**
 * Independent meal-log client A — "map-interval".
 *
 * Written from docs/protocols/meal-log.md alone. Design:
 *  - meals live in a Map keyed by localId (plus a backend-id index); the snapshot is built
 *    on demand, sorted by loggedAt, and deduplicated against the previous one by fingerprint;
 *  - connects eagerly at launch (spec § 6.1 MEAL-13: "Connecting earlier (at launch) is fine");
 *  - polling is a setInterval re-armed whenever the adaptive interval changes
 *    (spec § 5: "every bound above holds whether a client sleeps after each poll or runs a timer");
 *  - listing with `?date=YYYY-MM-DD` (today, UTC) — but without `date` (every meal) until a
 *    listing of this launch succeeded (a relaunch does not know the days of the meals it
 *    waits on) and while a meal it waits on is not known to be logged today (§ 2.1 "Days":
 *    "ask for the day of every meal you are still waiting on ... or omit `date`");
 *  - heartbeat: setInterval(15 s) pings as text frames + a 5 s answer deadline per ping;
 *  - deterministic backoff 1, 2, 4, 8, 16, 30 s (no jitter), waited out even on a user action;
 *  - uploads wait (≤ 5 s from submission) only for the socket to open or fail (MEAL-10);
 *  - uploads omit `loggedAt` (§ 1.1: "loggedAt (RFC 3339) defaults to when the server received");
 *  - a storage write refused (quota) leaves the outbox in memory, still uploaded, and an
 *    interval re-saves it every 5 s until a write succeeds (§ 2.1 "Storage": "a client keeps
 *    the meal in memory and goes on uploading it"); the id counter lives in memory too, so
 *    ids stay unique while its writes fail.
 */

export const protocol = 'meal-log';

type Status = 'uploading' | 'processing' | 'completed' | 'failed';

interface Meal {
  localId: string;
  id: string | null;
  text: string;
  status: Status;
  loggedAt: string | null;
  submittedIso: string;
}

interface OutboxItem {
  localId: string;
  text: string;
  submittedAt: number;
  submittedIso: string;
}

interface ServerMealLog {
  id: string;
  localId: string;
  rawInput: string;
  status: 'processing' | 'completed' | 'failed';
  loggedAt: string;
}

const BACKOFF = [1000, 2000, 4000, 8000, 16000, 30000];
const PING_EVERY = 15000;
const PONG_WITHIN = 5000;
const BASE_POLL = 5000;
const MAX_POLL = 30000;
const REQUEST_TIMEOUT = 10000;
const RETRY_AFTER = 5000;
const PRECONNECT_WAIT = 5000;

const OUTBOX_KEY = 'meal-log/a/outbox';
const SEQ_KEY = 'meal-log/a/seq';

const isFinal = (s: Status) => s === 'completed' || s === 'failed';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createClient(env: any) {
  let disposed = false;
  const timeouts = new Set<unknown>();
  const intervals = new Set<unknown>();
  const now = (): number => env.Date.now();

  const after = (ms: number, fn: () => void) => {
    const h = env.setTimeout(() => {
      timeouts.delete(h);
      if (!disposed) fn();
    }, ms);
    timeouts.add(h);
    return h;
  };
  const cancel = (h: unknown) => {
    if (h === undefined) return;
    env.clearTimeout(h);
    timeouts.delete(h);
  };
  const every = (ms: number, fn: () => void) => {
    const h = env.setInterval(() => {
      if (!disposed) fn();
    }, ms);
    intervals.add(h);
    return h;
  };
  const stopEvery = (h: unknown) => {
    if (h === undefined) return;
    env.clearInterval(h);
    intervals.delete(h);
  };

  const base = String(env.baseUrl ?? '').replace(/\/+$/, '');
  const wsBase = String(env.wsBaseUrl ?? '').replace(/\/+$/, '');
  const auth = { authorization: `Bearer ${env.token}` };

  // ---------------------------------------------------------------- state
  const meals = new Map<string, Meal>();
  const localIdByBackendId = new Map<string, string>();
  let outbox: OutboxItem[] = [];
  try {
    const raw = env.storage.getItem(OUTBOX_KEY);
    if (raw) outbox = JSON.parse(raw) as OutboxItem[];
  } catch {
    outbox = [];
  }
  for (const item of outbox) {
    meals.set(item.localId, {
      localId: item.localId,
      id: null,
      text: item.text,
      status: 'uploading',
      loggedAt: null,
      submittedIso: item.submittedIso,
    });
  }
  let resaveEvery: unknown;
  const saveOutbox = () => {
    try {
      env.storage.setItem(OUTBOX_KEY, JSON.stringify(outbox));
    } catch {
      // quota: memory stays the truth; a relaunch only finds what a later save wrote
      if (resaveEvery === undefined) resaveEvery = every(5000, saveOutbox);
      return;
    }
    stopEvery(resaveEvery);
    resaveEvery = undefined;
  };

  const metrics = {
    connectionAttempts: 0,
    successfulConnections: 0,
    failedConnections: 0,
    messagesReceived: 0,
    averageLatency: 0,
  };
  let latencySamples = 0;

  // socket
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ws: any = null;
  let wsOpen = false;
  let verified = false;
  let framesOnSocket = 0;
  let wsCreatedAt = 0;
  let unverifiedInRow = 0; // sockets ended unverified since the last verified one / launch
  let reconnectTimer: unknown;
  let heartbeatTimer: unknown;
  let pongDeadline: unknown;
  let pingSentAt = 0;
  let connectedThisLaunch = false;
  let backOnlineAt = -Infinity;
  let pendingOnline = false;
  const connectionWaiters: Array<() => void> = [];

  // polling
  let polling = false;
  let pollInterval = BASE_POLL;
  let unchangedPolls = 0;
  let pollTimer: unknown;
  let pollInFlight = false;
  let pollAbort: AbortController | null = null;

  // loads
  let knowledgeComplete = false;
  let lastListingOkAt = -Infinity;
  let failedLoadStartedAt: number | null = null;
  let loadRetryTimer: unknown;

  // outbox
  let flushing = false;
  let flushRetryTimer: unknown;

  // ---------------------------------------------------------------- meals
  const today = () => new env.Date(now()).toISOString().slice(0, 10);

  /** Applies a server MealLog; returns true when it made a meal final in the view. */
  const applyMealLog = (ml: ServerMealLog, forced?: Status): boolean => {
    if (!ml || typeof ml.localId !== 'string' || ml.localId === '') return false;
    const incoming: Status = forced ?? ml.status;
    const key = localIdByBackendId.get(ml.id) ?? ml.localId;
    let meal = meals.get(key);
    let becameFinal = false;
    if (!meal) {
      meal = {
        localId: ml.localId,
        id: ml.id ?? null,
        text: ml.rawInput ?? '',
        status: incoming,
        loggedAt: ml.loggedAt ?? null,
        submittedIso: ml.loggedAt ?? new env.Date(now()).toISOString(),
      };
      meals.set(key, meal);
    } else {
      if (ml.id) meal.id = ml.id;
      if (ml.loggedAt) meal.loggedAt = ml.loggedAt;
      // status never goes back from a final one (§ 1.2: "never changes again")
      if (!isFinal(meal.status)) {
        if (isFinal(incoming)) becameFinal = meal.status === 'processing';
        meal.status = incoming;
      }
    }
    if (ml.id) localIdByBackendId.set(ml.id, key);
    // the backend has it: it leaves the outbox
    const idx = outbox.findIndex((o) => o.localId === ml.localId);
    if (idx >= 0) {
      outbox.splice(idx, 1);
      saveOutbox();
    }
    return becameFinal;
  };

  const anyProcessing = () => {
    for (const m of meals.values()) if (m.status === 'processing') return true;
    return false;
  };

  // ---------------------------------------------------------------- listing
  let listedThisLaunch = false;
  /** `?date=<today>` only when every meal still awaited is known to be logged today. */
  const listingQuery = (): string => {
    if (!listedThisLaunch) return '';
    const day = today();
    for (const m of meals.values()) {
      if (isFinal(m.status)) continue;
      if (m.loggedAt === null) return '';
      const logged = new env.Date(m.loggedAt); // RFC 3339 may carry an offset: compare UTC days
      if (Number.isNaN(logged.getTime()) || logged.toISOString().slice(0, 10) !== day) return '';
    }
    return `?date=${day}`;
  };
  const listing = async (signal?: AbortSignal): Promise<{ ok: boolean; becameFinal: boolean }> => {
    try {
      const timeout = env.timeoutSignal(REQUEST_TIMEOUT);
      const sig = signal && typeof AbortSignal.any === 'function' ? AbortSignal.any([signal, timeout]) : timeout;
      const r = await env.fetch(`${base}/api/v1/meal-logs${listingQuery()}`, { headers: auth, signal: sig });
      if (disposed) return { ok: false, becameFinal: false };
      if (r.status < 200 || r.status >= 300) return { ok: false, becameFinal: false };
      const body = (await r.json()) as { mealLogs?: ServerMealLog[] };
      if (disposed) return { ok: false, becameFinal: false };
      let becameFinal = false;
      for (const ml of body.mealLogs ?? []) if (applyMealLog(ml)) becameFinal = true;
      knowledgeComplete = true;
      listedThisLaunch = true;
      lastListingOkAt = now();
      return { ok: true, becameFinal };
    } catch {
      return { ok: false, becameFinal: false };
    }
  };

  /**
   * A load: a refresh at a load point (not a poll). One at a time: a new load point aborts
   * the load in flight and starts afresh; a failed load is retried every 5 s (a single chain)
   * while no listing got a 2xx answer since it started.
   */
  let loadAbort: AbortController | null = null;
  const load = async () => {
    if (disposed) return;
    cancel(loadRetryTimer);
    loadRetryTimer = undefined;
    if (!env.isOnline()) {
      if (failedLoadStartedAt === null) failedLoadStartedAt = now();
      return; // the online handler loads
    }
    loadAbort?.abort();
    const ctrl = new AbortController();
    loadAbort = ctrl;
    const startedAt = now();
    const r = await listing(ctrl.signal);
    if (disposed || loadAbort !== ctrl) return; // superseded by a newer load
    loadAbort = null;
    if (r.ok) {
      failedLoadStartedAt = null;
    } else {
      failedLoadStartedAt = startedAt;
      loadRetryTimer = after(RETRY_AFTER, () => {
        loadRetryTimer = undefined;
        if (loadAbort !== null) return; // a newer load is running
        if (failedLoadStartedAt !== null && lastListingOkAt <= failedLoadStartedAt) void load();
        else failedLoadStartedAt = null;
      });
    }
    updatePolling();
  };

  // ---------------------------------------------------------------- polling
  const pollNeeded = () => !verified && anyProcessing();

  const armPollTimer = () => {
    stopEvery(pollTimer);
    pollTimer = every(pollInterval, pollTick);
  };

  const updatePolling = () => {
    if (disposed) return;
    const need = pollNeeded();
    if (need && !polling) {
      polling = true;
      pollInterval = BASE_POLL;
      unchangedPolls = 0;
      armPollTimer();
    } else if (!need && polling) {
      polling = false;
      stopEvery(pollTimer);
      pollTimer = undefined;
      if (verified && pollAbort) pollAbort.abort();
    }
  };

  const pollTick = () => {
    if (!polling || pollInFlight || !env.isOnline()) return;
    void doPoll();
  };

  const doPoll = async () => {
    pollInFlight = true;
    const ctrl = new AbortController();
    pollAbort = ctrl;
    const before = pollInterval;
    const r = await listing(ctrl.signal);
    pollInFlight = false;
    if (pollAbort === ctrl) pollAbort = null;
    if (disposed) return;
    if (polling && r.ok) {
      if (r.becameFinal) {
        unchangedPolls = 0;
        pollInterval = BASE_POLL;
      } else {
        unchangedPolls += 1;
        if (unchangedPolls >= 3) pollInterval = Math.min(MAX_POLL, pollInterval * 1.5);
      }
    }
    updatePolling();
    if (polling && pollInterval !== before) armPollTimer();
  };

  /** Refresh at once (a load point) and restart the loop's timer from its end. */
  const loadAndRearm = async () => {
    await load();
    if (polling && !disposed) armPollTimer();
  };

  // ---------------------------------------------------------------- socket
  const notifyConnectionWaiters = () => {
    const waiters = connectionWaiters.splice(0);
    for (const w of waiters) w();
  };

  const scheduleReconnect = (ms: number) => {
    cancel(reconnectTimer);
    reconnectTimer = after(ms, () => {
      reconnectTimer = undefined;
      if (!env.isOnline()) return; // the online handler connects
      connect();
    });
  };

  const sendPing = (sock: { send(d: string): void }) => {
    if (ws !== sock || !wsOpen) return;
    pingSentAt = now();
    const framesAtPing = framesOnSocket;
    try {
      sock.send(JSON.stringify({ type: 'ping' }));
    } catch {
      /* the close event follows */
    }
    cancel(pongDeadline);
    pongDeadline = after(PONG_WITHIN, () => {
      pongDeadline = undefined;
      if (ws === sock && framesOnSocket === framesAtPing) endSocket(sock, 4000);
    });
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const endSocket = (sock: any, closeCode?: number) => {
    if (ws !== sock) return;
    ws = null;
    const wasVerified = verified;
    verified = false;
    wsOpen = false;
    stopEvery(heartbeatTimer);
    heartbeatTimer = undefined;
    cancel(pongDeadline);
    pongDeadline = undefined;
    if (closeCode !== undefined) {
      try {
        sock.close(closeCode);
      } catch {
        /* already closing */
      }
    }
    let delay: number;
    if (wasVerified) {
      delay = BACKOFF[0]!;
    } else {
      metrics.failedConnections += 1;
      delay = BACKOFF[Math.min(unverifiedInRow, BACKOFF.length - 1)]!;
      unverifiedInRow += 1;
    }
    if (now() - backOnlineAt <= 1000 && wsCreatedAt < backOnlineAt) {
      // a socket that died while the device was away, learnt of just after it came back:
      // it connects at once (MEAL-9 lets coming online reset k; MEAL-14 wants 1.5 s)
      unverifiedInRow = 0;
      delay = 0;
    }
    scheduleReconnect(delay);
    notifyConnectionWaiters();
    updatePolling();
  };

  const onVerified = () => {
    verified = true;
    unverifiedInRow = 0;
    metrics.successfulConnections += 1;
    updatePolling();
    // catch up: a completion sent into a socket that died silently is never pushed again
    if (anyProcessing() || !knowledgeComplete) void load();
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const decode = (data: any): string => {
    if (typeof data === 'string') return data;
    try {
      return new TextDecoder().decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    } catch {
      return '';
    }
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const handleFrame = (raw: any) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let frame: any;
    try {
      frame = JSON.parse(decode(raw));
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'pong') {
      const rtt = now() - pingSentAt;
      latencySamples += 1;
      metrics.averageLatency += (rtt - metrics.averageLatency) / latencySamples;
    } else if (frame.type === 'meal_log_completed' || frame.type === 'meal_log_failed') {
      const ml = frame.payload?.mealLog as ServerMealLog | undefined;
      if (ml) {
        const forced: Status | undefined =
          ml.status === 'processing' ? (frame.type === 'meal_log_failed' ? 'failed' : 'completed') : undefined;
        applyMealLog(ml, forced);
        updatePolling();
      }
    }
  };

  const connect = () => {
    if (disposed || ws !== null) return; // guard: one socket connecting or open
    if (!env.isOnline()) return;
    cancel(reconnectTimer);
    reconnectTimer = undefined;
    const sock = new env.WebSocket(`${wsBase}/ws/meal-logs?token=${encodeURIComponent(env.token)}`);
    ws = sock;
    wsCreatedAt = now();
    wsOpen = false;
    verified = false;
    framesOnSocket = 0;
    connectedThisLaunch = true;
    metrics.connectionAttempts += 1;
    sock.addEventListener('open', () => {
      if (ws !== sock || disposed) return;
      wsOpen = true;
      notifyConnectionWaiters();
      sendPing(sock);
      heartbeatTimer = every(PING_EVERY, () => sendPing(sock));
    });
    sock.addEventListener('message', (e: { data: unknown }) => {
      if (ws !== sock || disposed) return;
      framesOnSocket += 1;
      metrics.messagesReceived += 1;
      if (!verified) onVerified();
      handleFrame(e.data);
    });
    sock.addEventListener('error', () => {
      if (!disposed) endSocket(sock);
    });
    sock.addEventListener('close', () => {
      if (!disposed) endSocket(sock);
    });
  };

  /** MEAL-10: wait for a connection in progress to open or fail, at most 5 s from submission. */
  const waitForConnection = (item: OutboxItem) =>
    new Promise<void>((resolve) => {
      const remaining = item.submittedAt + PRECONNECT_WAIT - now();
      if (ws === null || wsOpen || remaining <= 0) return resolve();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        cancel(t);
        resolve();
      };
      const t = after(remaining, finish);
      connectionWaiters.push(finish);
    });

  // ---------------------------------------------------------------- outbox
  const upload = async (item: OutboxItem): Promise<boolean> => {
    try {
      const r = await env.fetch(`${base}/api/v1/meal-logs/natural`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ localId: item.localId, rawInput: item.text }),
        signal: env.timeoutSignal(REQUEST_TIMEOUT),
      });
      if (disposed) return false;
      if (r.status < 200 || r.status >= 300) return false;
      const body = (await r.json()) as { mealLog?: ServerMealLog };
      if (disposed) return false;
      if (body.mealLog) applyMealLog(body.mealLog);
      const idx = outbox.indexOf(item);
      if (idx >= 0) {
        outbox.splice(idx, 1);
        saveOutbox();
      }
      updatePolling();
      return true;
    } catch {
      return false;
    }
  };

  const flush = async () => {
    if (flushing || disposed) return;
    flushing = true;
    try {
      while (outbox.length > 0 && !disposed) {
        if (!env.isOnline()) return; // the online handler flushes
        if (!connectedThisLaunch) connect(); // MEAL-12: connect before (or as) uploading
        if (!connectedThisLaunch) return;
        const item = outbox[0]!;
        await waitForConnection(item);
        if (disposed) return;
        if (outbox[0] !== item) continue;
        const ok = await upload(item);
        if (disposed) return;
        if (!ok) {
          cancel(flushRetryTimer);
          flushRetryTimer = after(RETRY_AFTER, () => {
            flushRetryTimer = undefined;
            void flush();
          });
          return;
        }
      }
    } finally {
      flushing = false;
    }
  };

  let lastSeq = 0;
  const nextLocalId = () => {
    const seq = Math.max(lastSeq, Number(env.storage.getItem(SEQ_KEY) ?? '0') || 0) + 1;
    lastSeq = seq;
    try {
      env.storage.setItem(SEQ_KEY, String(seq));
    } catch {
      /* quota: the launch salt keeps ids unique anyway */
    }
    const salt = Math.floor(env.random() * 0x100000000).toString(36);
    return `a-${now().toString(36)}-${seq}-${salt}`;
  };

  // ---------------------------------------------------------------- lifecycle
  const backOnline = () => {
    backOnlineAt = now();
    unverifiedInRow = 0;
    if (ws === null) {
      cancel(reconnectTimer);
      reconnectTimer = undefined;
      connect();
    }
    void flush();
    if (polling || failedLoadStartedAt !== null || !knowledgeComplete) void loadAndRearm();
  };

  env.lifecycle.addEventListener('online', () => {
    if (disposed) return;
    if (!env.isForeground()) {
      pendingOnline = true;
      return;
    }
    backOnline();
  });
  env.lifecycle.addEventListener('foreground', () => {
    if (disposed) return;
    if (!env.isOnline()) return;
    if (pendingOnline) {
      pendingOnline = false;
      backOnline();
      return;
    }
    if (ws === null && reconnectTimer === undefined) connect();
    void flush();
    if (polling) void loadAndRearm();
  });

  // ---------------------------------------------------------------- launch
  connect();
  void load();
  void flush();

  // ---------------------------------------------------------------- snapshot
  let lastSnapshot: unknown = null;
  let lastFingerprint = '';

  const buildSnapshot = () => {
    const list = [...meals.values()].sort((x, y) => {
      const kx = x.loggedAt ?? x.submittedIso;
      const ky = y.loggedAt ?? y.submittedIso;
      if (kx !== ky) return kx < ky ? -1 : 1;
      const ix = x.id ?? '';
      const iy = y.id ?? '';
      if (ix !== iy) return ix < iy ? -1 : 1;
      return x.localId < y.localId ? -1 : x.localId > y.localId ? 1 : 0;
    });
    return {
      meals: list.map((m) => ({ localId: m.localId, id: m.id, text: m.text, status: m.status })),
      verified,
      connection: ws === null ? 'disconnected' : wsOpen ? 'connected' : 'connecting',
      polling,
      pollingInterval: polling ? pollInterval : null,
      outbox: outbox.length,
      metrics: { ...metrics },
    };
  };

  return {
    openNutritionView() {
      if (disposed) return;
      // design A waits out a pending backoff (MEAL-9: resetting on a user action is optional)
      if (ws === null && reconnectTimer === undefined) connect();
      void load();
    },
    submitMeal(text: string) {
      if (disposed) return;
      const submittedAt = now();
      const item: OutboxItem = {
        localId: nextLocalId(),
        text: String(text),
        submittedAt,
        submittedIso: new env.Date(submittedAt).toISOString(),
      };
      outbox.push(item);
      saveOutbox();
      meals.set(item.localId, {
        localId: item.localId,
        id: null,
        text: item.text,
        status: 'uploading',
        loggedAt: null,
        submittedIso: item.submittedIso,
      });
      if (ws === null && reconnectTimer === undefined) connect();
      void flush();
    },
    snapshot() {
      const snap = buildSnapshot();
      const fp = JSON.stringify(snap);
      if (fp === lastFingerprint && lastSnapshot !== null) return lastSnapshot;
      lastFingerprint = fp;
      lastSnapshot = snap;
      return snap;
    },
    dispose() {
      disposed = true;
      for (const h of timeouts) env.clearTimeout(h);
      for (const h of intervals) env.clearInterval(h);
      timeouts.clear();
      intervals.clear();
    },
  };
}

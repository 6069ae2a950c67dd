/**
 * Independent chat client B — "map-awaitloop".
 *
 * Written from docs/protocols/chat.md alone. Design choices (each permitted by the spec):
 *  - messages kept in a Map keyed by server id, sorted only when a snapshot is built
 *    (spec: "A message is shown once per `id` [CHAT-2], ordered by `timestamp`");
 *  - polling as an await-each-poll loop: the next poll is timed from the previous poll's
 *    END, with ±5 % jitter (CHAT-13: "the wait — from p's start, or from p's end (a loop
 *    that awaits each poll)"; "Every interval the client times itself ... is judged with
 *    ±10 % of jitter");
 *  - token sent as an `Authorization: Bearer` header on the upgrade, not in the URL (spec:
 *    "an `Authorization: Bearer` header on the upgrade request is accepted too");
 *  - reconnect backoff jittered ±5 % around 2/4/8/16/32 s (CHAT-8: "±10 % + T");
 *  - received frames queued and processed in batches on zero-delay timers (the spec only
 *    judges what snapshots show; the frame's arrival time is recorded at once for the
 *    heartbeat);
 *  - heartbeat as a setInterval of pings plus a 5 s watchdog per ping;
 *  - its own 12 s connect timeout (spec: a failure is when "the client stopped having it
 *    connecting or open — it failed, closed, or the client called `close()`"), with polling
 *    started 3 s into a handshake still pending (CHAT-5: "a connect timeout of at most 6 s
 *    ... or polling while the handshake is pending");
 *  - keeps polling while offline (the spec only says a client MAY hold its polls);
 *  - 4001 handled as an ordinary failure; the auth error is learned from the next 401
 *    (spec: "or learn of it from the 401 of its next request");
 *  - on a 401 the socket, if open, is left open (the spec asks to stop polling,
 *    reconnecting and sending);
 *  - on `online`/`foreground` a backoff still running is left to fire (CHAT-16: "at once,
 *    or at the next step of a backoff still running"); only a given-up loop reconnects at once;
 *  - the outbox is sent in parallel, each entry with its own retry timer;
 *  - the open conversation is persisted and restored after an app restart (spec:
 *    "Restoring is not required" — it is allowed);
 *  - no stability timer: when a socket is lost, how long it had been open decides whether
 *    the streak starts over (CHAT-8: "one that stayed open 10 s + T must reset it ... one
 *    that dies sooner — flapping — is one more consecutive failure").
 */

export const protocol = 'chat';

interface ChatMessage {
  id: string;
  conversationId: string;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  clientMessageId?: string;
}

interface Pending {
  key: string; // clientMessageId
  conv: string;
  text: string;
  sentAt: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Env = any;

const STEPS = [2000, 4000, 8000, 16000, 32000];
const STABLE_UPTIME = 10_000; // CHAT-8: open this long, a socket was stable
const K = {
  outbox: 'chatB.outbox.v1',
  seq: 'chatB.seq',
  last: 'chatB.lastSentAt',
  conv: 'chatB.openConversation',
};

export default function createClientB(env: Env) {
  return makeClient(env);
}
export { makeClient as createClient };

function makeClient(env: Env) {
  const clock = (): number => env.Date.now();
  const jitter = (ms: number, frac = 0.05) => Math.round(ms * (1 - frac + 2 * frac * env.random()));
  const api = (c: string) => `${env.baseUrl}/api/v1/consultations/${encodeURIComponent(c)}/messages`;
  const sock = (c: string) => `${env.wsBaseUrl}/api/v1/consultations/${encodeURIComponent(c)}/ws`;
  const bearer = `Bearer ${env.token}`;
  const st = env.storage;

  // ---- persisted -----------------------------------------------------------------------
  const pending = new Map<string, Pending>();
  try {
    for (const p of JSON.parse(st.getItem(K.outbox) ?? '[]') as Pending[]) pending.set(p.key, p);
  } catch {
    /* a corrupt outbox is dropped */
  }
  const persistOutbox = () => trySet(st, K.outbox, JSON.stringify([...pending.values()]));
  let seq = parseInt(st.getItem(K.seq) ?? '0', 10) || 0;
  let lastSentAt = parseFloat(st.getItem(K.last) ?? 'NaN');

  // ---- view state --------------------------------------------------------------------
  let conv: string | null = null;
  let gen = 0;
  const byId = new Map<string, ChatMessage>();
  let version = 0;
  let shownVersion = -1;
  let shown: unknown;
  const changed = () => {
    version++;
  };

  let dead = false;
  let authBlocked = false;

  // ---- socket state --------------------------------------------------------------------
  interface Sock {
    ws: any;
    gen: number;
    opened: boolean;
    openedAt: number;
    lastFrameAt: number;
    pingEvery: unknown;
    watchdog: unknown;
    connectTimer: unknown;
    slowHandshake: unknown;
    inbox: unknown[];
    drain: unknown;
  }
  let cur: Sock | null = null;
  let streak = 0; // consecutive failures
  let backoffTimer: unknown = null;

  // ---- polling state -----------------------------------------------------------------
  interface Loop {
    gen: number;
    timer: unknown;
    running: boolean;
    lastEnd: number;
  }
  let pollLoop: Loop | null = null;

  // ---- catch-up state ----------------------------------------------------------------
  interface CatchUp {
    g: number;
    c: string;
    n: number; // retries made so far
    lastStart: number;
    timer: unknown;
    stalled: boolean; // stopped by an auth error before it succeeded
  }
  let cu: CatchUp | null = null;

  // ---- outbox state ------------------------------------------------------------------
  const inFlight = new Set<string>();
  const retryTimers = new Map<string, unknown>();
  const retryDelay = new Map<string, number>();

  const isOnline = () => (env.isOnline ? env.isOnline() : true);

  // ---- store ------------------------------------------------------------------------
  const takeServerCopy = (m: ChatMessage | undefined, g: number) => {
    if (!m || typeof m.id !== 'string') return;
    if (m.clientMessageId && pending.has(m.clientMessageId) && pending.get(m.clientMessageId)!.conv === m.conversationId) {
      pending.delete(m.clientMessageId);
      const t = retryTimers.get(m.clientMessageId);
      if (t != null) env.clearTimeout(t);
      retryTimers.delete(m.clientMessageId);
      persistOutbox();
      changed();
    }
    if (g !== gen || m.conversationId !== conv) return;
    if (!byId.has(m.id)) {
      byId.set(m.id, m);
      changed();
    }
  };

  // ---- auth ---------------------------------------------------------------------------
  const blockAuth = () => {
    if (authBlocked) return;
    authBlocked = true;
    haltPolling();
    if (cu && cu.timer != null) {
      env.clearTimeout(cu.timer);
      cu.timer = null;
      cu.stalled = true;
    }
    if (backoffTimer != null) env.clearTimeout(backoffTimer);
    backoffTimer = null;
    for (const t of retryTimers.values()) env.clearTimeout(t);
    retryTimers.clear();
    // a socket still connecting is given up (an open one is kept: it carries pushes)
    if (cur && !cur.opened) release(1000);
    changed();
  };

  // ---- HTTP ----------------------------------------------------------------------------
  /** GET the conversation; 'ok' | 'fail' | 'stale'. */
  const fetchList = async (c: string, g: number, ms: number): Promise<'ok' | 'fail' | 'stale'> => {
    let res: Response;
    try {
      res = await env.fetch(api(c), { method: 'GET', headers: { Authorization: bearer }, signal: env.timeoutSignal(ms) });
    } catch {
      return g === gen ? 'fail' : 'stale';
    }
    if (dead) return 'stale';
    if (res.status === 401) {
      // any 401 of the running app is an auth error, also one of an earlier session's request
      blockAuth();
      return g === gen ? 'fail' : 'stale';
    }
    if (g !== gen) return 'stale';
    if (res.status < 200 || res.status >= 300) return 'fail';
    let body: { messages?: ChatMessage[] };
    try {
      body = await res.json();
    } catch {
      return 'fail';
    }
    if (dead || g !== gen) return 'stale';
    for (const m of body.messages ?? []) takeServerCopy(m, g);
    return 'ok';
  };

  // ---- polling (awaiting loop) ---------------------------------------------------------
  const pollWait = (): number => {
    const since = Number.isFinite(lastSentAt) ? clock() - lastSentAt : Infinity;
    const e = since < 30_000 ? 2000 : since < 300_000 ? 5000 : 10_000;
    return jitter(e);
  };

  const tick = async (loop: Loop) => {
    loop.timer = null;
    if (pollLoop !== loop || loop.gen !== gen || conv === null || authBlocked || dead) return;
    loop.running = true;
    await fetchList(conv, loop.gen, 8000);
    loop.running = false;
    loop.lastEnd = clock();
    if (pollLoop !== loop || authBlocked || dead) return;
    loop.timer = env.setTimeout(() => void tick(loop), pollWait());
  };

  const startPolling = () => {
    if (pollLoop || conv === null || authBlocked || dead) return;
    // a poll ends any catch-up retry chain
    dropCatchUp();
    const loop: Loop = { gen, timer: null, running: false, lastEnd: clock() };
    pollLoop = loop;
    changed();
    void tick(loop);
  };

  const haltPolling = () => {
    if (!pollLoop) return;
    if (pollLoop.timer != null) env.clearTimeout(pollLoop.timer);
    pollLoop = null;
    changed();
  };

  /** After a send: bring a waiting poll forward to the 2 s class (from the last poll's end). */
  const hurryPolling = () => {
    const loop = pollLoop;
    if (!loop || loop.running || loop.timer == null) return;
    env.clearTimeout(loop.timer);
    loop.timer = env.setTimeout(() => void tick(loop), Math.max(0, loop.lastEnd + 2000 - clock()));
  };

  // ---- catch-up load (not a poll) ---------------------------------------------------------
  const dropCatchUp = () => {
    if (cu && cu.timer != null) env.clearTimeout(cu.timer);
    cu = null;
  };

  const catchAttempt = async (state: CatchUp) => {
    state.timer = null;
    if (cu !== state || state.g !== gen || dead) return;
    if (authBlocked) {
      state.stalled = true;
      return;
    }
    state.lastStart = clock();
    const r = await fetchList(state.c, state.g, 15_000);
    if (cu !== state || r !== 'fail' || dead) return;
    if (r === 'fail' && state.g === gen && cu === state && authBlocked) {
      state.stalled = true;
      return;
    }
    // retry from the END of the failed attempt: b after the end is also ≥ b after its start
    const b = STEPS[Math.min(state.n++, STEPS.length - 1)]!;
    state.timer = env.setTimeout(() => void catchAttempt(state), b);
  };

  const catchUp = () => {
    if (conv === null || authBlocked || dead) return;
    dropCatchUp();
    const state: CatchUp = { g: gen, c: conv, n: 0, lastStart: clock(), timer: null, stalled: false };
    cu = state;
    void catchAttempt(state);
  };

  /** After the user acts on an auth error: a catch-up chain that the 401 stopped goes on as a retry. */
  const resumeCatchUp = () => {
    const state = cu;
    if (!state || !state.stalled || state.g !== gen) return;
    state.stalled = false;
    const b = STEPS[Math.min(state.n++, STEPS.length - 1)]!;
    state.timer = env.setTimeout(() => void catchAttempt(state), Math.max(0, state.lastStart + b - clock()));
  };

  // ---- socket -------------------------------------------------------------------------------
  const stopSockTimers = (s: Sock) => {
    if (s.pingEvery != null) env.clearInterval(s.pingEvery);
    if (s.watchdog != null) env.clearTimeout(s.watchdog);
    if (s.connectTimer != null) env.clearTimeout(s.connectTimer);
    if (s.slowHandshake != null) env.clearTimeout(s.slowHandshake);
    if (s.drain != null) env.clearTimeout(s.drain);
    s.pingEvery = s.watchdog = s.connectTimer = s.slowHandshake = s.drain = null;
  };

  const release = (code: number) => {
    const s = cur;
    if (!s) return;
    cur = null;
    stopSockTimers(s);
    s.inbox = [];
    try {
      s.ws.close(code);
    } catch {
      /* already closing */
    }
    changed();
  };

  const open = () => {
    if (cur || conv === null || authBlocked || dead) return;
    if (backoffTimer != null) env.clearTimeout(backoffTimer);
    backoffTimer = null;
    let ws: any;
    try {
      ws = new env.WebSocket(sock(conv), undefined, { headers: { Authorization: bearer } });
    } catch {
      streak++;
      startPolling();
      planReconnect();
      return;
    }
    const s: Sock = { ws, gen, opened: false, openedAt: 0, lastFrameAt: 0, pingEvery: null, watchdog: null, connectTimer: null, slowHandshake: null, inbox: [], drain: null };
    cur = s;
    changed();
    s.connectTimer = env.setTimeout(() => {
      s.connectTimer = null;
      if (cur === s && !s.opened) lost(s, true);
    }, 12_000);
    s.slowHandshake = env.setTimeout(() => {
      s.slowHandshake = null;
      if (cur === s && !s.opened) startPolling(); // the socket may still open: keep waiting for it
    }, 3000);
    ws.onopen = () => {
      if (cur !== s || s.gen !== gen || dead) return;
      if (s.connectTimer != null) env.clearTimeout(s.connectTimer);
      if (s.slowHandshake != null) env.clearTimeout(s.slowHandshake);
      s.connectTimer = s.slowHandshake = null;
      s.opened = true;
      s.openedAt = s.lastFrameAt = clock();
      haltPolling();
      changed();
      s.pingEvery = env.setInterval(() => {
        if (cur !== s) return;
        const pingAt = clock();
        try {
          s.ws.send('{"type":"ping"}');
        } catch {
          /* close follows */
        }
        if (s.watchdog != null) env.clearTimeout(s.watchdog);
        s.watchdog = env.setTimeout(() => {
          s.watchdog = null;
          if (cur === s && s.lastFrameAt < pingAt) lost(s, true); // no frame since the ping: half-open
        }, 5000);
      }, 15_000);
      catchUp();
      if (!authBlocked) for (const p of pending.values()) deliver(p.key);
    };
    ws.onmessage = (ev: { data: unknown }) => {
      if (cur !== s) return;
      s.lastFrameAt = clock();
      s.inbox.push(ev.data);
      if (s.drain == null) s.drain = env.setTimeout(() => drainInbox(s), 0);
    };
    ws.onerror = () => {
      /* close follows */
    };
    ws.onclose = () => {
      if (cur !== s) return;
      lost(s, false);
    };
  };

  const drainInbox = (s: Sock, force = false) => {
    s.drain = null;
    const batch = s.inbox;
    s.inbox = [];
    if ((!force && cur !== s) || s.gen !== gen) return;
    for (const raw of batch) {
      let f: { type?: string; message?: ChatMessage };
      try {
        f = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw as ArrayBuffer));
      } catch {
        continue;
      }
      if (f.type === 'message') takeServerCopy(f.message, s.gen);
    }
  };

  /** The socket failed or is abandoned by us. */
  const lost = (s: Sock, abandon: boolean) => {
    if (cur !== s) return;
    cur = null;
    // frames that arrived before the failure are still shown
    if (s.drain != null) {
      env.clearTimeout(s.drain);
      drainInbox(s, true);
    }
    stopSockTimers(s);
    if (abandon) {
      try {
        s.ws.close(4000);
      } catch {
        /* ignore */
      }
    }
    changed();
    if (conv === null || s.gen !== gen || dead || authBlocked) return;
    if (s.opened && clock() - s.openedAt >= STABLE_UPTIME) streak = 0;
    streak++;
    startPolling();
    planReconnect();
  };

  const planReconnect = () => {
    if (backoffTimer != null) env.clearTimeout(backoffTimer);
    backoffTimer = null;
    if (streak > STEPS.length) return; // five attempts spent
    const g = gen;
    backoffTimer = env.setTimeout(() => {
      backoffTimer = null;
      if (g === gen) open();
    }, jitter(STEPS[streak - 1]!));
  };

  // ---- outbox (parallel) ------------------------------------------------------------------
  const deliver = (key: string) => {
    if (dead || authBlocked || inFlight.has(key)) return;
    const p = pending.get(key);
    if (!p) return;
    const t = retryTimers.get(key);
    if (t != null) env.clearTimeout(t);
    retryTimers.delete(key);
    inFlight.add(key);
    const g = gen;
    void (async () => {
      let ok = false;
      try {
        const res: Response = await env.fetch(api(p.conv), {
          method: 'POST',
          headers: { Authorization: bearer, 'Content-Type': 'application/json' },
          body: JSON.stringify({ content: p.text, clientMessageId: p.key }),
          signal: env.timeoutSignal(10_000),
        });
        if (dead) return;
        if (res.status === 401) {
          inFlight.delete(key);
          blockAuth();
          return;
        }
        if (res.ok) {
          const body = (await res.json()) as { message?: ChatMessage };
          if (dead) return;
          takeServerCopy(body.message, g === gen ? gen : -1);
          if (pending.delete(key)) {
            persistOutbox();
            changed();
          }
          retryDelay.delete(key);
          ok = true;
        }
      } catch {
        /* network error or timeout: retried below */
      } finally {
        inFlight.delete(key);
      }
      if (!ok && !dead && !authBlocked && pending.has(key)) {
        const d = retryDelay.get(key) ?? 1000;
        retryDelay.set(key, Math.min(d * 2, 8000));
        retryTimers.set(
          key,
          env.setTimeout(() => {
            retryTimers.delete(key);
            deliver(key);
          }, jitter(d, 0.2)),
        );
      }
    })();
  };
  const deliverAll = () => {
    for (const key of pending.keys()) deliver(key);
  };

  // ---- lifecycle -------------------------------------------------------------------------
  const comeBack = () => {
    if (dead) return;
    if (conv !== null && !authBlocked && !cur && backoffTimer == null) {
      // attempts were spent (or none planned): try again at once with a fresh count
      streak = 0;
      open();
    }
    if (!authBlocked) {
      for (const key of pending.keys()) {
        retryDelay.delete(key);
        deliver(key);
      }
    }
  };
  env.lifecycle?.addEventListener?.('online', comeBack);
  env.lifecycle?.addEventListener?.('foreground', comeBack);

  // ---- sessions ---------------------------------------------------------------------------
  const leave = () => {
    gen++;
    haltPolling();
    dropCatchUp();
    if (backoffTimer != null) env.clearTimeout(backoffTimer);
    backoffTimer = null;
    release(1000);
    streak = 0;
    byId.clear();
    changed();
  };

  const enter = (c: string) => {
    leave();
    conv = c;
    authBlocked = false;
    trySet(st, K.conv, c);
    changed();
    open();
    catchUp();
    deliverAll();
  };

  // restore the conversation that was open when the app died, then flush the outbox
  const restored = st.getItem(K.conv);
  if (restored) enter(restored);
  else deliverAll();

  const newKey = () => {
    seq++;
    trySet(st, K.seq, String(seq));
    const r = Math.floor(env.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
    return `${clock().toString(36)}-${r}-${seq}`;
  };

  return {
    openConversation(c: string) {
      if (dead) return;
      enter(String(c));
    },
    closeConversation() {
      if (dead || conv === null) return;
      leave();
      conv = null;
      st.removeItem(K.conv);
      changed();
    },
    send(text: string) {
      if (dead || conv === null) return;
      const wasBlocked = authBlocked;
      authBlocked = false;
      const p: Pending = { key: newKey(), conv, text: String(text), sentAt: new env.Date(clock()).toISOString() };
      pending.set(p.key, p);
      persistOutbox();
      lastSentAt = clock();
      trySet(st, K.last, String(lastSentAt));
      changed();
      if (wasBlocked) {
        // the user acted after an auth error: resume everything
        if (!cur) {
          streak = 0;
          open();
        } else {
          resumeCatchUp();
        }
        deliverAll();
      } else {
        deliver(p.key);
      }
      hurryPolling();
    },
    snapshot() {
      if (shownVersion === version && shown) return shown;
      shownVersion = version;
      const stored = [...byId.values()].sort((a, b) =>
        a.timestamp === b.timestamp ? (a.id < b.id ? -1 : 1) : a.timestamp < b.timestamp ? -1 : 1,
      );
      const seen = new Set(stored.map((m) => m.clientMessageId).filter(Boolean));
      const optimistic =
        conv === null
          ? []
          : [...pending.values()]
              .filter((p) => p.conv === conv && !seen.has(p.key))
              .map((p) => ({ id: `local:${p.key}`, role: 'user', content: p.text, timestamp: p.sentAt, clientMessageId: p.key, pending: true }));
      shown = {
        conversation: conv,
        messages: [
          ...stored.map((m) => {
            const e: Record<string, unknown> = { id: m.id, role: m.role, content: m.content, timestamp: m.timestamp };
            if (m.clientMessageId !== undefined) e.clientMessageId = m.clientMessageId;
            return e;
          }),
          ...optimistic,
        ],
        connection: conv === null ? 'idle' : cur ? (cur.opened ? 'open' : 'connecting') : 'closed',
        polling: pollLoop !== null,
        outbox: pending.size,
        authError: authBlocked,
      };
      return shown;
    },
    dispose() {
      dead = true;
      haltPolling();
      dropCatchUp();
      if (backoffTimer != null) env.clearTimeout(backoffTimer);
      for (const t of retryTimers.values()) env.clearTimeout(t);
      release(1000);
      env.lifecycle?.removeEventListener?.('online', comeBack);
      env.lifecycle?.removeEventListener?.('foreground', comeBack);
    },
  };
}

/** A storage write that survives a full storage (QuotaExceededError): what was not saved lives on in memory. */
function trySet(s: { setItem(k: string, v: string): void }, key: string, value: string): void {
  try {
    s.setItem(key, value);
  } catch {
    // quota exceeded: keep going without persisting
  }
}

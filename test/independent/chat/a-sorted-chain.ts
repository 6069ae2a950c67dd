/**
 * Independent chat client A — "sorted-chain".
 *
 * Written from docs/protocols/chat.md alone. Design choices (each permitted by the spec):
 *  - message list kept as a sorted array with binary insertion (spec: "ordered by
 *    `timestamp` [CHAT-3] (ties in any order)");
 *  - polling as a setTimeout chain timed from each poll's START, polls not awaited (spec,
 *    CHAT-6: "A poll that overtakes a slow one still in flight is not a second loop by
 *    itself"; CHAT-13: "the wait — from p's start, or from p's end");
 *  - token in the WebSocket query string (spec: "The WebSocket carries it in its query
 *    string, `?token=<token>`");
 *  - exact (non-jittered) backoff 2/4/8/16/32 s, timed from the moment the client stopped
 *    using the socket (CHAT-8: "time the backoff from either");
 *  - polls and reconnects held while the device is offline (spec: "Decision: while the
 *    device reports being offline, a client may hold its polls"; CHAT-8: "A late or missing
 *    reconnect is excused while the device was offline");
 *  - close code 4001 treated as a 401 at once (spec, close codes: "A client may treat 4001
 *    as a 401 at once");
 *  - outbox flushed sequentially, oldest first, one POST in flight;
 *  - a handshake still pending after 5 s is abandoned as a failed connect (CHAT-5: "a
 *    connect timeout of at most 6 s");
 *  - the failure count resets only from a stability timer: 10 s after `open`, if that
 *    socket is still open (CHAT-8: "one that stayed open 10 s + T must reset it ... one
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

interface OutboxItem {
  cmid: string;
  conversation: string;
  content: string;
  at: string; // device time of the send (ISO)
}

type Timer = unknown;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Env = any;

const BACKOFF = [2000, 4000, 8000, 16000, 32000];
const STABLE_AFTER = 10_000; // CHAT-8: a socket open this long is stable
const CONNECT_TIMEOUT = 5000; // CHAT-5: a poll must follow a hung handshake by connect + 6 s
const OUTBOX_KEY = 'indepA:outbox';
const COUNTER_KEY = 'indepA:counter';
const PREFIX_KEY = 'indepA:prefix';
const LASTSEND_KEY = 'indepA:lastSend';

export function createClient(env: Env) {
  const now = (): number => env.Date.now();
  const storage = env.storage;
  const base = String(env.baseUrl ?? '').replace(/\/$/, '');
  const wsBase = String(env.wsBaseUrl ?? '').replace(/\/$/, '');
  const restPath = (c: string) => `${base}/api/v1/consultations/${encodeURIComponent(c)}/messages`;
  const wsUrl = (c: string) =>
    `${wsBase}/api/v1/consultations/${encodeURIComponent(c)}/ws?token=${encodeURIComponent(env.token)}`;
  const authHeaders = (): Record<string, string> => ({ authorization: `Bearer ${env.token}` });

  // ---- persistent state -------------------------------------------------------------
  const loadJson = <T>(key: string, dflt: T): T => {
    try {
      const raw = storage.getItem(key);
      return raw == null ? dflt : (JSON.parse(raw) as T);
    } catch {
      return dflt;
    }
  };
  let outbox: OutboxItem[] = loadJson<OutboxItem[]>(OUTBOX_KEY, []);
  let counter = Number(storage.getItem(COUNTER_KEY) ?? '0') || 0;
  let prefix: string = storage.getItem(PREFIX_KEY) ?? '';
  if (!prefix) {
    prefix = `${env.node ?? 'n'}.${Math.floor(env.random() * 2 ** 32).toString(36)}`;
    trySet(storage, PREFIX_KEY, prefix);
  }
  let lastSend = Number(storage.getItem(LASTSEND_KEY) ?? '-1e15');
  const saveOutbox = () => trySet(storage, OUTBOX_KEY, JSON.stringify(outbox));

  // ---- session state ------------------------------------------------------------------
  let disposed = false;
  let conversation: string | null = null;
  let epoch = 0; // bumped on every open/close: late answers of an older session are ignored
  let list: ChatMessage[] = []; // sorted by (timestamp, id)
  const ids = new Set<string>();
  let authError = false;

  // socket
  let ws: any = null;
  let wsOpen = false;
  let failures = 0; // consecutive failures (reset by a stable socket / new session)
  let reconnectTimer: Timer | null = null;
  let reconnectWanted = false; // a reconnect is due but held while offline
  let pingTimer: Timer | null = null;
  let pongTimer: Timer | null = null;
  let stableTimer: Timer | null = null;
  let handshakeTimer: Timer | null = null;

  // polling
  let polling = false;
  let pollTimer: Timer | null = null;
  let pollHeld = false;
  let lastPollStart = -1e15;

  // catch-up chain
  let catchTimer: Timer | null = null;
  let catchGen = 0;

  // outbox flushing
  let flushing = false;
  let flushTimer: Timer | null = null;
  let flushDelay = 1000;

  // snapshot cache
  let snap: unknown = null;
  let dirty = true;
  const touch = () => {
    dirty = true;
  };

  const clear = (t: Timer | null) => {
    if (t != null) env.clearTimeout(t);
  };
  const online = () => (typeof env.isOnline === 'function' ? env.isOnline() : true);

  // ---- the list ----------------------------------------------------------------------
  const cmp = (a: ChatMessage, b: ChatMessage) =>
    a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

  const insert = (m: ChatMessage) => {
    if (!m || typeof m.id !== 'string' || m.conversationId !== conversation) return;
    if (ids.has(m.id)) return;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(list[mid]!, m) <= 0) lo = mid + 1;
      else hi = mid;
    }
    list = [...list.slice(0, lo), m, ...list.slice(lo)];
    ids.add(m.id);
    touch();
  };

  /** A server copy of a message: acknowledge any outbox item with its clientMessageId. */
  const ack = (m: ChatMessage) => {
    if (!m || !m.clientMessageId) return;
    const before = outbox.length;
    outbox = outbox.filter((o) => !(o.cmid === m.clientMessageId && o.conversation === m.conversationId));
    if (outbox.length !== before) {
      saveOutbox();
      touch();
    }
  };

  const accept = (m: ChatMessage) => {
    ack(m);
    insert(m);
  };

  // ---- auth ------------------------------------------------------------------------------
  const enterAuthError = () => {
    if (authError) return;
    authError = true;
    stopPolling();
    cancelCatchUp();
    clear(reconnectTimer);
    reconnectTimer = null;
    reconnectWanted = false;
    clear(flushTimer);
    flushTimer = null;
    dropSocket(1000);
    touch();
  };

  // ---- polling ---------------------------------------------------------------------------
  const interval = (): number => {
    const since = now() - lastSend;
    if (since < 30_000) return 2000;
    if (since < 300_000) return 5000;
    return 10_000;
  };

  const startPolling = () => {
    if (polling || conversation === null || authError || disposed) return;
    polling = true;
    cancelCatchUp(); // a poll ends the catch-up retry chain
    touch();
    if (!online()) {
      pollHeld = true;
      return;
    }
    pollNow();
  };

  const stopPolling = () => {
    if (!polling) return;
    polling = false;
    pollHeld = false;
    clear(pollTimer);
    pollTimer = null;
    touch();
  };

  const schedulePoll = (at: number) => {
    clear(pollTimer);
    pollTimer = env.setTimeout(pollNow, Math.max(0, at - now()));
  };

  function pollNow() {
    pollTimer = null;
    if (!polling || conversation === null || authError || disposed) return;
    if (!online()) {
      pollHeld = true;
      return;
    }
    lastPollStart = now();
    void getMessages(conversation, 10_000).then(() => undefined);
    schedulePoll(lastPollStart + interval());
  }

  /** One GET of the conversation; resolves true on a 2xx answer. */
  const getMessages = async (c: string, timeoutMs: number): Promise<boolean> => {
    const my = epoch;
    try {
      const r = await env.fetch(restPath(c), { headers: authHeaders(), signal: env.timeoutSignal(timeoutMs) });
      if (disposed) return false;
      if (r.status === 401) {
        // any 401 of the running app is an auth error, also one of an earlier session's request
        enterAuthError();
        return false;
      }
      if (my !== epoch) return false;
      if (!r.ok) return false;
      const body = (await r.json()) as { messages?: ChatMessage[] };
      if (disposed || my !== epoch) return false;
      for (const m of body.messages ?? []) accept(m);
      return true;
    } catch {
      return false;
    }
  };

  // ---- catch-up loads --------------------------------------------------------------------
  const cancelCatchUp = () => {
    catchGen++;
    clear(catchTimer);
    catchTimer = null;
  };

  const catchUp = () => {
    if (conversation === null || authError || disposed) return;
    cancelCatchUp();
    const gen = catchGen;
    const c = conversation;
    let retry = 0;
    const attempt = async () => {
      catchTimer = null;
      if (gen !== catchGen || conversation !== c || authError || disposed) return;
      const started = now();
      const ok = await getMessages(c, 15_000);
      if (ok || gen !== catchGen || conversation !== c || authError || disposed) return;
      const b = BACKOFF[Math.min(retry, BACKOFF.length - 1)]!;
      retry++;
      const due = Math.max(started + b, now());
      catchTimer = env.setTimeout(() => void attempt(), due - now());
    };
    void attempt();
  };

  // ---- socket ----------------------------------------------------------------------------
  const stopHeartbeat = () => {
    clear(pingTimer);
    clear(pongTimer);
    clear(stableTimer);
    clear(handshakeTimer);
    pingTimer = null;
    pongTimer = null;
    stableTimer = null;
    handshakeTimer = null;
  };

  const schedulePing = () => {
    clear(pingTimer);
    pingTimer = env.setTimeout(() => {
      pingTimer = null;
      const s = ws;
      if (!s || !wsOpen) return;
      try {
        s.send(JSON.stringify({ type: 'ping' }));
      } catch {
        /* the close event follows */
      }
      clear(pongTimer);
      pongTimer = env.setTimeout(() => {
        pongTimer = null;
        if (ws === s) socketFailed(s, true); // half-open: abandon it
      }, 5000);
      schedulePing();
    }, 15_000);
  };

  /** Detach and close the current socket without counting a failure. */
  const dropSocket = (code: number) => {
    const s = ws;
    ws = null;
    wsOpen = false;
    stopHeartbeat();
    if (s) {
      try {
        s.close(code);
      } catch {
        /* ignore */
      }
      touch();
    }
  };

  const connect = () => {
    if (conversation === null || authError || disposed || ws) return;
    clear(reconnectTimer);
    reconnectTimer = null;
    reconnectWanted = false;
    const c = conversation;
    const my = epoch;
    let s: any;
    try {
      s = new env.WebSocket(wsUrl(c));
    } catch {
      // treat like a refused socket
      failures++;
      startPolling();
      scheduleReconnect();
      return;
    }
    ws = s;
    wsOpen = false;
    touch();
    handshakeTimer = env.setTimeout(() => {
      handshakeTimer = null;
      if (ws === s && !wsOpen) socketFailed(s, true);
    }, CONNECT_TIMEOUT);
    s.onopen = () => {
      if (ws !== s || my !== epoch || disposed) return;
      clear(handshakeTimer);
      handshakeTimer = null;
      wsOpen = true;
      // a flapping backend opens and dies at once: only a socket that stays up counts
      clear(stableTimer);
      stableTimer = env.setTimeout(() => {
        stableTimer = null;
        if (ws === s && wsOpen) failures = 0;
      }, STABLE_AFTER);
      stopPolling();
      touch();
      schedulePing();
      catchUp();
      void flush();
    };
    s.onmessage = (e: { data: unknown }) => {
      if (ws !== s || my !== epoch || disposed) return;
      clear(pongTimer); // any frame proves the socket alive
      pongTimer = null;
      let frame: { type?: string; message?: ChatMessage } | null = null;
      try {
        frame = JSON.parse(typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer));
      } catch {
        return;
      }
      if (frame && frame.type === 'message' && frame.message) accept(frame.message);
    };
    s.onclose = (e: { code?: number }) => {
      if (ws !== s || my !== epoch || disposed) return;
      if (e && e.code === 4001) {
        ws = null;
        wsOpen = false;
        stopHeartbeat();
        enterAuthError();
        return;
      }
      socketFailed(s, false);
    };
    s.onerror = () => {
      /* the close event follows */
    };
  };

  function socketFailed(s: any, abandon: boolean) {
    if (ws !== s) return;
    ws = null;
    wsOpen = false;
    stopHeartbeat();
    if (abandon) {
      try {
        s.close(4000);
      } catch {
        /* ignore */
      }
    }
    touch();
    if (conversation === null || authError || disposed) return;
    failures++;
    startPolling();
    scheduleReconnect();
  }

  function scheduleReconnect() {
    clear(reconnectTimer);
    reconnectTimer = null;
    if (failures > BACKOFF.length) return; // five attempts spent: polling only
    const b = BACKOFF[failures - 1]!;
    reconnectTimer = env.setTimeout(() => {
      reconnectTimer = null;
      if (!online()) {
        reconnectWanted = true; // held while offline
        return;
      }
      connect();
    }, b);
  }

  // ---- outbox --------------------------------------------------------------------------
  const scheduleFlush = () => {
    if (flushTimer != null || authError || disposed || outbox.length === 0) return;
    flushTimer = env.setTimeout(() => {
      flushTimer = null;
      void flush();
    }, flushDelay);
    flushDelay = Math.min(flushDelay * 2, 8000);
  };

  async function flush(): Promise<void> {
    if (flushing || authError || disposed) return;
    flushing = true;
    let failed = false;
    try {
      while (outbox.length > 0 && !authError && !disposed) {
        const item = outbox[0]!;
        let r: Response;
        try {
          r = await env.fetch(restPath(item.conversation), {
            method: 'POST',
            headers: { ...authHeaders(), 'content-type': 'application/json' },
            body: JSON.stringify({ content: item.content, clientMessageId: item.cmid }),
            signal: env.timeoutSignal(10_000),
          });
        } catch {
          failed = true;
          break;
        }
        if (disposed) return;
        if (r.status === 401) {
          enterAuthError();
          return;
        }
        if (!r.ok) {
          failed = true;
          break;
        }
        let body: { message?: ChatMessage } = {};
        try {
          body = (await r.json()) as { message?: ChatMessage };
        } catch {
          failed = true;
          break;
        }
        if (disposed) return;
        if (body.message) accept(body.message);
        // acknowledged even if the echo had no clientMessageId
        const before = outbox.length;
        outbox = outbox.filter((o) => o.cmid !== item.cmid);
        if (outbox.length !== before) {
          saveOutbox();
          touch();
        }
        flushDelay = 1000;
      }
    } finally {
      flushing = false;
    }
    if (failed) scheduleFlush();
  }

  // ---- lifecycle -------------------------------------------------------------------------
  const onReturn = () => {
    if (disposed) return;
    if (conversation !== null && !authError) {
      if (pollHeld && polling) {
        pollHeld = false;
        schedulePoll(Math.max(now(), lastPollStart + 2000));
      }
      if (!ws) {
        failures = 0; // a fresh count after coming back
        clear(reconnectTimer);
        reconnectTimer = null;
        connect();
      }
    }
    reconnectWanted = false;
    if (!authError) {
      clear(flushTimer);
      flushTimer = null;
      flushDelay = 1000;
      void flush();
    }
  };
  const onOnline = () => onReturn();
  const onForeground = () => onReturn();
  const onOffline = () => {
    if (polling) {
      clear(pollTimer);
      pollTimer = null;
      pollHeld = true;
    }
  };
  env.lifecycle?.addEventListener?.('online', onOnline);
  env.lifecycle?.addEventListener?.('foreground', onForeground);
  env.lifecycle?.addEventListener?.('offline', onOffline);

  // deliver what a previous launch queued
  void flush();

  // ---- session control -----------------------------------------------------------------
  const endSession = () => {
    epoch++;
    stopPolling();
    cancelCatchUp();
    clear(reconnectTimer);
    reconnectTimer = null;
    reconnectWanted = false;
    dropSocket(1000);
    failures = 0;
    list = [];
    ids.clear();
    touch();
  };

  return {
    openConversation(id: string) {
      if (disposed) return;
      endSession();
      conversation = String(id);
      authError = false;
      touch();
      connect();
      catchUp();
      void flush();
    },
    closeConversation() {
      if (disposed || conversation === null) return;
      endSession();
      conversation = null;
      touch();
    },
    send(text: string) {
      if (disposed || conversation === null) return;
      const resumed = authError;
      authError = false;
      counter++;
      trySet(storage, COUNTER_KEY, String(counter));
      const item: OutboxItem = {
        cmid: `${prefix}-${counter}`,
        conversation,
        content: String(text),
        at: new env.Date(now()).toISOString(),
      };
      outbox = [...outbox, item];
      saveOutbox();
      lastSend = now();
      trySet(storage, LASTSEND_KEY, String(lastSend));
      touch();
      if (resumed && !ws) {
        failures = 0;
        connect();
      }
      // a send speeds polling up to the 2 s class at once
      if (polling && !pollHeld && pollTimer != null) {
        const due = lastPollStart + 2000;
        schedulePoll(Math.max(now(), due));
      }
      clear(flushTimer);
      flushTimer = null;
      flushDelay = 1000;
      void flush();
    },
    snapshot() {
      if (!dirty && snap) return snap;
      dirty = false;
      const shownCmids = new Set<string>();
      const messages: Record<string, unknown>[] = list.map((m) => {
        if (m.clientMessageId) shownCmids.add(m.clientMessageId);
        const e: Record<string, unknown> = { id: m.id, role: m.role, content: m.content, timestamp: m.timestamp };
        if (m.clientMessageId) e.clientMessageId = m.clientMessageId;
        return e;
      });
      if (conversation !== null) {
        for (const o of outbox) {
          if (o.conversation !== conversation || shownCmids.has(o.cmid)) continue;
          messages.push({
            id: `local:${o.cmid}`,
            role: 'user',
            content: o.content,
            timestamp: o.at,
            clientMessageId: o.cmid,
            pending: true,
          });
        }
      }
      snap = {
        conversation,
        messages,
        connection: conversation === null ? 'idle' : ws ? (wsOpen ? 'open' : 'connecting') : 'closed',
        polling,
        outbox: outbox.length,
        authError,
      };
      return snap;
    },
    dispose() {
      disposed = true;
      stopPolling();
      cancelCatchUp();
      clear(reconnectTimer);
      clear(flushTimer);
      dropSocket(1000);
      env.lifecycle?.removeEventListener?.('online', onOnline);
      env.lifecycle?.removeEventListener?.('foreground', onForeground);
      env.lifecycle?.removeEventListener?.('offline', onOffline);
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

/**
 * Independent live-support client A — "interval-skip / replace-and-coalesce".
 *
 * Widget: a fixed 2 s setInterval that SKIPS a tick while a poll is in flight (spec:
 *   "so is a fixed interval that skips a tick while a poll is in flight"); one poll at once
 *   on every dependency change, chat changes included (spec: "a widget may poll at once");
 *   abandons a poll after 10 s with an AbortController (spec: "A poll should be abandoned
 *   after 10 s"); keeps its beat after failures (spec: "may keep its beat or back off");
 *   clears the view on a chat change (spec: "the reference clears them"); keeps the list at
 *   unmount (spec: "While unmounted: [], or the list at the unmount"); shows a sent message
 *   only from polls (spec: "may be shown at once from the send's answer" — optional);
 *   drops answers older than one already applied (sequence numbers).
 * Dashboard: replaces its whole view with the newest broadcast, ignores older ones by
 *   `timestamp`, coalesces frames arriving within 40 ms (spec: "coalescing frames within T;
 *   ignoring a frame older (by timestamp) than one already shown"); reconnects with
 *   exponential backoff and full jitter capped at 20 s, at once on `online`/`foreground`
 *   (spec: "any policy that tries at least every 30 s once the way is clear"); closes a
 *   socket silent for 10 s with 4000 (spec: "may use 4000–4999 for its own reasons").
 * Restart: restores itself from env.storage (spec: "A client may keep state in env.storage").
 */

export const protocol = 'live-support';

interface LiveMessage {
  id: string;
  role: 'user' | 'agent';
  content: string;
  timestamp: string;
}
interface LiveChat {
  chat_id: string;
  messages: LiveMessage[];
}
interface LiveUser {
  email: string;
  dashboard_user_id?: string | null;
  chats: LiveChat[];
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Env = any;

const P = 2000;
const R = 10_000;
const SILENCE = 10_000;
const CONNECT_TIMEOUT = 10_000;
const COALESCE = 40;
const STORE_KEY = 'live-support-a';

interface Run {
  email: string;
  chat: string;
  active: boolean;
  interval: unknown;
  inFlight: AbortController | null;
  seq: number;
  applied: number;
}

export function createClient(env: Env) {
  let role: 'idle' | 'widget' | 'dashboard' = 'idle';
  let cached: unknown = null;
  const changed = () => {
    cached = null;
  };

  const base = String(env.baseUrl ?? '').replace(/\/+$/, '');
  const wsBase = String(env.wsBaseUrl ?? '').replace(/\/+$/, '');

  const persist = (state: unknown) => {
    try {
      env.storage.setItem(STORE_KEY, JSON.stringify(state));
    } catch {
      /* storage is a convenience */
    }
  };

  const requireRole = (want: 'widget' | 'dashboard') => {
    if (role === 'idle') role = want;
    else if (role !== want) throw new Error(`this node is a ${role}; ${want} actions are not allowed`);
  };

  /* ------------------------------------------------------------------ widget */

  let mounted = false;
  let email: string | null = null;
  let chatId: string | null = null;
  let view: LiveMessage[] = [];
  let run: Run | null = null;

  const chatsUrl = (e: string) => `${base}/api/users/${encodeURIComponent(e)}/chats`;

  const applyAnswer = (r: Run, chats: LiveChat[]) => {
    const chat = Array.isArray(chats) ? chats.find((c) => c && c.chat_id === r.chat) : undefined;
    const next = chat && Array.isArray(chat.messages) ? chat.messages.slice() : [];
    const a = next.map((m) => m.id).join(',');
    const b = view.map((m) => m.id).join(',');
    if (a !== b) {
      view = next;
      changed();
    }
  };

  const poll = async (r: Run) => {
    const ctl = new AbortController();
    const mySeq = ++r.seq;
    r.inFlight = ctl;
    const abandon = env.setTimeout(() => ctl.abort(), R);
    try {
      const res = await env.fetch(chatsUrl(r.email), { signal: ctl.signal, headers: { accept: 'application/json' } });
      if (!res.ok) {
        await res.text().catch(() => undefined);
        return;
      }
      const body = (await res.json()) as { chats?: LiveChat[] };
      // isActive: only the run in force may touch the view; never go back to an older answer.
      if (!r.active || run !== r || mySeq < r.applied) return;
      r.applied = mySeq;
      applyAnswer(r, body.chats ?? []);
    } catch {
      /* failed poll: the interval keeps its beat */
    } finally {
      env.clearTimeout(abandon);
      if (r.inFlight === ctl) r.inFlight = null;
    }
  };

  const startRun = () => {
    if (!mounted || email === null || chatId === null) return;
    const r: Run = { email, chat: chatId, active: true, interval: undefined, inFlight: null, seq: 0, applied: 0 };
    run = r;
    void poll(r);
    r.interval = env.setInterval(() => {
      if (!r.active) return;
      if (r.inFlight) return; // skip a tick while a poll is in flight
      void poll(r);
    }, P);
  };

  const cleanupRun = () => {
    const r = run;
    if (!r) return;
    r.active = false;
    env.clearInterval(r.interval);
    r.inFlight?.abort();
    run = null;
  };

  const saveWidget = () => persist({ role: 'widget', mounted, email, chat: chatId });

  const mountWidget = (e: string, c: string) => {
    requireRole('widget');
    if (mounted && e === email && c === chatId) return;
    const chatChanged = c !== chatId || e !== email;
    cleanupRun();
    if (chatChanged) view = [];
    mounted = true;
    email = e;
    chatId = c;
    changed();
    saveWidget();
    startRun();
  };

  const unmountWidget = () => {
    requireRole('widget');
    if (!mounted) return;
    cleanupRun();
    mounted = false;
    changed();
    saveWidget();
  };

  const switchChat = (c: string) => {
    requireRole('widget');
    if (!mounted || c === chatId) return;
    cleanupRun();
    chatId = c;
    view = [];
    changed();
    saveWidget();
    startRun();
  };

  const customerSend = async (text: string) => {
    requireRole('widget');
    if (!mounted || email === null || chatId === null) return;
    try {
      const res = await env.fetch(`${chatsUrl(email)}/${encodeURIComponent(chatId)}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: text }),
        signal: env.timeoutSignal(R),
      });
      await res.text().catch(() => undefined);
    } catch {
      /* the message will show once a poll lists it, if the server stored it */
    }
  };

  /* --------------------------------------------------------------- dashboard */

  let identity: string | null = null;
  let ws: any = null;
  let conn: 'idle' | 'connecting' | 'open' | 'closed' = 'idle';
  let subscribed = false;
  let users: LiveUser[] = [];
  let shownTs = -Infinity;
  let pending: { users: LiveUser[]; ts: number } | null = null;
  let coalesceTimer: unknown = undefined;
  let attempts = 0;
  let reconnectTimer: unknown = undefined;
  let watchdog: unknown = undefined;
  let connectTimer: unknown = undefined;

  const authHeaders = () => ({ authorization: `Bearer ${env.token}`, 'content-type': 'application/json' });

  const clearSocketTimers = () => {
    env.clearTimeout(watchdog);
    env.clearTimeout(connectTimer);
    watchdog = undefined;
    connectTimer = undefined;
  };

  const armWatchdog = (sock: any) => {
    env.clearTimeout(watchdog);
    watchdog = env.setTimeout(() => {
      if (ws === sock) abandonSocket(sock, 4000);
    }, SILENCE);
  };

  const scheduleReconnect = () => {
    env.clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    if (identity === null) return;
    const cap = Math.min(20_000, 1000 * 2 ** attempts);
    attempts = Math.min(attempts + 1, 10);
    const delay = cap / 2 + env.random() * (cap / 2); // "equal jitter", never above 20 s
    reconnectTimer = env.setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delay);
  };

  const socketEnded = (sock: any) => {
    if (ws !== sock) return;
    ws = null;
    subscribed = false;
    conn = identity === null ? 'idle' : 'closed';
    clearSocketTimers();
    changed();
    scheduleReconnect();
  };

  const abandonSocket = (sock: any, code: number) => {
    try {
      sock.close(code, 'silent');
    } catch {
      /* already closing */
    }
    socketEnded(sock);
  };

  const onFrame = (data: { users?: LiveUser[]; timestamp?: string }) => {
    const ts = (env.Date ?? Date).parse(String(data.timestamp));
    const t = Number.isFinite(ts) ? ts : -Infinity;
    if (t < shownTs) return; // older than what is shown
    if (pending && t < pending.ts) return;
    pending = { users: Array.isArray(data.users) ? data.users : [], ts: t };
    if (coalesceTimer === undefined) {
      coalesceTimer = env.setTimeout(() => {
        coalesceTimer = undefined;
        const p = pending;
        pending = null;
        if (!p || p.ts < shownTs || identity === null) return;
        shownTs = p.ts;
        const me = identity;
        users = p.users.filter((u) => u && u.dashboard_user_id === me);
        changed();
      }, COALESCE);
    }
  };

  const connect = () => {
    if (identity === null || ws) return;
    env.clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    let sock: any;
    try {
      sock = new env.WebSocket(`${wsBase}/ws/dashboard?token=${encodeURIComponent(env.token)}`);
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    conn = 'connecting';
    subscribed = false;
    changed();
    connectTimer = env.setTimeout(() => {
      if (ws === sock && conn === 'connecting') abandonSocket(sock, 4001);
    }, CONNECT_TIMEOUT);
    sock.onopen = () => {
      if (ws !== sock) return;
      env.clearTimeout(connectTimer);
      connectTimer = undefined;
      conn = 'open';
      // Fixed for LIVE-14 (backoff under repeated immediate drops): the backoff starts over
      // only once the socket stayed open 5 s, not on every open.
      env.setTimeout(() => {
        if (ws === sock && conn === 'open') attempts = 0;
      }, 5000);
      changed();
      sock.send(JSON.stringify({ type: 'subscribe', channel: 'chat_updates' }));
      armWatchdog(sock);
    };
    sock.onmessage = (ev: { data: unknown }) => {
      if (ws !== sock) return;
      armWatchdog(sock);
      if (typeof ev.data !== 'string') return;
      let frame: any;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object') return;
      if (frame.type === 'subscribed') {
        subscribed = true;
        changed();
      } else if (frame.type === 'chat_updates' && frame.data) {
        onFrame(frame.data);
      }
    };
    sock.onerror = () => {
      /* a close event follows */
    };
    sock.onclose = () => socketEnded(sock);
  };

  const dropSocket = () => {
    const sock = ws;
    ws = null;
    subscribed = false;
    clearSocketTimers();
    env.clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    if (sock) {
      try {
        sock.close(1000, 'closed by user');
      } catch {
        /* ignore */
      }
    }
  };

  const resetView = () => {
    users = [];
    shownTs = -Infinity;
    pending = null;
    env.clearTimeout(coalesceTimer);
    coalesceTimer = undefined;
  };

  const connectDashboard = (id: string) => {
    requireRole('dashboard');
    if (identity === id && ws) return; // already open (or opening) as this agent
    dropSocket();
    if (identity !== id) resetView();
    identity = id;
    attempts = 0;
    conn = 'closed';
    changed();
    persist({ role: 'dashboard', identity: id });
    connect();
  };

  const disconnectDashboard = () => {
    requireRole('dashboard');
    dropSocket();
    identity = null;
    conn = 'idle';
    resetView();
    changed();
    persist({ role: 'idle' });
  };

  const lastAgentMessage = (chat: string): LiveMessage | undefined => {
    for (const u of users) {
      for (const c of u.chats ?? []) {
        if (c.chat_id !== chat) continue;
        for (let i = c.messages.length - 1; i >= 0; i--) if (c.messages[i]!.role === 'agent') return c.messages[i];
      }
    }
    return undefined;
  };

  const agentSend = async (chat: string, text: string) => {
    requireRole('dashboard');
    if (identity === null) return;
    try {
      const res = await env.fetch(`${base}/api/dashboard/chats/${encodeURIComponent(chat)}/messages`, {
        method: 'POST',
        headers: authHeaders(),
        body: JSON.stringify({ content: text, dashboard_user_id: identity }),
        signal: env.timeoutSignal(R),
      });
      await res.text().catch(() => undefined);
    } catch {
      /* its effect, if any, arrives with a broadcast */
    }
  };

  const agentReplace = async (chat: string, text: string) => {
    requireRole('dashboard');
    if (identity === null) return;
    const target = lastAgentMessage(chat);
    if (!target) return;
    try {
      const res = await env.fetch(
        `${base}/api/dashboard/chats/${encodeURIComponent(chat)}/messages/${encodeURIComponent(target.id)}`,
        { method: 'PUT', headers: authHeaders(), body: JSON.stringify({ content: text, dashboard_user_id: identity }), signal: env.timeoutSignal(R) },
      );
      await res.text().catch(() => undefined);
    } catch {
      /* ignore */
    }
  };

  const wakeUp = () => {
    if (role !== 'dashboard' || identity === null || ws) return;
    attempts = 0;
    connect();
  };
  env.lifecycle?.addEventListener?.('online', wakeUp);
  env.lifecycle?.addEventListener?.('foreground', wakeUp);

  /* ----------------------------------------------------------------- restore */

  try {
    const saved = JSON.parse(env.storage.getItem(STORE_KEY) ?? 'null');
    if (saved && saved.role === 'widget' && saved.mounted && typeof saved.email === 'string' && typeof saved.chat === 'string') {
      role = 'widget';
      mounted = true;
      email = saved.email;
      chatId = saved.chat;
      startRun();
    } else if (saved && saved.role === 'dashboard' && typeof saved.identity === 'string') {
      role = 'dashboard';
      identity = saved.identity;
      conn = 'closed';
      connect();
    }
  } catch {
    /* start idle */
  }

  const snapshot = () => {
    if (cached) return cached;
    if (role === 'idle') cached = { role: 'idle' };
    else if (role === 'widget')
      cached = { role: 'widget', mounted, email, chatId, messages: view.map((m) => ({ id: m.id, role: m.role, content: m.content })) };
    else
      cached = {
        role: 'dashboard',
        dashboardUserId: identity,
        connection: identity === null ? 'idle' : ws ? conn : 'closed',
        subscribed,
        users: users.map((u) => ({
          email: u.email,
          dashboard_user_id: u.dashboard_user_id ?? null,
          chats: (u.chats ?? []).map((c) => ({ chat_id: c.chat_id, messages: (c.messages ?? []).map((m) => m.id) })),
        })),
      };
    return cached;
  };

  return {
    mountWidget,
    unmountWidget,
    switchChat,
    customerSend,
    connectDashboard,
    disconnectDashboard,
    agentSend,
    agentReplace,
    snapshot,
  };
}

export default createClient;

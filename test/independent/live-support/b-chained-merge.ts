/**
 * Independent live-support client B — "timeout-chained / per-customer merge in chunks".
 *
 * Widget: timeout-chained polling — the next poll is armed 2 s after the previous one
 *   SETTLED (spec: "a loop that waits 2 s after each answer (timeout-chained polling)");
 *   after failures it backs off exponentially with jitter, never below 2 s, never above
 *   24 s (spec: "After a failed poll … a widget may keep its beat or back off, up to 30 s");
 *   when the device comes back online it pulls the pending retry forward, never closer
 *   than 2 s to the last poll's start (LIVE-1);
 *   the loop belongs to the EMAIL: a chat change that keeps the email keeps the loop's beat
 *   and only invalidates in-flight answers (spec: "On a chat change that keeps the email
 *   … a widget may poll at once (the source) or keep the beat of its loop");
 *   the previous chat's messages linger until the new chat's first answer (spec: "A new
 *   chat view may keep the previous chat's messages until its first answer"); unmount
 *   shows [] (spec: "While unmounted: []"); a cache-busting `?_=n` query (spec: "a
 *   cache-busting ?_=… is harmless") and lowercase percent-encoding of every reserved byte
 *   (spec: "hex digits in either case"); relative URLs (writing-a-client.md: "relative
 *   URLs work"); a sent message is shown at once from the send's answer (spec: "A
 *   customer's sent message may be shown at once from the send's answer") and kept until
 *   a poll that started after the answer confirms or omits it.
 * Dashboard: a view keyed by customer, MERGED from each frame (each listed customer's chats
 *   replaced, customers not listed kept), kept as an array sorted by (frame, position);
 *   every frame rendered, none skipped (spec: "rendering each frame as it arrives");
 *   each frame processed in chunks of 2 customers across zero-delay timers (all within T);
 *   reconnect with a linear back-off 1, 2, 3 … 10 s (spec: "exponential backoff, a fixed
 *   delay" — "any policy that tries at least every 30 s … is conforming"); a keep-alive
 *   `ping` every 3 s and a socket without any frame for 9 s closed with 4001 (spec:
 *   `{"type":"ping"}` optional keep-alive; "may use 4000–4999 for its own reasons").
 * Restart: restores nothing (spec: "it is not required to").
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

const POLL_EVERY = 2000;
const ABANDON_AFTER = 10_000;
const BACKOFF_CAP = 24_000;
const PING_EVERY = 3000;
const DEAD_AFTER = 9000;
const CHUNK = 2;

/** Percent-encode everything but RFC 3986 unreserved characters, with lowercase hex. */
function enc(s: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch)) out += ch;
    else out += '%' + byte.toString(16).padStart(2, '0');
  }
  return out;
}

interface Loop {
  email: string;
  alive: boolean;
  timer: unknown;
  failures: number;
  lastStart: number;
  inFlight: boolean;
}

interface Pending {
  msg: LiveMessage;
  /** number of polls started when the send's answer arrived */
  pollsAtAck: number;
}

interface Row {
  user: LiveUser;
  frame: number;
  pos: number;
}

export function createClient(env: Env) {
  let role: 'idle' | 'widget' | 'dashboard' = 'idle';
  let snap: unknown = null;
  const touch = () => {
    snap = null;
  };
  const now = (): number => env.performance?.now?.() ?? env.Date.now();

  const claim = (want: 'widget' | 'dashboard') => {
    if (role === 'idle') role = want;
    else if (role !== want) throw new Error(`node is a ${role}: ${want} action refused`);
  };

  /* ------------------------------------------------------------------ widget */

  let mounted = false;
  let email: string | null = null;
  let chat: string | null = null;
  /** generation of the (mounted, email, chat) triple: an answer applies only in its own */
  let gen = 0;
  let viewIds: string[] = [];
  let viewById = new Map<string, LiveMessage>();
  let pendingAcks = new Map<string, Pending>();
  let loop: Loop | null = null;
  let pollsStarted = 0;
  let bust = 0;

  const setView = (msgs: LiveMessage[]) => {
    const ids = msgs.map((m) => m.id);
    let same = ids.length === viewIds.length;
    for (let i = 0; same && i < ids.length; i++) if (ids[i] !== viewIds[i]) same = false;
    if (same) return;
    viewIds = ids;
    viewById = new Map(msgs.map((m) => [m.id, m]));
    touch();
  };

  const applyChats = (chats: LiveChat[], pollNo: number) => {
    const found = (Array.isArray(chats) ? chats : []).find((c) => c && c.chat_id === chat);
    const listed = found && Array.isArray(found.messages) ? found.messages : [];
    const listedIds = new Set(listed.map((m) => m.id));
    const extra: LiveMessage[] = [];
    for (const [id, p] of pendingAcks) {
      if (listedIds.has(id)) pendingAcks.delete(id); // the server's list has it now
      else if (pollNo > p.pollsAtAck) pendingAcks.delete(id); // served after the ack and absent: gone
      else extra.push(p.msg); // this poll may have been served before the message was stored
    }
    setView([...listed, ...extra]);
  };

  const backoff = (failures: number) => {
    if (failures <= 1) return POLL_EVERY;
    const ceiling = Math.min(BACKOFF_CAP, POLL_EVERY * 2 ** (failures - 1));
    return Math.max(POLL_EVERY, ceiling * (0.8 + 0.2 * env.random()));
  };

  const arm = (L: Loop, delay: number) => {
    env.clearTimeout(L.timer);
    L.timer = env.setTimeout(() => {
      L.timer = undefined;
      void pollOnce(L);
    }, delay);
  };

  const pollOnce = async (L: Loop) => {
    if (!L.alive) return;
    const myGen = gen;
    const pollNo = ++pollsStarted;
    L.lastStart = now();
    L.inFlight = true;
    let ok = false;
    try {
      const res = await env.fetch(`/api/users/${enc(L.email)}/chats?_=${++bust}`, { signal: env.timeoutSignal(ABANDON_AFTER) });
      ok = res.status >= 200 && res.status < 300;
      if (ok) {
        const body = await res.json();
        if (L.alive && loop === L && mounted && myGen === gen) applyChats(body?.chats ?? [], pollNo);
      } else {
        await res.text().catch(() => undefined);
      }
    } catch {
      /* failed or abandoned at 10 s */
    }
    L.inFlight = false;
    if (!L.alive) return;
    L.failures = ok ? 0 : L.failures + 1;
    arm(L, ok ? POLL_EVERY : backoff(L.failures));
  };

  const startLoop = (e: string) => {
    stopLoop();
    const L: Loop = { email: e, alive: true, timer: undefined, failures: 0, lastStart: -Infinity, inFlight: false };
    loop = L;
    void pollOnce(L);
  };

  const stopLoop = () => {
    if (!loop) return;
    loop.alive = false;
    env.clearTimeout(loop.timer);
    loop = null;
  };

  const onOnline = () => {
    const L = loop;
    if (!L || !L.alive || L.inFlight || L.failures === 0 || L.timer === undefined) return;
    arm(L, Math.max(0, L.lastStart + POLL_EVERY - now()));
  };

  const changeChatKeepingEmail = (c: string) => {
    chat = c;
    gen++;
    pendingAcks = new Map();
    touch(); // the old messages linger until the new chat's first answer
  };

  const mountWidget = (e: string, c: string) => {
    claim('widget');
    if (mounted && e === email) {
      if (c !== chat) changeChatKeepingEmail(c);
      return;
    }
    mounted = true;
    email = e;
    chat = c;
    gen++;
    pendingAcks = new Map();
    touch();
    startLoop(e);
  };

  const unmountWidget = () => {
    claim('widget');
    if (!mounted) return;
    stopLoop();
    mounted = false;
    gen++;
    pendingAcks = new Map();
    setView([]);
    touch();
  };

  const switchChat = (c: string) => {
    claim('widget');
    if (!mounted || c === chat) return;
    changeChatKeepingEmail(c);
  };

  const customerSend = async (text: string) => {
    claim('widget');
    if (!mounted || email === null || chat === null) return;
    const myGen = gen;
    try {
      const res = await env.fetch(`/api/users/${enc(email)}/chats/${enc(chat)}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: text }),
        signal: env.timeoutSignal(ABANDON_AFTER),
      });
      if (res.status !== 201) {
        await res.text().catch(() => undefined);
        return;
      }
      const body = await res.json();
      const m = body?.message as LiveMessage | undefined;
      if (!m || typeof m.id !== 'string' || !mounted || myGen !== gen) return;
      if (viewById.has(m.id)) return;
      pendingAcks.set(m.id, { msg: m, pollsAtAck: pollsStarted });
      setView([...viewIds.map((id) => viewById.get(id)!), m]);
    } catch {
      /* the next polls show it if the server stored it */
    }
  };

  /* --------------------------------------------------------------- dashboard */

  let agent: string | null = null;
  let sock: any = null;
  let sockOpen = false;
  let subscribed = false;
  let rows: Row[] = [];
  let frameNo = 0;
  let tries = 0;
  let retryTimer: unknown = undefined;
  let pingTimer: unknown = undefined;
  let deadTimer: unknown = undefined;
  const queue: { users: LiveUser[]; frame: number; next: number }[] = [];
  let draining = false;

  const sortRows = () => {
    rows.sort((a, b) => b.frame - a.frame || a.pos - b.pos);
  };

  const mergeUser = (u: LiveUser, frame: number, pos: number) => {
    if (!u || u.dashboard_user_id !== agent || typeof u.email !== 'string') return;
    const i = rows.findIndex((r) => r.user.email === u.email);
    const row: Row = { user: { email: u.email, dashboard_user_id: u.dashboard_user_id, chats: Array.isArray(u.chats) ? u.chats : [] }, frame, pos };
    if (i >= 0) rows[i] = row;
    else rows.push(row);
    sortRows();
    touch();
  };

  const drain = () => {
    const job = queue[0];
    if (!job) {
      draining = false;
      return;
    }
    const end = Math.min(job.next + CHUNK, job.users.length);
    for (; job.next < end; job.next++) mergeUser(job.users[job.next]!, job.frame, job.next);
    if (job.next >= job.users.length) queue.shift();
    env.setTimeout(drain, 0);
  };

  const enqueue = (users: LiveUser[]) => {
    queue.push({ users: Array.isArray(users) ? users : [], frame: ++frameNo, next: 0 });
    if (!draining) {
      draining = true;
      env.setTimeout(drain, 0);
    }
  };

  const stopSocketTimers = () => {
    env.clearInterval(pingTimer);
    env.clearTimeout(deadTimer);
    pingTimer = undefined;
    deadTimer = undefined;
  };

  const feedDead = (s: any) => {
    env.clearTimeout(deadTimer);
    deadTimer = env.setTimeout(() => {
      if (sock !== s) return;
      try {
        s.close(4001, 'no frames');
      } catch {
        /* ignore */
      }
      lost(s);
    }, DEAD_AFTER);
  };

  const planRetry = () => {
    env.clearTimeout(retryTimer);
    retryTimer = undefined;
    if (agent === null) return;
    tries = Math.min(tries + 1, 10);
    retryTimer = env.setTimeout(() => {
      retryTimer = undefined;
      open();
    }, tries * 1000);
  };

  const lost = (s: any) => {
    if (sock !== s) return;
    sock = null;
    sockOpen = false;
    subscribed = false;
    stopSocketTimers();
    touch();
    planRetry();
  };

  const open = () => {
    if (agent === null || sock) return;
    let s: any;
    try {
      s = new env.WebSocket(`/ws/dashboard?token=${enc(env.token)}`);
    } catch {
      planRetry();
      return;
    }
    sock = s;
    sockOpen = false;
    subscribed = false;
    touch();
    feedDead(s); // also bounds a handshake that never completes
    s.addEventListener('open', () => {
      if (sock !== s) return;
      sockOpen = true;
      touch();
      s.send(JSON.stringify({ type: 'subscribe', channel: 'chat_updates' }));
      pingTimer = env.setInterval(() => {
        if (sock === s && sockOpen) s.send(JSON.stringify({ type: 'ping' }));
      }, PING_EVERY);
    });
    s.addEventListener('message', (ev: { data: unknown }) => {
      if (sock !== s) return;
      feedDead(s);
      if (typeof ev.data !== 'string') return;
      let f: any;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (f?.type === 'subscribed') {
        subscribed = true;
        // Fixed for LIVE-14 (backoff under repeated immediate drops): the back-off starts
        // over only once the socket stayed subscribed 5 s, not on every subscription.
        env.setTimeout(() => {
          if (sock === s && subscribed) tries = 0;
        }, 5000);
        touch();
      } else if (f?.type === 'chat_updates' && f.data) {
        enqueue(f.data.users);
      }
    });
    s.addEventListener('close', () => lost(s));
  };

  const shut = () => {
    const s = sock;
    sock = null;
    sockOpen = false;
    subscribed = false;
    stopSocketTimers();
    env.clearTimeout(retryTimer);
    retryTimer = undefined;
    if (s) {
      try {
        s.close(1000, 'dashboard closed');
      } catch {
        /* ignore */
      }
    }
  };

  const forgetView = () => {
    rows = [];
    queue.length = 0;
  };

  const connectDashboard = (id: string) => {
    claim('dashboard');
    if (agent === id && sock) return;
    shut();
    if (agent !== id) forgetView();
    agent = id;
    tries = 0;
    touch();
    open();
  };

  const disconnectDashboard = () => {
    claim('dashboard');
    shut();
    agent = null;
    forgetView();
    touch();
  };

  const findAgentMessage = (chatId: string): string | null => {
    for (const r of rows)
      for (const c of r.user.chats)
        if (c.chat_id === chatId) {
          const mine = c.messages.filter((m) => m.role === 'agent');
          if (mine.length) return mine[mine.length - 1]!.id;
        }
    return null;
  };

  const dashFetch = async (path: string, method: string, content: string) => {
    try {
      const res = await env.fetch(path, {
        method,
        headers: { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content, dashboard_user_id: agent }),
        signal: env.timeoutSignal(ABANDON_AFTER),
      });
      await res.text().catch(() => undefined);
    } catch {
      /* the broadcasts show what the server has */
    }
  };

  const agentSend = async (chatId: string, text: string) => {
    claim('dashboard');
    if (agent === null) return;
    await dashFetch(`/api/dashboard/chats/${enc(chatId)}/messages`, 'POST', text);
  };

  const agentReplace = async (chatId: string, text: string) => {
    claim('dashboard');
    if (agent === null) return;
    const id = findAgentMessage(chatId);
    if (id === null) return;
    await dashFetch(`/api/dashboard/chats/${enc(chatId)}/messages/${enc(id)}`, 'PUT', text);
  };

  env.lifecycle?.addEventListener?.('online', () => {
    if (role === 'widget') onOnline();
  });

  const snapshot = () => {
    if (snap) return snap;
    if (role === 'idle') snap = { role: 'idle' };
    else if (role === 'widget')
      snap = {
        role: 'widget',
        mounted,
        email,
        chatId: chat,
        messages: viewIds.map((id) => {
          const m = viewById.get(id)!;
          return { id, role: m.role, content: m.content };
        }),
      };
    else
      snap = {
        role: 'dashboard',
        dashboardUserId: agent,
        connection: agent === null ? 'idle' : sock ? (sockOpen ? 'open' : 'connecting') : 'closed',
        subscribed,
        users: rows.map((r) => ({
          email: r.user.email,
          dashboard_user_id: r.user.dashboard_user_id ?? null,
          chats: r.user.chats.map((c) => ({ chat_id: c.chat_id, messages: (c.messages ?? []).map((m) => m.id) })),
        })),
      };
    return snap;
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

/**
 * The model of one finished live-support trace, built once and read by every checker
 * (docs/protocols/live-support.md, "How the checkers read a trace"). It holds only what
 * the trace proves: the user's actions, the HTTP exchanges and sockets on the wire, the
 * server's logs and frames, and the fault windows. The one thing it takes from the
 * clients' snapshots is what the user saw (message ids, customer emails), plus a
 * restarted widget's claim to be mounted (which only ever adds a session to judge).
 *
 * Vocabulary:
 * - **widget session**: one run of a node's polling effect for one (email, chat): from the
 *   `mountWidget` action of an unmounted widget, or the action that changed a dependency
 *   of a mounted one (`mountWidget` with another email or chat, `switchChat` to another
 *   chat), to the `unmountWidget`, the next dependency change or an app restart. After a
 *   restart, before any user action, a widget that polls (or shows itself mounted) has
 *   restored itself: a session from the restart.
 * - **poll**: a `GET /api/users/{email}/chats` of the node; it belongs to the session of
 *   its node and email in force when it started.
 * - **dashboard identity**: the `dashboardUserId` of the node's last `connectDashboard`,
 *   until `disconnectDashboard`, another `connectDashboard` or an app restart. After a
 *   restart, before any user action, a dashboard that opens `/ws/dashboard` on its own
 *   keeps the identity it had before the restart.
 * - **owner** of a customer: its `dashboard_user_id` as the server logged it.
 */
import { isTraceEvent as isEvent, perContext, safeTolerance, guardedBy } from '../../../conformance/checker-kit.js';
import type { CheckContext } from '../../../conformance/requirement.js';
import type { FaultWindow, HttpExchange, Snapshot, SocketLife } from '../../../conformance/trace-query.js';
import * as q from '../../../conformance/trace-query.js';
import type { TraceEvent } from '../../../sim/trace.js';
import { liveTiming, routeOf, type LiveRoute } from '../wire.js';

/** The poll and broadcast interval `P`. */
export const P = liveTiming.pollInterval;
/** The server's processing allowance `A` (LIVE-5). */
export const A = liveTiming.processingAllowance;
/** After this long without an answer a poll counts as failed (`R`). */
export const R = liveTiming.requestTimeout;
/** The longest wait after a failed poll, and between dashboard reconnect attempts (`B`). */
export const B = liveTiming.maxRetryInterval;
/** How long a stalled or reordering WebSocket stream may keep delivering frames late. */
export const streamBacklog = 10_000;

/** Fault kinds that can delay or stop frames or handshakes on a dashboard's socket. */
export const wsKinds = [
  'partition',
  'drop',
  'delay-spike',
  'ws-refuse',
  'ws-half-open',
  'ws-reset',
  'server-restart',
  'client-offline',
  'app-background',
  'hold',
  'ws-intermediary',
  'idle-timeout',
  'server-close',
  'flapping',
  'message-too-big',
  'slow-consumer',
] as const;

/** Kinds that act once, at their `at`: their window ends where it starts (the trace gives them no `fault.end`). */
const onceKinds = new Set(['server-close']);

/** One run of a widget's polling effect (see the file comment). */
export interface WidgetSession {
  node: string;
  email: string;
  chat: string;
  start: number;
  startSeq: number;
  startedBy: 'mount' | 'change' | 'restore';
  end: number;
  endSeq: number;
  endedBy: 'unmount' | 'change' | 'restart' | 'end';
  /** The session the change ended (for `startedBy: change`). */
  prev?: WidgetSession;
  /** The session the change started (for `endedBy: change`). */
  next?: WidgetSession;
}

/** Who a dashboard node is, and when (see the file comment). */
export interface Identity {
  node: string;
  user: string;
  from: number;
  fromSeq: number;
  to: number;
  toSeq: number;
  /** Taken over by a dashboard that reconnected on its own after a restart. */
  restored: boolean;
}

/** An HTTP exchange with the protocol route it addresses. */
export interface LiveRequest extends HttpExchange {
  route?: LiveRoute;
  /** What a real-world fault at the edge did to it (`http.edge`): a body the client cannot read (`html`, `truncated`), a `Retry-After` in seconds. */
  edge?: { body?: string; retryAfter?: number };
}

/** A message the server stored, or put in place of another. */
export interface Stored {
  t: number;
  seq: number;
  id: string;
  chat?: string;
  email?: string;
  owner?: string;
  role?: string;
  /** The exchange that stored it. */
  request?: string;
  seeded: boolean;
  /** The id it replaced (for `message.replaced`). */
  replaces?: string;
}

/** One broadcast of the server, from `broadcast.start` to `broadcast.sent` / `broadcast.failed`. */
export interface Broadcast {
  n: number;
  t: number;
  seq: number;
  trigger?: string;
  message?: string;
  done?: { t: number; seq: number; ok: boolean };
}

/** A customer as a `chat_updates` frame lists it. */
export interface FrameUser {
  email: string;
  owner?: string;
  ids: string[];
}

/** A `chat_updates` frame on a dashboard socket: sent by the server, or received by the client. */
export interface UpdateFrame {
  socket: string;
  t: number;
  seq: number;
  /** `data.timestamp`, as ms since the epoch (NaN when unreadable). */
  timestamp: number;
  users: FrameUser[];
}

/** Everything the checkers read, built once per trace. */
export interface Model {
  events: readonly TraceEvent[];
  T: number;
  endAt: number;
  nodes: string[];
  sessions: WidgetSession[];
  identities: Identity[];
  requests: LiveRequest[];
  polls: LiveRequest[];
  /** Client sockets to `/ws/dashboard`. */
  sockets: SocketLife[];
  /** Socket id → the server's `dashboard.subscribed` log. */
  subscribed: Map<string, { t: number; seq: number }>;
  /** Every stored message (seeded too) and every replacement. */
  stored: Stored[];
  /** Message id → chat id. */
  messageChat: Map<string, string>;
  /** Old message id → the replacement log. */
  replacedBy: Map<string, Stored>;
  /** Customer email → owner. */
  owners: Map<string, string>;
  /** Message id → the broadcast it triggered. */
  broadcastOf: Map<string, Broadcast>;
  /** `http.respond` steps by exchange id, in order. */
  responds: Map<string, { t: number; seq: number; status?: number }[]>;
  /** Socket id → `chat_updates` frames the server sent on it. */
  sentUpdates: Map<string, UpdateFrame[]>;
  /** Node → `chat_updates` frames that reached its client, in order. */
  receivedUpdates: Map<string, UpdateFrame[]>;
  snapshots: Map<string, Snapshot[]>;
  faults: FaultWindow[];
  /** Server restarts (every socket dies; `lose`: every message is gone). */
  serverRestarts: { t: number; seq: number; lose: boolean }[];
}

/** The model of a checked trace (built on first use, shared by every checker). */
export const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const T = safeTolerance(ctx);
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const nodes = q.clientNodes(events);
  const requests: LiveRequest[] = q.httpExchanges(events).map((x) => Object.assign(x, { route: routeOf(x.path) }));
  const byId = new Map(requests.map((x) => [x.id, x]));
  for (const e of events) {
    if (e.ev !== 'http.edge') continue;
    const x = byId.get(q.str(e, 'id') ?? '');
    const body = q.str(e, 'body');
    const retryAfter = q.num(e, 'retryAfter');
    if (x && (body !== undefined || retryAfter !== undefined)) x.edge = { body, retryAfter };
  }
  const polls = requests.filter((x) => x.method === 'GET' && x.route?.kind === 'chats');
  const sockets = q.sockets(events).filter((s) => routeOf(s.path)?.kind === 'socket');
  const subscribed = new Map<string, { t: number; seq: number }>();
  for (const e of q.serverLogs(events, 'dashboard.subscribed')) {
    const s = q.str(e, 'socket');
    if (s && !subscribed.has(s)) subscribed.set(s, { t: e.t, seq: e.seq });
  }
  const owners = new Map<string, string>();
  for (const e of q.serverLogs(events, 'customer.seeded')) {
    const email = q.str(e, 'email');
    const owner = q.str(e, 'dashboard_user_id');
    if (email && owner) owners.set(email, owner);
  }
  const { stored, messageChat, replacedBy } = storedMessages(events, owners);
  const snapshots = new Map<string, Snapshot[]>();
  for (const n of nodes) snapshots.set(n, q.snapshotTimeline(events, n));
  const { sent, received } = updateFrames(events, sockets);
  return {
    events,
    T,
    endAt,
    nodes,
    sessions: buildSessions(events, nodes),
    identities: buildIdentities(events, nodes),
    requests,
    polls,
    sockets,
    subscribed,
    stored,
    messageChat,
    replacedBy,
    owners,
    broadcastOf: broadcasts(events),
    responds: responds(events),
    sentUpdates: sent,
    receivedUpdates: received,
    snapshots,
    faults: q.faultWindows(events).map((w) => (onceKinds.has(w.kind) ? { ...w, end: w.start } : w)),
    serverRestarts: events.filter((e) => e.ev === 'server.restart').map((e) => ({ t: e.t, seq: e.seq, lose: e.state === 'lose' })),
  };
}

function storedMessages(
  events: readonly TraceEvent[],
  owners: Map<string, string>,
): { stored: Stored[]; messageChat: Map<string, string>; replacedBy: Map<string, Stored> } {
  const stored: Stored[] = [];
  const messageChat = new Map<string, string>();
  const replacedBy = new Map<string, Stored>();
  for (const e of events) {
    if (e.ev !== 'server.log' || (e.msg !== 'message.stored' && e.msg !== 'message.replaced')) continue;
    const id = q.str(e, 'id');
    if (!id) continue;
    const s: Stored = {
      t: e.t,
      seq: e.seq,
      id,
      chat: q.str(e, 'chat_id'),
      email: q.str(e, 'email'),
      owner: q.str(e, 'dashboard_user_id'),
      role: q.str(e, 'role'),
      request: q.str(e, 'request'),
      seeded: e.seeded === true,
      replaces: e.msg === 'message.replaced' ? q.str(e, 'old') : undefined,
    };
    stored.push(s);
    if (s.chat !== undefined) messageChat.set(id, s.chat);
    if (s.email !== undefined && s.owner !== undefined && !owners.has(s.email)) owners.set(s.email, s.owner);
    if (s.replaces !== undefined && !replacedBy.has(s.replaces)) replacedBy.set(s.replaces, s);
  }
  return { stored, messageChat, replacedBy };
}

function broadcasts(events: readonly TraceEvent[]): Map<string, Broadcast> {
  const byNumber = new Map<number, Broadcast>();
  const of = new Map<string, Broadcast>();
  for (const e of events) {
    if (e.ev !== 'server.log') continue;
    const n = q.num(e, 'broadcast');
    if (n === undefined) continue;
    if (e.msg === 'broadcast.start') {
      // A server that lost its state counts broadcasts from 1 again: the latest start owns the number.
      const b: Broadcast = { n, t: e.t, seq: e.seq, trigger: q.str(e, 'trigger'), message: q.str(e, 'message') };
      byNumber.set(n, b);
      if (b.message !== undefined && !of.has(b.message)) of.set(b.message, b);
    } else if (e.msg === 'broadcast.sent' || e.msg === 'broadcast.failed') {
      const b = byNumber.get(n);
      if (b && !b.done) b.done = { t: e.t, seq: e.seq, ok: e.msg === 'broadcast.sent' };
    }
  }
  return of;
}

function responds(events: readonly TraceEvent[]): Map<string, { t: number; seq: number; status?: number }[]> {
  const out = new Map<string, { t: number; seq: number; status?: number }[]>();
  for (const e of events) {
    if (e.ev !== 'http.respond') continue;
    const id = q.str(e, 'id');
    if (!id) continue;
    const list = out.get(id) ?? [];
    list.push({ t: e.t, seq: e.seq, status: q.num(e, 'status') });
    out.set(id, list);
  }
  return out;
}

/** `chat_updates` frames the server sent on each socket, and those each dashboard node received. */
function updateFrames(
  events: readonly TraceEvent[],
  sockets: readonly SocketLife[],
): { sent: Map<string, UpdateFrame[]>; received: Map<string, UpdateFrame[]> } {
  const parsed = new Map<string, Omit<UpdateFrame, 'socket' | 't' | 'seq'> | null>();
  const parse = (data: string | undefined) => {
    if (data === undefined) return null;
    let p = parsed.get(data);
    if (p === undefined) {
      p = parseUpdate(data);
      parsed.set(data, p);
    }
    return p;
  };
  const ours = new Set(sockets.map((s) => s.id));
  const sent = new Map<string, UpdateFrame[]>();
  for (const e of events) {
    if (e.ev !== 'ws.send' || e.dir !== 'to-client') continue;
    const id = q.str(e, 'id');
    if (!id || !ours.has(id)) continue;
    const p = parse(q.str(e, 'data'));
    if (!p) continue;
    const list = sent.get(id) ?? [];
    list.push({ socket: id, t: e.t, seq: e.seq, ...p });
    sent.set(id, list);
  }
  const received = new Map<string, UpdateFrame[]>();
  for (const s of sockets) {
    for (const f of s.received) {
      const p = parse(f.data);
      if (!p) continue;
      const list = received.get(s.node) ?? [];
      list.push({ socket: s.id, t: f.t, seq: f.seq, ...p });
      received.set(s.node, list);
    }
  }
  for (const list of received.values()) list.sort((a, b) => a.seq - b.seq);
  return { sent, received };
}

/** The customers and timestamp of a `chat_updates` frame's text, or `null` for any other frame. */
function parseUpdate(data: string): Omit<UpdateFrame, 'socket' | 't' | 'seq'> | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  const f = v as { type?: unknown; data?: { users?: unknown; timestamp?: unknown } } | null;
  if (!f || f.type !== 'chat_updates' || !f.data || !Array.isArray(f.data.users)) return null;
  const users: FrameUser[] = [];
  for (const u of f.data.users as unknown[]) {
    const r = u as { email?: unknown; dashboard_user_id?: unknown; chats?: unknown } | null;
    if (!r || typeof r.email !== 'string') continue;
    const ids: string[] = [];
    for (const c of Array.isArray(r.chats) ? r.chats : []) {
      const msgs = (c as { messages?: unknown } | null)?.messages;
      for (const m of Array.isArray(msgs) ? msgs : []) {
        const id = (m as { id?: unknown } | null)?.id;
        if (typeof id === 'string') ids.push(id);
      }
    }
    users.push({ email: r.email, owner: typeof r.dashboard_user_id === 'string' ? r.dashboard_user_id : undefined, ids });
  }
  const timestamp = typeof f.data.timestamp === 'string' ? Date.parse(f.data.timestamp) : NaN;
  return { timestamp, users };
}

const isRestart = (e: TraceEvent): boolean => e.ev === 'client.restart' || (e.ev === 'client.action' && e.do === 'restart');

/** Widget sessions from the user's actions and, after a restart, the wire (see the file comment). */
function buildSessions(events: readonly TraceEvent[], nodes: readonly string[]): WidgetSession[] {
  const out: WidgetSession[] = [];
  for (const node of nodes) {
    let cur: WidgetSession | undefined;
    let mounted = false;
    let email: string | null = null;
    let chat: string | null = null;
    const end = (e: TraceEvent, by: WidgetSession['endedBy']): WidgetSession | undefined => {
      const s = cur;
      if (!s) return undefined;
      s.end = e.t;
      s.endSeq = e.seq;
      s.endedBy = by;
      cur = undefined;
      return s;
    };
    const begin = (at: { t: number; seq: number }, by: WidgetSession['startedBy'], prev?: WidgetSession): WidgetSession => {
      const s: WidgetSession = {
        node,
        email: email!,
        chat: chat!,
        start: at.t,
        startSeq: at.seq,
        startedBy: by,
        end: Infinity,
        endSeq: Infinity,
        endedBy: 'end',
      };
      if (prev) {
        s.prev = prev;
        prev.next = s;
      }
      out.push(s);
      cur = s;
      return s;
    };
    // Where a restored session would start (the run's start, or the last restart), and what the widget was before.
    let restore: { t: number; seq: number; email: string | null; chat: string | null } | undefined = {
      t: 0,
      seq: -1,
      email: null,
      chat: null,
    };
    const restoreAs = (mail: string, chatId: string | null): void => {
      mounted = true;
      email = mail;
      chat = chatId ?? (restore!.email === mail ? restore!.chat : null) ?? '(unknown)';
      begin(restore!, 'restore');
      restore = undefined;
    };
    for (const e of events) {
      if (e.node !== node) continue;
      if (isRestart(e)) {
        const was = cur;
        if (cur) end(e, 'restart');
        if (!restore || restore.t !== e.t) restore = { t: e.t, seq: e.seq, email: was?.email ?? null, chat: was?.chat ?? null };
        mounted = false;
        email = chat = null;
        continue;
      }
      if (restore && !mounted) {
        if (e.ev === 'http.request') {
          const route = routeOf(q.pathOf(q.str(e, 'url') ?? ''));
          if (route?.kind === 'chats' && (q.str(e, 'method') ?? 'GET').toUpperCase() === 'GET') restoreAs(route.email, null);
          continue;
        }
        if (e.ev === 'client.snapshot') {
          const st = q.obj(e, 'state');
          if (st?.role === 'widget' && st.mounted === true && typeof st.email === 'string')
            restoreAs(st.email, typeof st.chatId === 'string' ? st.chatId : null);
          continue;
        }
      }
      if (e.ev !== 'client.action') continue;
      restore = undefined; // the user acted: what the client does from now on is no restoration
      const args = q.obj(e, 'args') ?? {};
      if (e.do === 'mountWidget' && typeof args.email === 'string' && typeof args.chat === 'string') {
        if (mounted && args.email === email && args.chat === chat) continue;
        const prev = mounted ? end(e, 'change') : undefined;
        mounted = true;
        email = args.email;
        chat = args.chat;
        begin(e, prev ? 'change' : 'mount', prev);
      } else if (e.do === 'switchChat' && typeof args.chat === 'string') {
        if (!mounted || args.chat === chat) continue;
        const prev = end(e, 'change');
        chat = args.chat;
        begin(e, 'change', prev);
      } else if (e.do === 'unmountWidget') {
        if (!mounted) continue;
        end(e, 'unmount');
        mounted = false;
      }
    }
  }
  return out;
}

/** Dashboard identities from the user's actions and, after a restart, the wire (see the file comment). */
function buildIdentities(events: readonly TraceEvent[], nodes: readonly string[]): Identity[] {
  const out: Identity[] = [];
  for (const node of nodes) {
    let cur: Identity | undefined;
    let restore: { t: number; seq: number; user: string } | undefined;
    const end = (e: TraceEvent): void => {
      if (!cur) return;
      cur.to = e.t;
      cur.toSeq = e.seq;
      cur = undefined;
    };
    for (const e of events) {
      if (e.node !== node) continue;
      if (isRestart(e)) {
        if (cur) restore = { t: e.t, seq: e.seq, user: cur.user };
        end(e);
        continue;
      }
      if (e.ev === 'ws.connect' && restore && !cur && routeOf(q.pathOf(q.str(e, 'url') ?? ''))?.kind === 'socket') {
        cur = { node, user: restore.user, from: restore.t, fromSeq: restore.seq, to: Infinity, toSeq: Infinity, restored: true };
        out.push(cur);
        restore = undefined;
        continue;
      }
      if (e.ev !== 'client.action') continue;
      restore = undefined;
      if (e.do === 'disconnectDashboard') end(e);
      else if (e.do === 'connectDashboard') {
        const user = q.obj(e, 'args')?.dashboardUserId;
        if (typeof user !== 'string') continue;
        end(e);
        cur = { node, user, from: e.t, fromSeq: e.seq, to: Infinity, toSeq: Infinity, restored: false };
        out.push(cur);
      }
    }
  }
  return out;
}

/** The dashboard identity of `node` in force at step `seq`. */
export function identityAt(m: Model, node: string, seq: number): Identity | undefined {
  return m.identities.find((i) => i.node === node && i.fromSeq < seq && seq < i.toSeq);
}

/** `true` when the app's timers did not run normally at some time within `[from, to]` (background, or just back from a throttled one). */
export function timersDisturbed(m: Model, node: string, from: number, to: number): boolean {
  return m.faults.some((w) => {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== node) || w.start > to) return false;
    const throttle = w.params.timers === 'throttle' ? (typeof w.params.throttleMs === 'number' ? w.params.throttleMs : 60_000) : 0;
    return w.end + throttle >= from;
  });
}

/**
 * When `node`'s dashboard token stopped being accepted (a `token-expiry` aimed at it or at
 * every node), or `Infinity`. There is no sign-in in this protocol, so it stays expired.
 */
export function tokenExpiredAt(m: Model, node: string): number {
  let at = Infinity;
  for (const w of m.faults) if (w.kind === 'token-expiry' && (w.node === undefined || w.node === node)) at = Math.min(at, w.start);
  return at;
}

/** The first fault of `kinds` on `node` in force at some time within `[from, to]`. */
export function disturbance(m: Model, kinds: readonly string[], node: string, from: number, to: number): FaultWindow | undefined {
  for (const k of kinds) {
    const w = q.faultsDuring(m.faults, k, from, to, node)[0];
    if (w) return w;
  }
  return undefined;
}

/** Whether exchange `x`'s answer carried the server's whole body: not from the edge, not cut short (`bad-body` `truncated`). */
export function readable(x: LiveRequest): boolean {
  return succeeded(x) && x.edge?.body === undefined;
}

/** Whether exchange `x` succeeded: a 2xx answer from the server (not from a fault at the edge). */
export function succeeded(x: LiveRequest): boolean {
  return x.via !== 'edge' && x.status !== undefined && x.status >= 200 && x.status <= 299;
}

/** The polls of a session: of its node and email, started within it. */
export function pollsOf(m: Model, s: WidgetSession): LiveRequest[] {
  return m.polls.filter(
    (x) =>
      x.node === s.node && x.route?.kind === 'chats' && x.route.email === s.email && x.requestSeq > s.startSeq && x.requestSeq < s.endSeq,
  );
}

/** Runs a checker on the model; a trace it cannot read is not-exercised, never a crash. */
export const guarded = guardedBy(model);

/** `w1's widget on alice@example.com / chat-a1 (from 2.0 s)`. */
export function describeSession(s: WidgetSession): string {
  return `${s.node}'s widget on ${s.email} / ${s.chat} (from ${q.fmtTime(s.start)})`;
}

/** A list of ids for evidence, shortened past `max`. */
export function list(ids: readonly string[], max = 6): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, … (${ids.length} in all)`;
}

/** `n thing` or `n things`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

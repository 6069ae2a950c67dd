/**
 * The model of one finished chat trace that every chat checker reads (built once per
 * check context): sessions, sockets, HTTP exchanges (polls told from catch-up loads),
 * what the server stored and pushed, auth-error windows and fault windows.
 *
 * Where the server's log or the network trace holds the truth, the model takes it from
 * there, never from what the client reports about itself: a message is "acknowledged" when
 * its id is one the server stored (`message.stored`), not when the client's snapshot drops
 * `pending`; a request was made when the trace shows it, whatever the client's `polling`
 * flag says.
 *
 * Vocabulary (docs/protocols/chat.md, "How the checkers read a trace"):
 * - **session**: one conversation open on one node, from the `openConversation` action
 *   to the `closeConversation`, the next `openConversation` or an app restart. After a
 *   restart (and at the start of a run) a client that shows a conversation again before
 *   any user action has restored it: that is a new session, starting at the restart.
 * - **catch-up load**: the first GET of the conversation within 1 s after a *load point* —
 *   the session's start or a `ws.open` of one of its sockets — one GET per point (a point
 *   inside a Retry-After wait: within 1 s + T after the wait ends); and a
 *   retry of a catch-up load that failed, made after that attempt ended and at least
 *   `0.9·b − T` after it started, `b` = 2, 4, 8, 16, 32 s, then 32 s for every further retry.
 * - **poll**: every other GET of a conversation's messages.
 * - **failure** of a socket: the client stopped having it connecting or open while its
 *   conversation stayed open (not at the instant the user closed or switched it, and not
 *   by an app restart).
 * - **auth error**: from a `401` response (to a request of the current app) until the user
 *   acts again on that node (`openConversation`, `send`, or relaunching the app). Such a
 *   window is a CHAT-14 *trigger* when the request was made in the session in force at the
 *   answer (no `openConversation` or `closeConversation` of the node between the request
 *   and its answer). Two more events start an auth error that only *excuses* (never a
 *   CHAT-14 trigger), and only for a client that then stops — no HTTP request and no
 *   `ws.connect` of the node until the window ends: a socket's `close` with code 4001 (the
 *   spec lets a client treat 4001 as a 401 at once), and a 401 answering a request of an
 *   earlier session of the running app (one the client may treat as stale).
 */
import { isTraceEvent as isEvent, perContext, safeTolerance } from '../../../conformance/checker-kit.js';
import type { CheckContext } from '../../../conformance/requirement.js';
import type { Action, FaultWindow, HttpExchange, Snapshot, SocketLife } from '../../../conformance/trace-query.js';
import * as q from '../../../conformance/trace-query.js';
import type { TraceEvent } from '../../../sim/trace.js';
import { chatTiming, conversationOf } from '../wire.js';

/** Heartbeat window `H`: a ping every 15 s, a pong within 5 s. */
export const chatHealthWindow = chatTiming.pingInterval + chatTiming.pongTimeout;

/** A GET that starts within this long after a load point may be that point's catch-up load. */
export const catchUpWindow = 1000;

/** The longest wait a reconnect or catch-up retry may take: 32 s, +10 % (plus `T` where it is used). */
export const longestBackoff = chatTiming.backoff[chatTiming.backoff.length - 1]! * (1 + chatTiming.jitter);

/** One conversation open on one node (see the file comment). */
export interface Session {
  node: string;
  conversation: string;
  start: number;
  startSeq: number;
  end: number;
  endSeq: number;
  startedBy: 'open' | 'restored';
  endedBy: 'close' | 'switch' | 'reopen' | 'restart' | 'end';
  /** The action that started it (`openConversation`), when the user opened it. */
  startAction?: Action;
  /** The action that ended it (close or switch). */
  endAction?: Action;
}

/** A client WebSocket with the conversation of its path. */
export interface ChatSocket extends SocketLife {
  conversation?: string;
}

/** An HTTP exchange with the conversation of its path. */
export interface ChatRequest extends HttpExchange {
  conversation?: string;
  kind?: 'messages' | 'ws';
  /** A catch-up load (or a retry of one), not a poll. */
  load: boolean;
  /** Answered 200 with a body the client cannot use (a `bad-body` fault: a captive portal's HTML, a cut-off body). */
  badBody?: boolean;
}

/** A time during which a node is in an auth error. */
export interface AuthWindow {
  node: string;
  from: number;
  fromSeq: number;
  to: number;
  toSeq: number;
  /** The 401 answer that started it, or (`socket`) the request-less 4001 close. */
  cause?: ChatRequest;
  /** The socket whose `close` with 4001 started it. */
  socket?: ChatSocket;
  /**
   * `true` for a CHAT-14 trigger (a 401 answering a request of the session in force);
   * `false` for an excuse-only window (a 4001 close, or a 401 answering an earlier
   * session's request), kept only when the client stopped through it.
   */
  trigger: boolean;
  endedBy?: Action;
}

/** An answer that asked the client to wait: 429 or 503 with `Retry-After` (an `http.edge` with `retryAfter`). */
export interface RetryAfter {
  node: string;
  /** The request it answered. */
  request: ChatRequest;
  /** When the client received it. */
  at: number;
  seq: number;
  /** The wait asked for, ms. */
  ms: number;
  /** The wait a client must keep: `ms`, capped at 10 s (CHAT-20). */
  owed: number;
}

/** A message the server stored (`message.stored`). */
export interface Stored {
  t: number;
  seq: number;
  id: string;
  conversation?: string;
  role?: string;
  clientMessageId?: string;
  content?: string;
  /** The server's timestamp (RFC 3339), when logged. */
  timestamp?: string;
  /** The node whose POST carried it, when known. */
  node?: string;
  via?: string;
}

/** A message the server sent over one socket (`message.pushed`). */
export interface Pushed {
  t: number;
  seq: number;
  id: string;
  socket: string;
}

/** One entry of a snapshot's message list, read defensively. */
export interface Shown {
  id: string;
  clientMessageId?: string;
  role?: string;
  content?: string;
  timestamp?: string;
}

/** Everything the chat checkers read, built once per trace. */
export interface ChatModel {
  events: readonly TraceEvent[];
  /** The timing tolerance. */
  T: number;
  healAt: number;
  endAt: number;
  /** The delivery bound after the heal (CHAT-10, CHAT-12). */
  bound: number;
  nodes: string[];
  sessions: Session[];
  sockets: ChatSocket[];
  requests: ChatRequest[];
  /** GETs of a messages path (polls and loads). */
  gets: ChatRequest[];
  polls: ChatRequest[];
  snapshots: Map<string, Snapshot[]>;
  faults: FaultWindow[];
  auth: AuthWindow[];
  stored: Stored[];
  /** Message id → what the server stored under it. */
  storedById: Map<string, Stored>;
  pushed: Pushed[];
  /** Message id → conversation (from the server's logs). */
  messageConversation: Map<string, string>;
  /** clientMessageId → conversation (from logs and POSTs). */
  cmidConversation: Map<string, string>;
  /** clientMessageId → server message id. */
  cmidMessage: Map<string, string>;
  /** Times at which the server restarted and lost its state. */
  stateLost: number[];
  actions: Action[];
  /** Answers that carried `Retry-After`, in answer order. */
  retryAfters: RetryAfter[];
}

/** The model of a check context (memoized: all chat checkers share it). */
export const chatModel = perContext(buildModel);

function buildModel(ctx: CheckContext): ChatModel {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const T = safeTolerance(ctx);
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const healAt = Number.isFinite(ctx.healAt) ? ctx.healAt : (q.healTime(events) ?? endAt);
  const nodes = q.clientNodes(events);
  const actions = q.actions(events);
  const sessions = buildSessions(events, nodes);
  const sockets: ChatSocket[] = q.sockets(events).map((s) => {
    const c = conversationOf(s.path);
    return Object.assign(s, { conversation: c?.kind === 'ws' ? c.conversation : undefined });
  });
  const requests: ChatRequest[] = q.httpExchanges(events).map((x) => {
    const c = conversationOf(x.path);
    return Object.assign(x, { conversation: c?.conversation, kind: c?.kind, load: false });
  });
  const gets = requests.filter((x) => x.method === 'GET' && x.kind === 'messages');
  const byId = new Map(requests.map((x) => [x.id, x]));
  for (const e of events) {
    if (e.ev === 'http.edge' && typeof e.body === 'string') {
      const x = byId.get(String(e.id));
      if (x) x.badBody = true;
    }
  }
  const retryAfters: RetryAfter[] = [];
  for (const e of events) {
    if (e.ev !== 'http.edge' || typeof e.retryAfter !== 'number') continue;
    const x = byId.get(String(e.id));
    if (!x || x.responseAt === undefined || x.responseSeq === undefined) continue;
    const ms = e.retryAfter * 1000;
    retryAfters.push({ node: x.node, request: x, at: x.responseAt, seq: x.responseSeq, ms, owed: Math.min(ms, chatTiming.maxRetryAfter) });
  }
  retryAfters.sort((a, b) => a.seq - b.seq);
  markLoads(gets, sessions, sockets, T, retryAfters);
  const polls = gets.filter((x) => !x.load);
  const snapshots = new Map<string, Snapshot[]>();
  for (const n of nodes) snapshots.set(n, q.snapshotTimeline(events, n));
  const stored = storedMessages(events, requests, sockets);
  const storedById = new Map<string, Stored>();
  const messageConversation = new Map<string, string>();
  const cmidConversation = new Map<string, string>();
  const cmidMessage = new Map<string, string>();
  for (const s of stored) {
    if (!storedById.has(s.id)) storedById.set(s.id, s);
    if (s.conversation !== undefined) messageConversation.set(s.id, s.conversation);
    if (s.clientMessageId !== undefined) {
      if (s.conversation !== undefined) cmidConversation.set(s.clientMessageId, s.conversation);
      if (!cmidMessage.has(s.clientMessageId)) cmidMessage.set(s.clientMessageId, s.id);
    }
  }
  for (const x of requests) {
    if (x.method !== 'POST' || x.kind !== 'messages' || x.conversation === undefined) continue;
    for (const sv of x.serves) {
      const cmid = bodyField(sv.body, 'clientMessageId');
      if (cmid !== undefined && !cmidConversation.has(cmid)) cmidConversation.set(cmid, x.conversation);
    }
  }
  const pushed: Pushed[] = [];
  for (const e of q.serverLogs(events, 'message.pushed')) {
    const id = q.str(e, 'id');
    const socket = q.str(e, 'socket');
    if (id !== undefined && socket !== undefined) pushed.push({ t: e.t, seq: e.seq, id, socket });
  }
  const stateLost = events.filter((e) => e.ev === 'server.restart' && e.state === 'lose').map((e) => e.t);
  const auth = authWindows(requests, sockets, actions, events);
  const bound = Math.max(chatTiming.deliveryBound, chatTiming.backoff[4] + chatTiming.adaptive.slow + chatHealthWindow + T);
  return {
    events,
    T,
    healAt,
    endAt,
    bound,
    nodes,
    sessions,
    sockets,
    requests,
    gets,
    polls,
    snapshots,
    faults: q.faultWindows(events),
    auth,
    stored,
    storedById,
    pushed,
    messageConversation,
    cmidConversation,
    cmidMessage,
    stateLost,
    actions,
    retryAfters,
  };
}

/** Sessions from the user's actions, restarts and restored snapshots (see the file comment). */
function buildSessions(events: readonly TraceEvent[], nodes: readonly string[]): Session[] {
  const out: Session[] = [];
  for (const node of nodes) {
    let cur: Session | undefined;
    // Where a restored session would start: the run's start, or the last restart.
    let restoreFrom: { t: number; seq: number } | undefined = { t: 0, seq: -1 };
    const end = (e: TraceEvent, by: Session['endedBy'], action?: Action): void => {
      if (!cur) return;
      cur.end = e.t;
      cur.endSeq = e.seq;
      cur.endedBy = by;
      cur.endAction = action;
      cur = undefined;
    };
    const begin = (conversation: string, from: { t: number; seq: number }, by: Session['startedBy'], action?: Action): void => {
      cur = {
        node,
        conversation,
        start: from.t,
        startSeq: from.seq,
        end: Infinity,
        endSeq: Infinity,
        startedBy: by,
        endedBy: 'end',
        startAction: action,
      };
      out.push(cur);
    };
    for (const e of events) {
      if (e.node !== node) continue;
      if (e.ev === 'client.restart' || (e.ev === 'client.action' && e.do === 'restart')) {
        if (cur) end(e, 'restart');
        if (!restoreFrom || restoreFrom.t !== e.t) restoreFrom = { t: e.t, seq: e.seq };
        continue;
      }
      if (e.ev === 'client.action') {
        const args = q.obj(e, 'args') ?? {};
        const action: Action = { t: e.t, seq: e.seq, node, do: String(e.do), args };
        restoreFrom = undefined; // the user acted: what the client shows from now on is not a restoration
        if (e.do === 'openConversation' && typeof args.conversation === 'string') {
          if (cur) end(e, cur.conversation === args.conversation ? 'reopen' : 'switch', action);
          begin(args.conversation, e, 'open', action);
        } else if (e.do === 'closeConversation') {
          end(e, 'close', action);
        }
        continue;
      }
      if (e.ev === 'client.snapshot' && !cur && restoreFrom) {
        const c = q.obj(e, 'state')?.conversation;
        if (typeof c === 'string') {
          begin(c, restoreFrom, 'restored');
          restoreFrom = undefined;
        }
      }
    }
  }
  return out;
}

/** `true` for a 2xx answer with a usable body (not a `bad-body` one). */
export function succeeded(x: HttpExchange & { badBody?: boolean }): boolean {
  return x.status !== undefined && x.status >= 200 && x.status < 300 && !x.badBody;
}

/** The wait before the n-th retry (n ≥ 1) of a failed catch-up load: 2, 4, 8, 16, 32 s, then 32 s. */
export function catchUpWait(n: number): number {
  const b = chatTiming.backoff;
  return b[Math.min(n, b.length) - 1]!;
}

/** Marks catch-up loads among the GETs (see the file comment); everything else is a poll. */
function markLoads(gets: ChatRequest[], sessions: Session[], sockets: ChatSocket[], T: number, waits: readonly RetryAfter[]): void {
  /** A load point inside a Retry-After wait may load when the wait ends (CHAT-20). */
  const loadBy = (node: string, t: number): number => {
    let end = t;
    for (const r of waits) if (r.node === node && r.at <= t && r.at + r.owed > end) end = r.at + r.owed + T;
    return end + catchUpWindow;
  };
  const points = new Map<string, { t: number; seq: number; used: boolean }[]>();
  const add = (node: string, conversation: string, t: number, seq: number): void => {
    const key = `${node}\n${conversation}`;
    const list = points.get(key);
    if (list) list.push({ t, seq, used: false });
    else points.set(key, [{ t, seq, used: false }]);
  };
  for (const s of sessions) add(s.node, s.conversation, s.start, s.startSeq);
  for (const s of sockets) {
    if (s.openAt !== undefined && s.openSeq !== undefined && s.conversation !== undefined) add(s.node, s.conversation, s.openAt, s.openSeq);
  }
  const groups = new Map<string, ChatRequest[]>();
  for (const g of gets) {
    const key = `${g.node}\n${g.conversation}`;
    const list = groups.get(key);
    if (list) list.push(g);
    else groups.set(key, [g]);
  }
  for (const [key, list] of groups) {
    const ps = (points.get(key) ?? []).sort((a, b) => a.seq - b.seq);
    /** The last attempt of the catch-up load being retried, and how many retries it had. */
    let chain: { last: ChatRequest; retries: number } | undefined;
    for (const g of list) {
      const point = ps.find((p) => !p.used && p.seq < g.requestSeq && g.requestAt <= loadBy(g.node, p.t));
      if (point) {
        point.used = true;
        g.load = true;
        chain = { last: g, retries: 0 };
        continue;
      }
      if (chain && !succeeded(chain.last) && chain.last.endSeq < g.requestSeq) {
        const n = chain.retries + 1;
        if (g.requestAt - chain.last.requestAt >= (1 - chatTiming.jitter) * catchUpWait(n) - T) {
          g.load = true;
          chain = { last: g, retries: n };
          continue;
        }
      }
      chain = undefined; // a poll: it fetches what the load would have
    }
  }
}

/** A string field of a JSON request body, or `undefined`. */
export function bodyField(body: string | undefined, key: string): string | undefined {
  if (!body) return undefined;
  try {
    const v = (JSON.parse(body) as Record<string, unknown> | null)?.[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `message.stored` logs, each linked to the POST (and node) that carried it when possible. */
function storedMessages(events: readonly TraceEvent[], requests: ChatRequest[], sockets: readonly ChatSocket[]): Stored[] {
  const posts = requests.filter((x) => x.method === 'POST' && x.kind === 'messages');
  const out: Stored[] = [];
  for (const e of q.serverLogs(events, 'message.stored')) {
    const id = q.str(e, 'id') ?? (typeof e.id === 'number' ? String(e.id) : undefined);
    if (id === undefined) continue;
    const s: Stored = {
      t: e.t,
      seq: e.seq,
      id,
      conversation: q.str(e, 'conversation'),
      role: q.str(e, 'role'),
      clientMessageId: q.str(e, 'clientMessageId'),
      content: q.str(e, 'content'),
      timestamp: q.str(e, 'timestamp'),
    };
    let best: { x: ChatRequest; seq: number } | undefined;
    for (const x of posts) {
      if (s.conversation !== undefined && x.conversation !== s.conversation) continue;
      for (const sv of x.serves) {
        if (sv.seq >= s.seq) continue;
        const cmid = bodyField(sv.body, 'clientMessageId');
        const matches = s.clientMessageId !== undefined && cmid !== undefined ? cmid === s.clientMessageId : sv.t === s.t;
        if (matches && (!best || sv.seq > best.seq)) best = { x, seq: sv.seq };
      }
    }
    if (best) {
      s.node = best.x.node;
      s.via = best.x.id;
    }
    // Sent over a socket (the server names it): the node that owns the socket sent it.
    const socket = q.str(e, 'socket');
    if (!best && socket !== undefined) {
      s.node = sockets.find((k) => k.id === socket)?.node;
      s.via = socket;
    }
    out.push(s);
  }
  return out;
}

/** Auth-error windows (see the file comment): CHAT-14 triggers first, then excuse-only ones. */
function authWindows(requests: ChatRequest[], sockets: ChatSocket[], actions: Action[], events: readonly TraceEvent[]): AuthWindow[] {
  const out: AuthWindow[] = [];
  const restartsOf = new Map<string, q.Restart[]>();
  for (const r of q.restarts(events)) restartsOf.set(r.node, [...(restartsOf.get(r.node) ?? []), r]);
  /** The window from step `at` until the user acts again on `node` or the app restarts. */
  const until = (node: string, at: number): { to: number; toSeq: number; endedBy?: Action } => {
    const next = actions.find(
      (a) => a.node === node && a.seq > at && (a.do === 'openConversation' || a.do === 'send' || a.do === 'restart'),
    );
    const restart = (restartsOf.get(node) ?? []).find((r) => r.seq > at);
    const toSeq = Math.min(next?.seq ?? Infinity, restart?.seq ?? Infinity);
    const endedBy = next && next.seq === toSeq ? next : undefined;
    return { to: endedBy ? endedBy.t : (restart?.t ?? Infinity), toSeq, endedBy };
  };
  /** `true` when the user opened or closed a conversation on `node` between steps `from` and `to`. */
  const sessionChanged = (node: string, from: number, to: number): boolean =>
    actions.some((a) => a.node === node && a.seq > from && a.seq < to && (a.do === 'openConversation' || a.do === 'closeConversation'));
  const excuses: { node: string; at: number; t: number; cause?: ChatRequest; socket?: ChatSocket }[] = [];
  const sorted = requests.filter((x) => x.status === 401 && x.responseSeq !== undefined).sort((a, b) => a.responseSeq! - b.responseSeq!);
  for (const x of sorted) {
    const at = x.responseSeq!;
    if ((restartsOf.get(x.node) ?? []).some((r) => r.seq > x.requestSeq && r.seq < at)) continue; // an earlier app's request
    if (sessionChanged(x.node, x.requestSeq, at)) {
      excuses.push({ node: x.node, at, t: x.responseAt!, cause: x });
      continue;
    }
    if (out.some((w) => w.node === x.node && w.fromSeq < at && at < w.toSeq)) continue;
    out.push({ node: x.node, from: x.responseAt!, fromSeq: at, ...until(x.node, at), cause: x, trigger: true });
  }
  for (const s of sockets) {
    if (s.closeCode === 4001 && s.closeAt !== undefined && s.closeSeq !== undefined)
      excuses.push({ node: s.node, at: s.closeSeq, t: s.closeAt, socket: s });
  }
  excuses.sort((a, b) => a.at - b.at);
  for (const e of excuses) {
    if (out.some((w) => w.node === e.node && w.fromSeq <= e.at && e.at < w.toSeq)) continue;
    const w: AuthWindow = {
      node: e.node,
      from: e.t,
      fromSeq: e.at,
      ...until(e.node, e.at),
      cause: e.cause,
      socket: e.socket,
      trigger: false,
    };
    // Only a client that stopped treated it as an auth error.
    const acted =
      requests.some((x) => x.node === e.node && x.requestSeq > w.fromSeq && x.requestSeq < w.toSeq) ||
      sockets.some((k) => k.node === e.node && k.connectSeq > w.fromSeq && k.connectSeq < w.toSeq);
    if (!acted) out.push(w);
  }
  return out.sort((a, b) => a.fromSeq - b.fromSeq);
}

/** The session of `node` in force at step `seq`. */
export function sessionAt(m: ChatModel, node: string, seq: number): Session | undefined {
  return m.sessions.find((s) => s.node === node && inSession(s, seq));
}

/** `true` when step `seq` falls within the session. */
export function inSession(s: Session, seq: number): boolean {
  return s.startSeq <= seq && seq < s.endSeq;
}

/** The sockets of the session's conversation connected during the session. */
export function socketsOf(m: ChatModel, s: Session): ChatSocket[] {
  return m.sockets.filter((k) => k.node === s.node && k.conversation === s.conversation && inSession(s, k.connectSeq));
}

/** The polls of the session's conversation started during the session. */
export function pollsOf(m: ChatModel, s: Session): ChatRequest[] {
  return m.polls.filter((x) => x.node === s.node && x.conversation === s.conversation && inSession(s, x.requestSeq));
}

/** `true` when the socket failed while its session went on (see "failure" in the file comment). */
export function failedInSession(s: ChatSocket, session: Session): boolean {
  return s.endAt < session.end && s.endSeq < session.endSeq && s.endedBy !== 'restart' && s.endedBy !== 'alive';
}

/**
 * `true` when the app's timers did not run normally at some time within `[from, to]`: it
 * was in the background, or had just come back from a throttled background, whose
 * deferred timers (aligned to `throttleMs`, default 60 s) may still be pending.
 */
export function timersDisturbed(m: ChatModel, node: string, from: number, to: number): boolean {
  return m.faults.some((w) => {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== node) || w.start > to) return false;
    const throttle = w.params.timers === 'throttle' ? (typeof w.params.throttleMs === 'number' ? w.params.throttleMs : 60_000) : 0;
    return w.end + throttle > from;
  });
}

/** `true` when the device was offline at some time within `[from, to]`. */
export function offlineDuring(m: ChatModel, node: string, from: number, to: number): boolean {
  return q.faultsDuring(m.faults, 'client-offline', from, to, node).length > 0;
}

/** The end of the Retry-After wait the node owes at `t` (the latest received at or before `t`), or `undefined`. */
export function quietUntil(m: ChatModel, node: string, t: number): number | undefined {
  let end: number | undefined;
  for (const r of m.retryAfters) {
    if (r.node !== node || r.at > t) continue;
    const e = r.at + r.owed;
    if (e > t && (end === undefined || e > end)) end = e;
  }
  return end;
}

/** `true` when a Retry-After wait of the node overlaps `[from, to]`. */
export function retryAfterDuring(m: ChatModel, node: string, from: number, to: number): boolean {
  return m.retryAfters.some((r) => r.node === node && r.at <= to && r.at + r.owed >= from);
}

/** The node's auth-error window in force at `t`. */
export function authAt(m: ChatModel, node: string, t: number): AuthWindow | undefined {
  return m.auth.find((w) => w.node === node && w.from <= t && t < w.to);
}

/** The node's auth-error window overlapping `[from, to]`. */
export function authDuring(m: ChatModel, node: string, from: number, to: number): AuthWindow | undefined {
  return m.auth.find((w) => w.node === node && w.from <= to && from < w.to);
}

const parsedTimes = new Map<string, number>();

/** `Date.parse`, remembered (the same timestamps recur in every snapshot). */
export function parseTime(ts: string): number {
  let v = parsedTimes.get(ts);
  if (v === undefined) {
    if (parsedTimes.size > 100_000) parsedTimes.clear();
    v = Date.parse(ts);
    parsedTimes.set(ts, v);
  }
  return v;
}

const shownCache = new WeakMap<object, Shown[]>();

/** The messages a snapshot shows (entries without an id are skipped). */
export function shownOf(state: unknown): Shown[] {
  if (!state || typeof state !== 'object') return [];
  const cached = shownCache.get(state);
  if (cached) return cached;
  const out = readShown(state);
  shownCache.set(state, out);
  return out;
}

function readShown(state: object): Shown[] {
  const list = (state as { messages?: unknown }).messages;
  if (!Array.isArray(list)) return [];
  const out: Shown[] = [];
  for (const v of list) {
    if (!v || typeof v !== 'object') continue;
    const r = v as Record<string, unknown>;
    const id = typeof r.id === 'string' ? r.id : typeof r.id === 'number' ? String(r.id) : undefined;
    if (id === undefined) continue;
    out.push({
      id,
      role: typeof r.role === 'string' ? r.role : undefined,
      content: typeof r.content === 'string' ? r.content : undefined,
      timestamp: typeof r.timestamp === 'string' ? r.timestamp : undefined,
      clientMessageId: typeof r.clientMessageId === 'string' ? r.clientMessageId : localCmid(id),
    });
  }
  return out;
}

/** The clientMessageId in an optimistic entry's conventional id `local:<clientMessageId>`. */
export function localCmid(id: string): string | undefined {
  return id.startsWith('local:') ? id.slice('local:'.length) : undefined;
}

/** `true` when the entry is a message the server stored (its id is a server id): the server's log decides, not the client. */
export function isServerMessage(m: ChatModel, s: Shown): boolean {
  return m.storedById.has(s.id);
}

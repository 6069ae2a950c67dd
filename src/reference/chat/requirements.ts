/**
 * The chat requirement catalogue (docs/protocols/chat.md, "Requirements"): CHAT-1 …
 * CHAT-14, each with exactly one checker. Checkers read the finished trace only: the
 * client's snapshots, actions, sockets and HTTP exchanges, the server's `message.stored`
 * logs and the fault windows. They never throw on a trace they do not understand: a
 * step with unexpected fields is skipped, and a requirement the trace gave no
 * opportunity to violate is `not-exercised`.
 *
 * Vocabulary shared by the checkers (each decision is repeated where it matters):
 * - **session**: one conversation open on one node, from the `openConversation` action
 *   to the `closeConversation`, the next `openConversation` or an app restart. After a
 *   restart (and at the start of a run) a client that shows a conversation again before
 *   any user action has restored it: that is a new session, starting at the restart.
 *   A client is not required to restore the conversation across a restart.
 * - **poll**: a `GET /api/v1/consultations/{id}/messages`, except **catch-up loads**:
 *   a GET of the conversation that starts within 1 s after it was opened (the action, or
 *   the restart after which the client restored it) or after one of its sockets opened
 *   (`ws.open`) — the spec's "Catch-up load" rule. Decision: a GET that retries a
 *   catch-up load which has not succeeded yet (no poll in between) is that load too —
 *   otherwise a client whose load failed while its socket is healthy could never fetch
 *   the history without "polling while healthy", and CHAT-10 would fail instead. CHAT-4,
 *   CHAT-6, CHAT-7 and CHAT-13 do not count loads; CHAT-5 counts any GET as the
 *   fallback's first poll.
 * - **failure** of a socket: the client stopped having it connecting or open (it failed,
 *   closed, or the client called `close()`, e.g. on a heartbeat timeout) while its
 *   conversation stayed open (not at the instant the user closed or switched it, and not
 *   by an app restart).
 * - **auth error**: from a `401` response (to a request of the current app, whatever
 *   conversation it was for: the token is what was refused) until the user acts again on that node
 *   (`openConversation`, `send`, or relaunching the app).
 */
import { isTraceEvent as isEvent, perContext, safeTolerance, verdict, type Violation } from '../../conformance/checker-kit.js';
import type { Action, FaultWindow, HttpExchange, Snapshot, SocketLife } from '../../conformance/trace-query.js';
import * as q from '../../conformance/trace-query.js';
import { notExercised, type CheckContext, type Checker, type Finding, type Requirement } from '../../conformance/requirement.js';
import type { TraceEvent } from '../../sim/trace.js';
import { chatTiming, conversationOf } from './wire.js';

/** Heartbeat window `H`: a ping every 15 s, a pong within 5 s. */
export const chatHealthWindow = chatTiming.pingInterval + chatTiming.pongTimeout;

/** A GET that starts within this long after a conversation or a socket opened is a catch-up load (docs/protocols/chat.md). */
const catchUpWindow = 1000;

const { fmtTime, fmtDuration } = q;

// ---------------------------------------------------------------------------------------
// The model of one trace, built once per check context

interface Session {
  node: string;
  conversation: string;
  start: number;
  startSeq: number;
  end: number;
  endSeq: number;
  startedBy: 'open' | 'restored';
  endedBy: 'close' | 'switch' | 'reopen' | 'restart' | 'end';
  /** The action that ended it (close or switch). */
  endAction?: Action;
}

interface ChatSocket extends SocketLife {
  conversation?: string;
}

interface ChatRequest extends HttpExchange {
  conversation?: string;
  kind?: 'messages' | 'ws';
  /** A history or catch-up load (see the file comment), not a poll. */
  load: boolean;
}

interface AuthWindow {
  node: string;
  from: number;
  fromSeq: number;
  to: number;
  toSeq: number;
  cause: ChatRequest;
  endedBy?: Action;
}

interface Stored {
  t: number;
  seq: number;
  id: string;
  conversation?: string;
  role?: string;
  clientMessageId?: string;
  content?: string;
  /** The node whose POST carried it, when known. */
  node?: string;
  via?: string;
}

interface Shown {
  id: string;
  clientMessageId?: string;
  role?: string;
  content?: string;
  timestamp?: string;
  pending: boolean;
}

interface Model {
  events: readonly TraceEvent[];
  T: number;
  healAt: number;
  endAt: number;
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
  /** Message id → conversation (from the server's logs). */
  messageConversation: Map<string, string>;
  /** clientMessageId → conversation (from logs and POSTs). */
  cmidConversation: Map<string, string>;
  /** clientMessageId → server message id. */
  cmidMessage: Map<string, string>;
  /** Times at which the server restarted and lost its state. */
  stateLost: number[];
  actions: Action[];
}

const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
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
  markLoads(gets, sessions, sockets);
  const polls = gets.filter((x) => !x.load);
  const snapshots = new Map<string, Snapshot[]>();
  for (const n of nodes) snapshots.set(n, q.snapshotTimeline(events, n));
  const stored = storedMessages(events, requests);
  const messageConversation = new Map<string, string>();
  const cmidConversation = new Map<string, string>();
  const cmidMessage = new Map<string, string>();
  for (const s of stored) {
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
  const stateLost = events.filter((e) => e.ev === 'server.restart' && e.state === 'lose').map((e) => e.t);
  const auth = authWindows(requests, sessions, actions, events);
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
    messageConversation,
    cmidConversation,
    cmidMessage,
    stateLost,
    actions,
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
    const begin = (conversation: string, from: { t: number; seq: number }, by: Session['startedBy']): void => {
      cur = { node, conversation, start: from.t, startSeq: from.seq, end: Infinity, endSeq: Infinity, startedBy: by, endedBy: 'end' };
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
          begin(args.conversation, e, 'open');
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

function sessionAt(m: Model, node: string, seq: number): Session | undefined {
  return m.sessions.find((s) => s.node === node && s.startSeq <= seq && seq < s.endSeq);
}

function inSession(s: Session, seq: number): boolean {
  return s.startSeq <= seq && seq < s.endSeq;
}

/** Marks catch-up loads among the GETs (see the file comment). */
function markLoads(gets: ChatRequest[], sessions: Session[], sockets: ChatSocket[]): void {
  const points = new Map<string, { t: number; seq: number }[]>();
  const add = (node: string, conversation: string, t: number, seq: number): void => {
    const key = `${node}\n${conversation}`;
    const list = points.get(key);
    if (list) list.push({ t, seq });
    else points.set(key, [{ t, seq }]);
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
    let pi = -1;
    /** Since the latest point: every GET so far was a load, and none succeeded. */
    let failedLoadsOnly = false;
    let sawGet = false;
    /** The earliest 2xx answer to a GET started since the latest point. */
    let firstSuccessSeq = Infinity;
    for (const g of list) {
      while (pi + 1 < ps.length && ps[pi + 1]!.seq < g.requestSeq) {
        pi++;
        failedLoadsOnly = true;
        sawGet = false;
        firstSuccessSeq = Infinity;
      }
      if (pi < 0) continue;
      // Within 1 s after a point: points are in time order, so scan back while in range.
      let recent = false;
      for (let k = pi; k >= 0 && !recent; k--) {
        if (g.requestAt <= ps[k]!.t + catchUpWindow) recent = true;
        else break;
      }
      // A retry of a catch-up load that has not succeeded yet is still that load.
      g.load = recent || (sawGet && failedLoadsOnly && firstSuccessSeq > g.requestSeq);
      sawGet = true;
      if (!g.load) failedLoadsOnly = false;
      if (g.status !== undefined && g.status >= 200 && g.status < 300) firstSuccessSeq = Math.min(firstSuccessSeq, g.responseSeq!);
    }
  }
}

function bodyField(body: string | undefined, key: string): string | undefined {
  if (!body) return undefined;
  try {
    const v = (JSON.parse(body) as Record<string, unknown> | null)?.[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `message.stored` logs, each linked to the POST (and node) that carried it when possible. */
function storedMessages(events: readonly TraceEvent[], requests: ChatRequest[]): Stored[] {
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
    out.push(s);
  }
  return out;
}

/** Auth-error windows (see the file comment). */
function authWindows(requests: ChatRequest[], sessions: Session[], actions: Action[], events: readonly TraceEvent[]): AuthWindow[] {
  const out: AuthWindow[] = [];
  const restartsOf = new Map<string, q.Restart[]>();
  for (const r of q.restarts(events)) restartsOf.set(r.node, [...(restartsOf.get(r.node) ?? []), r]);
  const sorted = requests.filter((x) => x.status === 401 && x.responseSeq !== undefined).sort((a, b) => a.responseSeq! - b.responseSeq!);
  for (const x of sorted) {
    const at = x.responseSeq!;
    if ((restartsOf.get(x.node) ?? []).some((r) => r.seq > x.requestSeq && r.seq < at)) continue; // an earlier app's request
    if (out.some((w) => w.node === x.node && w.fromSeq < at && at < w.toSeq)) continue;
    const next = actions.find(
      (a) => a.node === x.node && a.seq > at && (a.do === 'openConversation' || a.do === 'send' || a.do === 'restart'),
    );
    const restart = (restartsOf.get(x.node) ?? []).find((r) => r.seq > at);
    const endSeq = Math.min(next?.seq ?? Infinity, restart?.seq ?? Infinity);
    const to = next && next.seq === endSeq ? next.t : (restart?.t ?? Infinity);
    out.push({
      node: x.node,
      from: x.responseAt!,
      fromSeq: at,
      to,
      toSeq: endSeq,
      cause: x,
      endedBy: next && next.seq === endSeq ? next : undefined,
    });
  }
  return out;
}

/**
 * `true` when the app's timers did not run normally at some time within `[from, to]`: it
 * was in the background, or had just come back from a throttled background, whose
 * deferred timers (aligned to `throttleMs`, default 60 s) may still be pending.
 */
function timersDisturbed(m: Model, node: string, from: number, to: number): boolean {
  return m.faults.some((w) => {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== node) || w.start > to) return false;
    const throttle = w.params.timers === 'throttle' ? (typeof w.params.throttleMs === 'number' ? w.params.throttleMs : 60_000) : 0;
    return w.end + throttle > from;
  });
}

function authAt(m: Model, node: string, t: number): AuthWindow | undefined {
  return m.auth.find((w) => w.node === node && w.from <= t && t < w.to);
}

function authDuring(m: Model, node: string, from: number, to: number): AuthWindow | undefined {
  return m.auth.find((w) => w.node === node && w.from <= to && from < w.to);
}

const parsedTimes = new Map<string, number>();

/** `Date.parse`, remembered (the same timestamps recur in every snapshot). */
function parseTime(ts: string): number {
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
function shownOf(state: unknown): Shown[] {
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
      clientMessageId: typeof r.clientMessageId === 'string' ? r.clientMessageId : undefined,
      pending: r.pending === true || id.startsWith('local:'),
    });
  }
  return out;
}

function localCmid(id: string): string | undefined {
  return id.startsWith('local:') ? id.slice('local:'.length) : undefined;
}

// ---------------------------------------------------------------------------------------
// Evidence helpers

function req(x: HttpExchange): string {
  return `${x.id} ${x.method} ${x.path}`;
}

function sockEnd(s: SocketLife): string {
  switch (s.endedBy) {
    case 'closing':
      return `closed by the client${s.closingCode !== undefined ? ` (code ${s.closingCode})` : ''} at ${fmtTime(s.endAt)}`;
    case 'fail':
      return `failed to connect at ${fmtTime(s.endAt)}${s.failReason ? ` (${s.failReason})` : ''}`;
    case 'close':
      return `closed${s.closeCode !== undefined ? ` with ${s.closeCode}` : ''} at ${fmtTime(s.endAt)}${s.closeWhy ? ` (${s.closeWhy})` : ''}`;
    case 'restart':
      return `lost in the app restart at ${fmtTime(s.endAt)}`;
    case 'alive':
      return 'never closed';
  }
}

function convOf(s: ChatSocket): string {
  return s.conversation !== undefined ? `conversation ${s.conversation}` : s.path;
}

function list(ids: string[], max = 6): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, … (${ids.length} in all)`;
}

/** Wraps a checker so that an unexpected trace yields `not-exercised` with the reason, never a crash. */
function guarded(check: (m: Model) => Omit<Finding, 'requirement'>): Checker {
  return (ctx) => {
    try {
      return check(model(ctx));
    } catch (e) {
      return notExercised(`this trace could not be judged: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

function socketsOf(m: Model, s: Session): ChatSocket[] {
  return m.sockets.filter((k) => k.node === s.node && k.conversation === s.conversation && inSession(s, k.connectSeq));
}

function pollsOf(m: Model, s: Session): ChatRequest[] {
  return m.polls.filter((x) => x.node === s.node && x.conversation === s.conversation && inSession(s, x.requestSeq));
}

// ---------------------------------------------------------------------------------------
// The checkers

/**
 * CHAT-1: at every `ws.connect` of a node with a conversation open, no other socket of
 * the node is still connecting or open after that instant, and the new socket is for the
 * open conversation; at every conversation switch, no socket of another conversation is
 * still connecting or open after that instant. "Connecting or open" ends when the client
 * calls `close()` (CLOSING), the socket fails or closes, or the app restarts; steps of the
 * same instant are not ordered against each other (closing the old socket just after
 * connecting the new one, in the same step, is fine).
 */
const checkOneSocket = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  let live: ChatSocket[] = []; // connected earlier, not yet ended
  for (const s of [...m.sockets].sort((a, b) => a.connectSeq - b.connectSeq)) {
    live = live.filter((o) => o.endAt > s.connectAt);
    const others = live.filter((o) => o.node === s.node);
    live.push(s);
    const session = sessionAt(m, s.node, s.connectSeq);
    if (!session) continue;
    checked++;
    for (const o of others) {
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.node} opened a second WebSocket: ${s.id} (${convOf(s)}) connected at ${fmtTime(s.connectAt)} while ${o.id} (${convOf(o)}, connected at ${fmtTime(o.connectAt)}${o.openAt !== undefined ? `, open since ${fmtTime(o.openAt)}` : ''}) was still ${o.openAt !== undefined && o.openAt <= s.connectAt ? 'open' : 'connecting'} (${sockEnd(o)})`,
      });
    }
    if (s.conversation !== session.conversation && s.url !== '') {
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.id} connected at ${fmtTime(s.connectAt)} to ${s.url} (${convOf(s)}) while conversation ${session.conversation} was open on ${s.node}`,
      });
    }
  }
  for (const session of m.sessions) {
    if (session.startedBy !== 'open') continue;
    for (const o of m.sockets) {
      if (
        o.node !== session.node ||
        o.conversation === session.conversation ||
        o.connectSeq >= session.startSeq ||
        o.endAt <= session.start
      )
        continue;
      v.push({
        at: session.start,
        seq: session.startSeq,
        text: `${o.id} (${convOf(o)}) was still ${o.openAt !== undefined ? 'open' : 'connecting'} when ${session.node} opened conversation ${session.conversation} at ${fmtTime(session.start)} (${sockEnd(o)})`,
      });
    }
  }
  return verdict(
    v,
    checked > 0,
    `${checked} WebSocket connection${checked === 1 ? '' : 's'} made while a conversation was open; never more than one connecting or open, always for the open conversation`,
    'no WebSocket was connected while a conversation was open',
  );
});

/**
 * CHAT-2: no `client.snapshot` lists two messages with the same `id`, nor an optimistic
 * (pending, or `local:<clientMessageId>`) entry beside its acknowledged message: the one
 * the server stored for that `clientMessageId` (known from `message.stored`), or an
 * acknowledged entry carrying the same `clientMessageId`.
 */
const checkNoDuplicates = guarded((m) => {
  const v: Violation[] = [];
  let shownAny = false;
  for (const [node, timeline] of m.snapshots) {
    for (const snap of timeline) {
      const shown = shownOf(snap.state);
      if (shown.length > 0) shownAny = true;
      const seen = new Map<string, number>();
      for (const s of shown) seen.set(s.id, (seen.get(s.id) ?? 0) + 1);
      const dups = [...seen].filter(([, n]) => n > 1);
      if (dups.length > 0) {
        const [id, n] = dups[0]!;
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} showed message ${id} ${n} times at ${fmtTime(snap.t)} (visible ids: ${list(
            shown.map((s) => s.id),
            10,
          )})`,
        });
        break;
      }
      // The acknowledged copy of an optimistic entry: the message the server stored for its
      // clientMessageId, or an acknowledged entry that carries the same clientMessageId.
      const ackedOf = (p: Shown): string | undefined => {
        const cmid = p.pending ? (localCmid(p.id) ?? p.clientMessageId) : undefined;
        if (cmid === undefined) return undefined;
        const stored = m.cmidMessage.get(cmid);
        if (stored !== undefined && stored !== p.id && seen.has(stored)) return stored;
        return shown.find((x) => !x.pending && x.clientMessageId === cmid)?.id;
      };
      const beside = shown.find((s) => ackedOf(s) !== undefined);
      if (beside) {
        const acked = ackedOf(beside)!;
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} showed the optimistic copy ${beside.id} beside its acknowledged message ${acked} at ${fmtTime(snap.t)}${beside.content !== undefined ? ` ("${beside.content}")` : ''}`,
        });
        break;
      }
    }
  }
  return verdict(
    v,
    shownAny,
    'no snapshot showed a message id twice or an optimistic copy beside its acknowledged message',
    'no client ever showed a message',
  );
});

/**
 * CHAT-3: in every snapshot, the acknowledged messages (not `pending`, id not `local:…`)
 * appear in non-decreasing `timestamp` order. Decision: optimistic (pending) messages
 * are exempt — their timestamp is the device's, not the server's, and showing them at the
 * bottom until acknowledged is common; ties may appear in any order (the requirement
 * names only the timestamp; the tie-break by id is the reference client's choice).
 */
const checkOrder = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, timeline] of m.snapshots) {
    for (const snap of timeline) {
      const acked = shownOf(snap.state).filter((s) => !s.pending && s.timestamp !== undefined && !Number.isNaN(parseTime(s.timestamp)));
      if (acked.length < 2) continue;
      judged++;
      const bad = acked.findIndex((s, i) => i > 0 && parseTime(acked[i - 1]!.timestamp!) > parseTime(s.timestamp!));
      if (bad > 0) {
        const a = acked[bad - 1]!;
        const b = acked[bad]!;
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} showed ${a.id} (${a.timestamp}) before ${b.id} (${b.timestamp}) at ${fmtTime(snap.t)}: the list is not ordered by timestamp`,
        });
        break;
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} snapshot${judged === 1 ? '' : 's'} with two or more messages, all ordered by timestamp`,
    'no snapshot showed two acknowledged messages',
  );
});

/**
 * CHAT-4 and CHAT-7: a poll of the session's conversation starts at `t` while the socket
 * is healthy: opened at or before `t` (earlier step), the client has not stopped using it
 * by `t` (a poll at the very instant it abandons the socket is fine), and
 * `t − max(open, last frame received) < H`. CHAT-4 judges the first socket connected in
 * each session; CHAT-7 every later one (a recovery, also after a refused first socket).
 */
function pollsWhileHealthy(m: Model, which: 'first' | 'later'): { v: Violation[]; windows: number; sockets: string[] } {
  const v: Violation[] = [];
  let windows = 0;
  const names: string[] = [];
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const targets = which === 'first' ? socks.slice(0, 1) : socks.slice(1);
    const polls = pollsOf(m, session);
    for (const s of targets) {
      if (s.openAt === undefined || s.openSeq === undefined || !inSession(session, s.openSeq)) continue;
      windows++;
      names.push(s.id);
      for (const p of polls) {
        if (p.requestSeq <= s.openSeq || p.requestAt >= s.endAt || p.requestAt >= session.end) continue;
        const last = q.lastFrameBefore(s, p.requestAt, p.requestSeq);
        const ref = Math.max(s.openAt, last?.t ?? -Infinity);
        if (p.requestAt - ref >= chatHealthWindow) continue;
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `poll ${req(p)} at ${fmtTime(p.requestAt)} while ${s.id} was healthy (open since ${fmtTime(s.openAt)}, ${last ? `last frame ${fmtTime(last.t)}` : 'no frame yet'}; H = ${fmtDuration(chatHealthWindow)})`,
        });
      }
    }
  }
  return { v, windows, sockets: names };
}

const checkNoPollWhileHealthy = guarded((m) => {
  const { v, windows, sockets } = pollsWhileHealthy(m, 'first');
  return verdict(
    v,
    windows > 0,
    `no poll started while the first socket of a conversation was healthy (${list(sockets)})`,
    'the first socket of a conversation never opened, so it was never healthy',
  );
});

const checkStopsPollingOnRecovery = guarded((m) => {
  const { v, windows, sockets } = pollsWhileHealthy(m, 'later');
  return verdict(
    v,
    windows > 0,
    `no poll started while a recovered socket was healthy (${list(sockets)})`,
    'no socket opened again after a failure (no recovery)',
  );
});

/**
 * CHAT-5: for the first failure of a socket of the session's conversation since the
 * session began or a socket last opened (later failures are reconnect attempts, made
 * while polling already runs), some GET of that conversation starts within
 * `[failure, failure + 3 s + T]`, unless a socket of the conversation opens first.
 * Not judged when the session or the run ends before the deadline, the node is in an
 * auth error at the failure, or the app was in the background in that window.
 */
const checkFallbackStarts = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const limit = chatTiming.basePollInterval + m.T;
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const gets = m.gets.filter((x) => x.node === session.node && x.conversation === session.conversation);
    let armed = true;
    for (const s of socks) {
      if (s.openAt !== undefined) armed = true;
      const failed = s.endAt < session.end && s.endSeq < session.endSeq && s.endedBy !== 'restart' && s.endedBy !== 'alive';
      if (!failed) continue;
      if (!armed) continue;
      armed = false;
      const f = s.endAt;
      const deadline = f + limit;
      if (authAt(m, s.node, f)) continue;
      const poll = gets.find((x) => x.requestAt >= f && x.requestSeq > s.connectSeq);
      const opened = socks.find((o) => o.openAt !== undefined && o.openSeq! > s.endSeq);
      const pollIn = poll && poll.requestAt <= deadline ? poll : undefined;
      const openIn = opened && opened.openAt! <= deadline && (!pollIn || opened.openSeq! < pollIn.requestSeq) ? opened : undefined;
      if (pollIn || openIn) {
        judged++;
        continue;
      }
      if (session.end <= deadline || m.endAt < deadline) continue;
      if (q.faultsDuring(m.faults, 'app-background', f, deadline, s.node).length > 0) continue;
      judged++;
      v.push({
        at: f,
        seq: s.endSeq,
        text: `${s.id} (${convOf(s)}) ${sockEnd(s)} and no poll started within 3 s + T (${fmtDuration(limit)}, by ${fmtTime(deadline)}); ${poll ? `the first poll was ${req(poll)} at ${fmtTime(poll.requestAt)}` : 'no poll followed at all'}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `after each of ${judged} socket failure${judged === 1 ? '' : 's'} polling started (or a socket opened) within 3 s + T (${fmtDuration(limit)})`,
    'no socket failed while its conversation stayed open',
  );
});

/**
 * CHAT-6: within each session, no poll of the conversation starts while an earlier poll
 * of it is still in flight (no response, failure or restart yet), and consecutive polls
 * with no socket `open` of the conversation between them start at least `2 s − T`
 * apart. Decision: the spacing restarts after a socket opens (polling stops there and a
 * later failure starts a new loop "at once"), and loads are not polls.
 */
const checkOnePollingLoop = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const minGap = chatTiming.adaptive.fast - m.T;
  for (const session of m.sessions) {
    const polls = pollsOf(m, session);
    if (polls.length < 2) continue;
    judged++;
    const opens = socketsOf(m, session).filter((s) => s.openSeq !== undefined);
    let longest = polls[0]!; // the earlier poll that ended last
    for (let i = 1; i < polls.length; i++) {
      const p = polls[i]!;
      const inFlight = longest.endSeq > p.requestSeq ? longest : undefined;
      if (p.endSeq > longest.endSeq) longest = p;
      if (inFlight) {
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `poll ${req(p)} started at ${fmtTime(p.requestAt)} while poll ${inFlight.id} (started ${fmtTime(inFlight.requestAt)}) was still in flight (${q.describeOutcome(inFlight)}): two polling loops`,
        });
        continue;
      }
      const prev = polls[i - 1]!;
      const reopened = opens.some((s) => s.openSeq! > prev.requestSeq && s.openSeq! < p.requestSeq);
      if (!reopened && p.requestAt - prev.requestAt < minGap) {
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `poll ${req(p)} at ${fmtTime(p.requestAt)} started only ${fmtDuration(p.requestAt - prev.requestAt)} after poll ${prev.id} at ${fmtTime(prev.requestAt)} (at least 2 s − T = ${fmtDuration(minGap)} expected): two polling loops`,
        });
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `polls never overlapped and were at least 2 s − T (${fmtDuration(minGap)}) apart in ${judged} session${judged === 1 ? '' : 's'} with polling`,
    'no conversation was polled twice',
  );
});

/**
 * CHAT-8: within each session, after the k-th consecutive failure of the conversation's
 * sockets (k = 1…5; the count resets when a socket opens and at a new session), the next
 * `ws.connect` of that conversation comes within
 * `[closing + 0.9·b_k − T, close + 1.1·b_k + T]` with b = 2, 4, 8, 16, 32 s ("closing" is
 * when the client stopped using the socket, "close" its `close` event: a client may time
 * its backoff from either); after the 6th consecutive failure (5 reconnects failed) no
 * further connect comes. A reconnect is free of these bounds after the device came
 * online, the app returned to the foreground, or the user acted after an auth error
 * (at or after the failure). Such a reset may or may not restart the count — decision: a
 * client whose reconnect was already under way when it came back (the reference) keeps
 * counting, and both counts are accepted from then on. A late or missing reconnect is
 * excused while the device was offline, the app in the background, or the node in an auth
 * error, and not judged when the session or run ended first. Decision: the initial
 * connect is not one of the 5 attempts.
 */
const checkBackoff = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const B = chatTiming.backoff;
  const resetsOf = (node: string): number[] => [
    ...m.faults
      .filter(
        (w) =>
          (w.kind === 'client-offline' || w.kind === 'app-background') &&
          (w.node === undefined || w.node === node) &&
          Number.isFinite(w.end),
      )
      .map((w) => w.end),
    ...m.auth.filter((w) => w.node === node && Number.isFinite(w.to)).map((w) => w.to),
  ];
  const excused = (node: string, from: number, to: number): boolean =>
    q.faultsDuring(m.faults, 'client-offline', from, to, node).length > 0 ||
    q.faultsDuring(m.faults, 'app-background', from, to, node).length > 0 ||
    authDuring(m, node, from, to) !== undefined;
  interface Window {
    k: number;
    b: number;
    lo: number;
    hi: number;
  }
  const windowsOf = (ks: Set<number>, last: { from: number; to: number }): Window[] =>
    [...ks]
      .filter((k) => k >= 1 && k <= B.length)
      .sort((a, b) => a - b)
      .map((k) => {
        const b = B[k - 1]!;
        return { k, b, lo: last.from + 0.9 * b - m.T, hi: last.to + 1.1 * b + m.T };
      });
  const expected = (ws: Window[], bound: 'lo' | 'hi'): string =>
    ws
      .map((w) => `${fmtDuration(w.b)} (±10 % + T: ${bound === 'lo' ? `not before ${fmtTime(w.lo)}` : `by ${fmtTime(w.hi)}`})`)
      .join(' or ');
  const inRow = (ks: Set<number>): string => `failure ${[...ks].sort((a, b) => a - b).join(' or ')} in a row`;
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const resets = resetsOf(session.node);
    /** The possible counts of consecutive failures (more than one after an ambiguous reset). */
    let ks = new Set([0]);
    let last: { s: ChatSocket; from: number; to: number } | undefined;
    for (const s of socks) {
      const resetBefore = last !== undefined && resets.some((r) => r >= last!.from && r <= s.connectAt);
      if (last && !resetBefore) {
        judged++;
        const ws = windowsOf(ks, last);
        const c = s.connectAt;
        const wait = `${fmtDuration(c - last.from)} after ${last.s.id} ${sockEnd(last.s)} (${inRow(ks)})`;
        const fits = ws.some((w) => c >= w.lo && (c <= w.hi || excused(s.node, last!.from, c)));
        if (!fits) {
          if (ws.length === 0) {
            v.push({
              at: c,
              seq: s.connectSeq,
              text: `${s.id} connected at ${fmtTime(c)}: a reconnect attempt after ${B.length} failed reconnects (${last.s.id} was ${inRow(ks)}); at most ${B.length} attempts`,
            });
          } else if (c < ws[0]!.lo) {
            v.push({ at: c, seq: s.connectSeq, text: `${s.id} connected at ${fmtTime(c)}, ${wait}; the backoff is ${expected(ws, 'lo')}` });
          } else {
            v.push({ at: c, seq: s.connectSeq, text: `${s.id} connected at ${fmtTime(c)}, ${wait}; the backoff is ${expected(ws, 'hi')}` });
          }
        }
      }
      if (resetBefore) ks.add(0);
      if (s.openAt !== undefined) ks = new Set([0]);
      const failed = s.endAt < session.end && s.endSeq < session.endSeq && s.endedBy !== 'restart' && s.endedBy !== 'alive';
      if (failed) {
        ks = new Set([...ks].map((k) => Math.min(k + 1, B.length + 1)));
        last = { s, from: s.endAt, to: s.closeAt ?? s.failAt ?? s.endAt };
      } else last = undefined;
    }
    if (last) {
      const ws = windowsOf(ks, last);
      const hi = Math.max(...ws.map((w) => w.hi));
      const reset = resets.some((r) => r >= last!.from && r <= hi);
      if (ws.length > 0 && !reset && Math.min(session.end, m.endAt) > hi && !excused(session.node, last.from, hi)) {
        judged++;
        v.push({
          at: last.from,
          seq: last.s.endSeq,
          text: `${last.s.id} (${convOf(last.s)}) ${sockEnd(last.s)} (${inRow(ks)}) and no reconnect followed by ${fmtTime(hi)} (backoff ${ws.map((w) => fmtDuration(w.b)).join(' or ')} ±10 % + T)`,
        });
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} reconnect${judged === 1 ? '' : 's'} after failures followed the 2/4/8/16/32 s backoff (±10 % + T = ${fmtDuration(m.T)}) and stopped after 5 attempts`,
    'no socket failed while its conversation stayed open, so no reconnect was due',
  );
});

/**
 * CHAT-9: a socket that was open when it went silent — `ws.half-open` on it, a
 * `partition` or a stalling `client-offline` on its node, or a `hold` of one of its
 * frames — must be abandoned (the client calls `close()`, it closes, or a poll of its
 * conversation starts) by `ref + H + T`, where `ref` is the silence's start or the last
 * frame that still arrived after it, whichever is later. When the impairment is lifted
 * before that deadline (frames flow again), nothing was due. Not judged while the app's
 * timers did not run normally (in the background, or within `throttleMs` after a
 * throttled background: the kernel keeps timers deferred to the aligned time). Decision: sockets still connecting are
 * left to the connect timeout; frames that keep arriving (a half-open towards the server
 * only) postpone the deadline, as they would a client's heartbeat.
 */
const checkHalfOpen = guarded((m) => {
  const v: Violation[] = [];
  let exercised = 0;
  const episodes: { s: ChatSocket; start: number; seq: number; end: number; what: string }[] = [];
  const holds = m.events.filter((e) => e.ev === 'net.hold');
  for (const s of m.sockets) {
    if (s.openAt === undefined) continue;
    const open = (t: number): boolean => s.openAt! <= t && t < s.endAt;
    if (s.halfOpenAt !== undefined && open(s.halfOpenAt)) {
      episodes.push({
        s,
        start: s.halfOpenAt,
        seq: s.halfOpenSeq!,
        end: Infinity,
        what: `went half-open (${s.halfOpenDirection ?? 'both'})`,
      });
    }
    for (const w of m.faults) {
      const applies = w.node === undefined || w.node === s.node;
      if (!applies || !open(w.start)) continue;
      if (w.kind === 'partition')
        episodes.push({ s, start: w.start, seq: w.startSeq, end: w.end, what: `was cut off by a partition (fault entry ${w.entry})` });
      if (w.kind === 'client-offline' && w.params.sockets === 'stall') {
        episodes.push({
          s,
          start: w.start,
          seq: w.startSeq,
          end: w.end,
          what: `stalled when the device went offline (fault entry ${w.entry})`,
        });
      }
    }
    for (const e of holds) {
      if (e.id !== s.id || !open(e.t)) continue;
      const w = m.faults.find((x) => x.kind === 'hold' && x.params.name === e.name);
      episodes.push({ s, start: e.t, seq: e.seq, end: w?.end ?? Infinity, what: `had a frame held (hold "${q.str(e, 'name') ?? '?'}")` });
    }
  }
  episodes.sort((a, b) => a.seq - b.seq);
  for (const ep of episodes) {
    const { s } = ep;
    let ref = ep.start;
    let due: number | undefined;
    for (;;) {
      const deadline = ref + chatHealthWindow + m.T;
      if (ep.end <= deadline) break;
      const next = s.received.find((f) => f.seq > ep.seq && f.t > ref && f.t <= deadline);
      if (!next) {
        due = deadline;
        break;
      }
      ref = next.t;
    }
    const poll = m.gets.find((x) => x.node === s.node && x.conversation === s.conversation && x.requestAt >= ep.start);
    const abandonedAt = Math.min(s.endAt, poll?.requestAt ?? Infinity);
    if (due === undefined) {
      if (abandonedAt <= Math.min(ep.end, m.endAt)) exercised++;
      continue;
    }
    if (m.endAt < due && abandonedAt > m.endAt) continue;
    if (timersDisturbed(m, s.node, ep.start, due)) continue;
    exercised++;
    if (abandonedAt <= due) continue;
    const last = q.lastFrameBefore(s, due);
    v.push({
      at: ep.start,
      seq: ep.seq,
      text: `${s.id} (${convOf(s)}, open since ${fmtTime(s.openAt!)}) ${ep.what} at ${fmtTime(ep.start)}; ${last ? `its last frame arrived at ${fmtTime(last.t)}` : 'no frame had arrived'}, and it was not abandoned within H + T (${fmtDuration(chatHealthWindow + m.T)}, by ${fmtTime(due)}): ${s.endAt < Infinity ? sockEnd(s) : 'never closed'}${poll ? `, first poll ${poll.id} at ${fmtTime(poll.requestAt)}` : ', no poll started'}`,
    });
  }
  return verdict(
    v,
    exercised > 0,
    `every silent socket (${exercised}) was abandoned within H + T (${fmtDuration(chatHealthWindow + m.T)})`,
    'no socket went silent (half-open, partition, stall or held frame) for long enough while it was open',
  );
});

/**
 * CHAT-10: for each node's conversation open at the end of the run, every message the
 * server stored for it (and did not lose in a state-losing server restart) is in the
 * snapshot in force at `max(heal, stored, session start) + bound`, where bound =
 * max(65 s, 32 s + 10 s + H + T) — decision: the spec's 65 s assumes T ≤ 3 s, so a slower
 * link widens it. When the run ends before that moment, a message already visible at the
 * end passes and a missing one is not judged; a node in an auth error then is excused.
 */
const checkDelivery = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  let unjudged = 0;
  for (const node of m.nodes) {
    const final = m.sessions.find((s) => s.node === node && s.end === Infinity);
    if (!final) continue;
    const timeline = m.snapshots.get(node) ?? [];
    for (const msg of m.stored) {
      if (msg.conversation !== final.conversation) continue;
      if (m.stateLost.some((t) => t > msg.t)) continue;
      const due = Math.max(m.healAt, msg.t, final.start) + m.bound;
      const at = Math.min(due, m.endAt);
      if (authAt(m, node, at)) continue;
      const visible = shownOf(q.snapshotAt(timeline, at)?.state).some((s) => s.id === msg.id && !s.pending);
      if (visible) {
        judged++;
        continue;
      }
      if (due > m.endAt) {
        unjudged++;
        continue;
      }
      judged++;
      const later = timeline.find((s) => s.t > due && shownOf(s.state).some((x) => x.id === msg.id));
      v.push({
        at: msg.t,
        seq: msg.seq,
        text: `message ${msg.id} (${msg.role ?? 'unknown role'}, stored at ${fmtTime(msg.t)} for conversation ${final.conversation}) was not visible on ${node} at ${fmtTime(due)} (${msg.t > m.healAt ? 'stored' : 'heal'} + ${fmtDuration(m.bound)})${later ? `; it appeared at ${fmtTime(later.t)}` : ''}`,
      });
    }
  }
  if (v.length === 0 && judged === 0 && unjudged > 0) {
    return notExercised(
      `${unjudged} stored message${unjudged === 1 ? ' was' : 's were'} not visible when the run ended, before the delivery bound (heal + ${fmtDuration(m.bound)} = ${fmtTime(m.healAt + m.bound)}; the run ended at ${fmtTime(m.endAt)})`,
    );
  }
  return verdict(
    v,
    judged > 0,
    `all ${judged} stored message${judged === 1 ? '' : 's'} of the open conversation${judged === 1 ? ' was' : 's were'} visible within ${fmtDuration(m.bound)} after the heal${unjudged > 0 ? ` (${unjudged} not yet judgeable when the run ended)` : ''}`,
    'no message was stored for a conversation open at the end of the run',
  );
});

/**
 * CHAT-11: after the user closes a conversation or switches to another (until it is
 * opened again on that node): no GET of it and no `ws.connect` for it starts (steps
 * after the action; outbox POSTs are allowed), every socket for it still connecting or
 * open at that instant was closed by then, and no snapshot in force after that instant
 * shows one of its messages (known from `message.stored` ids and from
 * `local:<clientMessageId>` of its POSTs).
 */
const checkConversationClosed = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    if (s.endedBy !== 'close' && s.endedBy !== 'switch') continue;
    judged++;
    const X = s.conversation;
    const how =
      s.endedBy === 'close'
        ? `closed at ${fmtTime(s.end)}`
        : `switched away from at ${fmtTime(s.end)} (opened ${String(s.endAction?.args.conversation)})`;
    const next = m.sessions.find((o) => o.node === s.node && o.conversation === X && o.startSeq >= s.endSeq);
    const untilSeq = next?.startSeq ?? Infinity;
    for (const x of m.gets) {
      if (x.node !== s.node || x.conversation !== X || x.requestSeq <= s.endSeq || x.requestSeq >= untilSeq) continue;
      v.push({
        at: x.requestAt,
        seq: x.requestSeq,
        text: `${req(x)} at ${fmtTime(x.requestAt)}: a poll of conversation ${X} after it was ${how}`,
      });
    }
    for (const k of m.sockets) {
      if (k.node !== s.node || k.conversation !== X) continue;
      if (k.connectSeq > s.endSeq && k.connectSeq < untilSeq) {
        v.push({
          at: k.connectAt,
          seq: k.connectSeq,
          text: `${k.id} connected at ${fmtTime(k.connectAt)} to ${k.url} after conversation ${X} was ${how}`,
        });
      } else if (k.connectSeq < s.endSeq && k.endAt > s.end) {
        v.push({
          at: s.end,
          seq: s.endSeq,
          text: `${k.id} for conversation ${X} was still ${k.openAt !== undefined && k.openAt <= s.end ? 'open' : 'connecting'} after it was ${how}: ${sockEnd(k)}`,
        });
      }
    }
    const timeline = m.snapshots.get(s.node) ?? [];
    const current = q.snapshotAt(timeline, s.end);
    const inForce = current && current.seq < untilSeq ? current : undefined;
    const after = timeline.filter((x) => x.t > s.end && x.seq < untilSeq);
    for (const snap of inForce ? [inForce, ...after] : after) {
      const leaked = shownOf(snap.state).filter((x) => {
        const cmid = localCmid(x.id);
        return (cmid !== undefined ? m.cmidConversation.get(cmid) : m.messageConversation.get(x.id)) === X;
      });
      if (leaked.length > 0) {
        const t = Math.max(snap.t, s.end);
        v.push({
          at: t,
          seq: Math.max(snap.seq, s.endSeq),
          text: `${s.node} still showed ${leaked.length} message${leaked.length === 1 ? '' : 's'} of conversation ${X} (${list(leaked.map((x) => x.id))}) at ${fmtTime(t)} after it was ${how}`,
        });
        break;
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `after ${judged} close${judged === 1 ? '' : 's'}/switch${judged === 1 ? '' : 'es'}, no request, socket or message of the old conversation`,
    'no conversation was closed or switched away from',
  );
});

/**
 * CHAT-12: group the `send` actions of a node by (conversation open at the send, text).
 * The user messages the server stored for that conversation with that content, carried by
 * that node's POSTs, count once per distinct `clientMessageId` (the same id stored again
 * only after a state-losing server restart is the server's doing): more than the number
 * of sends fails at once. When the conversation is open on the node at
 * `max(heal, last send) + bound` (see CHAT-10) and the node is not in an auth error:
 * fewer stores than sends fails, and the snapshot then must show the group exactly as
 * many times as it was sent (entries with its stored ids, its `local:` ids, or pending
 * with its text). Sends with no conversation open are not judged; a conversation closed
 * at the end is judged only for "not more than once" (its outbox must wait, CHAT-11).
 */
const checkSentOnce = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  let unjudged = 0;
  const groups = new Map<string, { node: string; conversation: string; text: string; sends: Action[] }>();
  for (const a of m.actions) {
    if (a.do !== 'send' || typeof a.args.text !== 'string') continue;
    const session = sessionAt(m, a.node, a.seq);
    if (!session) continue;
    const key = JSON.stringify([a.node, session.conversation, a.args.text]);
    const g = groups.get(key) ?? { node: a.node, conversation: session.conversation, text: a.args.text, sends: [] };
    g.sends.push(a);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    const N = g.sends.length;
    const sent = `"${g.text}" (sent ${N === 1 ? 'once' : `${N} times`} by ${g.node} in conversation ${g.conversation}, at ${g.sends.map((a) => fmtTime(a.t)).join(', ')})`;
    const stores = m.stored.filter(
      (s) =>
        s.conversation === g.conversation &&
        s.content === g.text &&
        s.role !== 'assistant' &&
        (s.node === g.node || (s.node === undefined && m.nodes.length === 1)) &&
        s.t >= g.sends[0]!.t,
    );
    const keys = [...new Set(stores.map((s) => s.clientMessageId ?? s.id))];
    if (keys.length > N) {
      const firstOf = keys.map((k) => stores.find((s) => (s.clientMessageId ?? s.id) === k)!);
      const extra = firstOf[N]!;
      judged++;
      v.push({
        at: extra.t,
        seq: extra.seq,
        text: `${sent} was stored ${keys.length} times: ${firstOf.map((s) => `${s.id} (clientMessageId ${s.clientMessageId ?? 'none'}${s.via ? `, ${s.via}` : ''} at ${fmtTime(s.t)})`).join(', ')}`,
      });
      continue;
    }
    const last = g.sends[N - 1]!;
    const due = Math.max(m.healAt, last.t) + m.bound;
    const at = Math.min(due, m.endAt);
    const session = m.sessions.find((s) => s.node === g.node && s.end === Infinity);
    if (!session || session.conversation !== g.conversation || authAt(m, g.node, at)) {
      if (keys.length > 0) judged++;
      continue;
    }
    const ids = new Set(stores.map((s) => s.id));
    const cmids = new Set(stores.map((s) => s.clientMessageId).filter((c): c is string => c !== undefined));
    for (const x of m.requests) {
      if (x.node !== g.node || x.method !== 'POST' || x.conversation !== g.conversation) continue;
      for (const sv of x.serves) {
        const cmid = bodyField(sv.body, 'clientMessageId');
        if (cmid !== undefined && bodyField(sv.body, 'content') === g.text) cmids.add(cmid);
      }
    }
    const snap = q.snapshotAt(m.snapshots.get(g.node) ?? [], at);
    const shown = shownOf(snap?.state).filter((x) => {
      const cmid = localCmid(x.id);
      return ids.has(x.id) || (cmid !== undefined && cmids.has(cmid)) || (x.pending && x.content === g.text);
    });
    const ok = keys.length === N && shown.length === N;
    if (ok) {
      judged++;
      continue;
    }
    if (due > m.endAt) {
      unjudged++;
      continue;
    }
    judged++;
    if (keys.length < N) {
      v.push({
        at: last.t,
        seq: last.seq,
        text: `${sent} was stored ${keys.length === 0 ? 'not at all' : `only ${keys.length} time${keys.length === 1 ? '' : 's'}`} by ${fmtTime(due)} (${last.t > m.healAt ? 'send' : 'heal'} + ${fmtDuration(m.bound)})`,
      });
    } else {
      v.push({
        at: snap?.t ?? due,
        seq: snap?.seq,
        text: `${sent} was shown ${shown.length === 0 ? 'not at all' : `${shown.length} times`} on ${g.node} at ${fmtTime(due)}${shown.length > 0 ? ` (${list(shown.map((x) => x.id))})` : ''}; expected ${N === 1 ? 'once' : `${N} times`}`,
      });
    }
  }
  if (v.length === 0 && judged === 0 && unjudged > 0) {
    return notExercised(
      `${unjudged} sent message${unjudged === 1 ? ' was' : 's were'} not yet stored and shown when the run ended, before the delivery bound (${fmtDuration(m.bound)} after the heal)`,
    );
  }
  return verdict(
    v,
    judged > 0,
    `${judged} sent message${judged === 1 ? '' : 's'} stored once and shown once after the heal${unjudged > 0 ? ` (${unjudged} not yet judgeable when the run ended)` : ''}`,
    'the user sent no message while a conversation was open',
  );
});

/**
 * CHAT-13 (SHOULD): for consecutive polls p, q of one session with no socket `open`
 * between them, the wait matches the adaptive interval E = 2 s if the node's user sent
 * within 30 s, 5 s within 5 min, else 10 s — within ±T, measured from p's start or from
 * p's end (a loop that awaits each poll), with E taken at p's start or end (±T around
 * the class boundaries; last send counted with or without sends before an app restart).
 * A send between p and q allows any shorter wait (the client may speed up at once).
 * Only sends made while a conversation was open count (with none open there is nothing
 * to send to).
 * Intervals that overlap the app's background time or an auth error are not judged.
 */
const checkAdaptive = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const A = chatTiming.adaptive;
  const classAt = (since: number | undefined): number =>
    since === undefined ? A.slow : since <= A.fastWindow ? A.fast : since <= A.mediumWindow ? A.medium : A.slow;
  for (const session of m.sessions) {
    const polls = pollsOf(m, session);
    const opens = socketsOf(m, session).filter((s) => s.openSeq !== undefined);
    // Only sends with a conversation open count: a client ignores a send with nothing open.
    const sends = m.actions.filter((a) => a.node === session.node && a.do === 'send' && sessionAt(m, a.node, a.seq)).map((a) => a.t);
    const restartTimes = q.restarts(m.events, session.node).map((r) => r.t);
    const expected = (d: number): Set<number> => {
      const out = new Set<number>();
      const lastRestart = Math.max(-Infinity, ...restartTimes.filter((t) => t <= d));
      for (const x of [d - m.T, d, d + m.T]) {
        const lastSend = Math.max(-Infinity, ...sends.filter((t) => t <= x));
        out.add(classAt(Number.isFinite(lastSend) ? x - lastSend : undefined));
        const sinceRestart = lastSend >= lastRestart ? lastSend : -Infinity;
        out.add(classAt(Number.isFinite(sinceRestart) ? x - sinceRestart : undefined));
      }
      return out;
    };
    for (let i = 1; i < polls.length; i++) {
      const p = polls[i - 1]!;
      const n = polls[i]!;
      if (opens.some((s) => s.openSeq! > p.requestSeq && s.openSeq! < n.requestSeq)) continue;
      if (q.faultsDuring(m.faults, 'app-background', p.requestAt, n.requestAt, session.node).length > 0) continue;
      if (authDuring(m, session.node, p.requestAt, n.requestAt)) continue;
      judged++;
      const gap = n.requestAt - p.requestAt;
      const fromEnd = Number.isFinite(p.endAt) && p.endAt <= n.requestAt ? n.requestAt - p.endAt : undefined;
      const Es = new Set([...expected(p.requestAt), ...(Number.isFinite(p.endAt) ? expected(p.endAt) : [])]);
      const fits = [...Es].some((E) => Math.abs(gap - E) <= m.T || (fromEnd !== undefined && Math.abs(fromEnd - E) <= m.T));
      const sentBetween = sends.some((t) => t > p.requestAt && t <= n.requestAt);
      if (fits || (sentBetween && gap <= Math.max(...Es) + m.T)) continue;
      const lastSend = Math.max(-Infinity, ...sends.filter((t) => t <= p.requestAt));
      const want = [...Es]
        .sort((a, b) => a - b)
        .map((E) => fmtDuration(E))
        .join(' or ');
      v.push({
        at: n.requestAt,
        seq: n.requestSeq,
        text: `polls ${p.id} at ${fmtTime(p.requestAt)} and ${n.id} at ${fmtTime(n.requestAt)} were ${fmtDuration(gap)} apart${fromEnd !== undefined ? ` (${fmtDuration(fromEnd)} after the first answered)` : ''}; ${Number.isFinite(lastSend) ? `the user last sent at ${fmtTime(lastSend)} (${fmtDuration(p.requestAt - lastSend)} before)` : 'the user had not sent'}, so the interval should be ${want} (±T = ${fmtDuration(m.T)})`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} polling interval${judged === 1 ? '' : 's'} matched the adaptive 2/5/10 s schedule (±T = ${fmtDuration(m.T)})`,
    'no two consecutive polls to compare',
  );
});

/**
 * CHAT-14: after a `401` response (see "auth error" in the file comment) no HTTP request
 * and no `ws.connect` of that node starts (steps after the response) until the user opens
 * a conversation, sends, or relaunches the app. Decision: a refused upgrade is not a
 * trigger even when the trace records status 401, because a browser cannot see it.
 */
const checkAuth = guarded((m) => {
  const v: Violation[] = [];
  for (const w of m.auth) {
    const since = `after ${w.cause.id} ${w.cause.method} ${w.cause.path} got 401 at ${fmtTime(w.from)}, with no user action since`;
    for (const x of m.requests) {
      if (x.node === w.node && x.requestSeq > w.fromSeq && x.requestSeq < w.toSeq) {
        v.push({ at: x.requestAt, seq: x.requestSeq, text: `${req(x)} at ${fmtTime(x.requestAt)} ${since}` });
      }
    }
    for (const s of m.sockets) {
      if (s.node === w.node && s.connectSeq > w.fromSeq && s.connectSeq < w.toSeq) {
        v.push({ at: s.connectAt, seq: s.connectSeq, text: `${s.id} connected to ${s.url} at ${fmtTime(s.connectAt)} ${since}` });
      }
    }
  }
  return verdict(
    v,
    m.auth.length > 0,
    `after ${m.auth.length} 401 response${m.auth.length === 1 ? '' : 's'} the client made no request and opened no socket until the user acted`,
    'no request was answered with 401',
  );
});

// ---------------------------------------------------------------------------------------
// The catalogue

const fallbackDoc = 'chat-websocket-polling-fallback.md';
const syncDoc = 'chat-backend-sync-optimization.md';

/** CHAT-1 … CHAT-14, as in docs/protocols/chat.md. */
export const chatRequirements: Requirement[] = [
  {
    id: 'CHAT-1',
    level: 'MUST',
    kind: 'safety',
    text: 'While a conversation is open the client has at most one WebSocket connecting or open, and it is for that conversation.',
    source: `${fallbackDoc} § Test Case 5 ("No duplicate connections"), § Known Limitations 4`,
    check: checkOneSocket,
  },
  {
    id: 'CHAT-2',
    level: 'MUST',
    kind: 'safety',
    text: 'The visible message list never shows two messages with the same id (nor an optimistic copy beside its acknowledged message).',
    source: `${fallbackDoc} § 4 Message Deduplication`,
    check: checkNoDuplicates,
  },
  {
    id: 'CHAT-3',
    level: 'MUST',
    kind: 'safety',
    text: 'The visible message list is ordered by timestamp.',
    source: `${fallbackDoc} § 4 ("Sort by timestamp")`,
    check: checkOrder,
  },
  {
    id: 'CHAT-4',
    level: 'MUST',
    kind: 'safety',
    text: "No poll starts while the conversation's first socket is healthy (open, and a frame arrived within H).",
    source: `${syncDoc} § Problem Statement, Key Principle`,
    check: checkNoPollWhileHealthy,
  },
  {
    id: 'CHAT-5',
    level: 'MUST',
    kind: 'liveness',
    text: 'After the socket fails while its conversation stays open, the first poll starts within one base interval (3 s + T), unless a socket opens first.',
    source: `${fallbackDoc} § 3 Polling Fallback`,
    check: checkFallbackStarts,
  },
  {
    id: 'CHAT-6',
    level: 'MUST',
    kind: 'safety',
    text: 'One polling loop: polls of a conversation never overlap and consecutive polls start at least 2 s − T apart.',
    source: `${syncDoc} § 4 Prevent Duplicate Polling`,
    check: checkOnePollingLoop,
  },
  {
    id: 'CHAT-7',
    level: 'MUST',
    kind: 'safety',
    text: 'After a socket opens again (recovery), no poll starts while that socket is healthy.',
    source: `${syncDoc} § Scenario 3 ("Stop polling immediately")`,
    check: checkStopsPollingOnRecovery,
  },
  {
    id: 'CHAT-8',
    level: 'MUST',
    kind: 'safety',
    text: 'Reconnect attempts after consecutive failures wait 2, 4, 8, 16, 32 s (±10 % + T), and stop after 5.',
    source: `${fallbackDoc} § Retry Strategy`,
    check: checkBackoff,
  },
  {
    id: 'CHAT-9',
    level: 'MUST',
    kind: 'liveness',
    text: 'A half-open socket is abandoned (closed, or replaced by polling) within H + T of going silent.',
    source: `${fallbackDoc} § WebSocket Runtime Errors ("Ping/pong timeout")`,
    check: checkHalfOpen,
  },
  {
    id: 'CHAT-10',
    level: 'MUST',
    kind: 'liveness',
    text: 'After the network heals, every message the server stored for the open conversation is visible within 65 s (32 s backoff + 10 s slow poll + H + T).',
    source: `${fallbackDoc} § Summary ("Users always receive AI responses")`,
    check: checkDelivery,
  },
  {
    id: 'CHAT-11',
    level: 'MUST',
    kind: 'safety',
    text: "After a conversation is closed or switched away from, the client polls it no more (no GET), opens no socket for it, closes its socket, and shows none of its messages. (Delivering the user's queued messages to it — outbox POSTs — is allowed.)",
    source: `${fallbackDoc} § On Conversation Close, § Test Case 5`,
    check: checkConversationClosed,
  },
  {
    id: 'CHAT-12',
    level: 'MUST',
    kind: 'liveness',
    text: 'A message the user sent (also while offline, also across an app restart) is stored by the server exactly once and shown exactly once after the network heals.',
    source: `${fallbackDoc} § Test Case 4, § Future Enhancements 5 (Message Queue)`,
    check: checkSentOnce,
  },
  {
    id: 'CHAT-13',
    level: 'SHOULD',
    kind: 'safety',
    text: 'Polling intervals adapt: 2 s while the user sent within 30 s, 5 s within 5 min, 10 s otherwise (±T).',
    source: `${fallbackDoc} § Future Enhancements 1 (Adaptive Polling)`,
    check: checkAdaptive,
  },
  {
    id: 'CHAT-14',
    level: 'MUST',
    kind: 'safety',
    text: 'After a 401 the client makes no further request and opens no socket until the user acts again.',
    source: `${fallbackDoc} § Error Handling (Authentication failure 401)`,
    check: checkAuth,
  },
];

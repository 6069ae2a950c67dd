/**
 * The live-support requirement catalogue (docs/protocols/live-support.md,
 * "Requirements"): LIVE-1 … LIVE-7, each with exactly one checker. Checkers read the
 * finished trace only: the user actions, the clients' snapshots, the HTTP exchanges and
 * sockets, the server's logs (`message.stored`, `message.replaced`, `broadcast.*`,
 * `dashboard.subscribed`, `customer.seeded`) and the fault windows. They never throw on a
 * trace they do not understand: a step with unexpected fields is skipped, and a
 * requirement the trace gave no opportunity to violate is `not-exercised`.
 *
 * Vocabulary shared by the checkers (each decision is repeated where it matters):
 * - **widget session**: one run of the widget's polling effect on one node, for one
 *   (email, chat): from the `mountWidget` action of an unmounted widget, or from the
 *   action that changed a dependency of a mounted one (`mountWidget` with another email
 *   or chat, `switchChat` to another chat), to the `unmountWidget`, the next dependency
 *   change or an app restart. A `mountWidget` with the same dependencies, a `switchChat`
 *   to the same chat and a `switchChat` of an unmounted widget change nothing. After a
 *   restart, a widget that shows itself mounted (snapshot `role: widget, mounted: true`)
 *   before any user action has restored itself (a refreshed tab): a session from the
 *   restart. A client is not required to restore itself.
 * - **poll**: a `GET /api/users/{email}/chats` of the node.
 * - **dashboard identity**: the `dashboardUserId` of the node's last `connectDashboard`,
 *   until `disconnectDashboard` or an app restart; after a restart, before any user
 *   action, the `dashboardUserId` a reconnecting dashboard's snapshot shows.
 * - **owner** of a customer: its `dashboard_user_id` as the server logged it
 *   (`customer.seeded`, `message.stored`).
 * - `P` = 2 s (poll and broadcast interval); `T` = 250 ms plus two one-way latencies of
 *   the slowest link (the chat protocol's tolerance); `A` = 250 ms processing allowance.
 */
import { isTraceEvent as isEvent, perContext, safeTolerance, verdict, type Violation } from '../../conformance/checker-kit.js';
import type { Action, FaultWindow, HttpExchange, Snapshot, SocketLife } from '../../conformance/trace-query.js';
import * as q from '../../conformance/trace-query.js';
import { notExercised, type CheckContext, type Checker, type Finding, type Requirement } from '../../conformance/requirement.js';
import type { TraceEvent } from '../../sim/trace.js';
import { liveTiming, routeOf, type LiveRoute } from './wire.js';

const { fmtTime, fmtDuration } = q;
const P = liveTiming.pollInterval;
const A = liveTiming.processingAllowance;
/** A stalled WebSocket stream delivers its backlog late: faults that ended this long before a message still excuse LIVE-5. */
const streamBacklog = 10_000;

/** Fault kinds that can delay or stop a widget's HTTP polls. */
const httpKinds = [
  'partition',
  'drop',
  'delay-spike',
  'http-status',
  'http-timeout',
  'server-restart',
  'client-offline',
  'app-background',
  'hold',
];
/** Fault kinds that can delay or stop frames on a dashboard's socket. */
const wsKinds = [
  'partition',
  'drop',
  'delay-spike',
  'ws-half-open',
  'ws-reset',
  'server-restart',
  'client-offline',
  'app-background',
  'hold',
  'ws-intermediary',
];

// ---------------------------------------------------------------------------------------
// The model of one trace, built once per check context

interface WidgetSession {
  node: string;
  email: string;
  chat: string;
  start: number;
  startSeq: number;
  end: number;
  endSeq: number;
  endedBy: 'unmount' | 'change' | 'restart' | 'end';
  /** The session the change started (for `change`). */
  next?: WidgetSession;
}

interface Identity {
  node: string;
  user: string;
  fromSeq: number;
  toSeq: number;
}

interface LiveRequest extends HttpExchange {
  route?: LiveRoute;
}

/** A message the server stored or put in place of another. */
interface Stored {
  t: number;
  seq: number;
  id: string;
  chat?: string;
  email?: string;
  owner?: string;
  role?: string;
  request?: string;
  seeded: boolean;
  /** The id it replaced (for `message.replaced`). */
  replaces?: string;
}

interface Broadcast {
  n: number;
  t: number;
  seq: number;
  trigger?: string;
  message?: string;
  /** `broadcast.sent` or `broadcast.failed`. */
  done?: { t: number; seq: number; ok: boolean };
}

interface Model {
  events: readonly TraceEvent[];
  T: number;
  endAt: number;
  nodes: string[];
  actions: Action[];
  sessions: WidgetSession[];
  identities: Identity[];
  requests: LiveRequest[];
  polls: LiveRequest[];
  sockets: SocketLife[];
  /** Socket id → the `dashboard.subscribed` log. */
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
  snapshots: Map<string, Snapshot[]>;
  faults: FaultWindow[];
  stateLost: number[];
}

const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const T = safeTolerance(ctx);
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const nodes = q.clientNodes(events);
  const actions = q.actions(events);
  const requests: LiveRequest[] = q.httpExchanges(events).map((x) => Object.assign(x, { route: routeOf(x.path) }));
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
  const broadcasts = new Map<number, Broadcast>();
  const broadcastOf = new Map<string, Broadcast>();
  for (const e of events) {
    if (e.ev !== 'server.log') continue;
    const n = q.num(e, 'broadcast');
    if (n === undefined) continue;
    if (e.msg === 'broadcast.start') {
      // A server that lost its state counts broadcasts from 1 again: the latest start owns the number.
      const b: Broadcast = { n, t: e.t, seq: e.seq, trigger: q.str(e, 'trigger'), message: q.str(e, 'message') };
      broadcasts.set(n, b);
      if (b.message !== undefined && !broadcastOf.has(b.message)) broadcastOf.set(b.message, b);
    } else if (e.msg === 'broadcast.sent' || e.msg === 'broadcast.failed') {
      const b = broadcasts.get(n);
      if (b && !b.done) b.done = { t: e.t, seq: e.seq, ok: e.msg === 'broadcast.sent' };
    }
  }
  const responds = new Map<string, { t: number; seq: number; status?: number }[]>();
  for (const e of events) {
    if (e.ev !== 'http.respond') continue;
    const id = q.str(e, 'id');
    if (!id) continue;
    const list = responds.get(id) ?? [];
    list.push({ t: e.t, seq: e.seq, status: q.num(e, 'status') });
    responds.set(id, list);
  }
  const snapshots = new Map<string, Snapshot[]>();
  for (const n of nodes) snapshots.set(n, q.snapshotTimeline(events, n));
  return {
    events,
    T,
    endAt,
    nodes,
    actions,
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
    broadcastOf,
    responds,
    snapshots,
    faults: q.faultWindows(events),
    stateLost: events.filter((e) => e.ev === 'server.restart' && e.state === 'lose').map((e) => e.t),
  };
}

const isRestart = (e: TraceEvent): boolean => e.ev === 'client.restart' || (e.ev === 'client.action' && e.do === 'restart');

/** Widget sessions from the user's actions (see the file comment). */
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
    const begin = (e: { t: number; seq: number }): WidgetSession => {
      cur = { node, email: email!, chat: chat!, start: e.t, startSeq: e.seq, end: Infinity, endSeq: Infinity, endedBy: 'end' };
      out.push(cur);
      return cur;
    };
    // Where a restored session would start: the run's start, or the last restart.
    let restoreFrom: { t: number; seq: number } | undefined = { t: 0, seq: -1 };
    for (const e of events) {
      if (e.node !== node) continue;
      if (isRestart(e)) {
        if (cur && cur.endSeq === Infinity) end(e, 'restart');
        mounted = false;
        email = chat = null;
        if (!restoreFrom || restoreFrom.t !== e.t) restoreFrom = { t: e.t, seq: e.seq };
        continue;
      }
      if (e.ev === 'client.snapshot' && restoreFrom && !mounted) {
        const st = q.obj(e, 'state');
        if (st?.role === 'widget' && st.mounted === true && typeof st.email === 'string' && typeof st.chatId === 'string') {
          mounted = true;
          email = st.email;
          chat = st.chatId;
          begin(restoreFrom);
          restoreFrom = undefined;
        }
        continue;
      }
      if (e.ev !== 'client.action') continue;
      restoreFrom = undefined; // the user acted: what the client shows from now on is not a restoration
      const args = q.obj(e, 'args') ?? {};
      if (e.do === 'mountWidget' && typeof args.email === 'string' && typeof args.chat === 'string') {
        if (mounted && args.email === email && args.chat === chat) continue;
        const prev = mounted ? end(e, 'change') : undefined;
        mounted = true;
        email = args.email;
        chat = args.chat;
        const s = begin(e);
        if (prev) prev.next = s;
      } else if (e.do === 'switchChat' && typeof args.chat === 'string') {
        if (!mounted || args.chat === chat) continue;
        const prev = end(e, 'change');
        chat = args.chat;
        const s = begin(e);
        if (prev) prev.next = s;
      } else if (e.do === 'unmountWidget') {
        if (!mounted) continue;
        end(e, 'unmount');
        mounted = false;
      }
    }
  }
  return out;
}

/** Dashboard identities from the user's actions (see the file comment). */
function buildIdentities(events: readonly TraceEvent[], nodes: readonly string[]): Identity[] {
  const out: Identity[] = [];
  for (const node of nodes) {
    let cur: Identity | undefined;
    let restoreFrom: number | undefined = -1;
    for (const e of events) {
      if (e.node !== node) continue;
      const ends = isRestart(e) || (e.ev === 'client.action' && (e.do === 'disconnectDashboard' || e.do === 'connectDashboard'));
      if (ends && cur) {
        cur.toSeq = e.seq;
        cur = undefined;
      }
      if (e.ev === 'client.action' && e.do === 'restart') restoreFrom = e.seq;
      else if (e.ev === 'client.restart') restoreFrom ??= e.seq;
      else if (e.ev === 'client.action') restoreFrom = undefined;
      else if (e.ev === 'client.snapshot' && restoreFrom !== undefined && !cur) {
        // A relaunched dashboard that reconnected on its own, as the agent it shows.
        const st = q.obj(e, 'state');
        if (st?.role === 'dashboard' && typeof st.dashboardUserId === 'string' && st.connection !== 'idle') {
          cur = { node, user: st.dashboardUserId, fromSeq: restoreFrom, toSeq: Infinity };
          out.push(cur);
          restoreFrom = undefined;
        }
      }
      if (e.ev === 'client.action' && e.do === 'connectDashboard') {
        const user = q.obj(e, 'args')?.dashboardUserId;
        if (typeof user === 'string') {
          cur = { node, user, fromSeq: e.seq, toSeq: Infinity };
          out.push(cur);
        }
      }
    }
  }
  return out;
}

function identityAt(m: Model, node: string, seq: number): string | undefined {
  return m.identities.find((i) => i.node === node && i.fromSeq < seq && seq < i.toSeq)?.user;
}

/** `true` when the app's timers did not run normally at some time within `[from, to]` (background, or just back from a throttled one). */
function timersDisturbed(m: Model, node: string, from: number, to: number): boolean {
  return m.faults.some((w) => {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== node) || w.start > to) return false;
    const throttle = w.params.timers === 'throttle' ? (typeof w.params.throttleMs === 'number' ? w.params.throttleMs : 60_000) : 0;
    return w.end + throttle > from;
  });
}

/** The first fault of `kinds` on `node` in force at some time within `[from, to]`. */
function disturbance(m: Model, kinds: readonly string[], node: string, from: number, to: number): FaultWindow | undefined {
  for (const k of kinds) {
    const w = q.faultsDuring(m.faults, k, from, to, node)[0];
    if (w) return w;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Snapshots

const widgetIds = new WeakMap<object, string[]>();
const dashboardUsers = new WeakMap<object, { email: string; owner?: string; ids: string[] }[]>();

/** The message ids a widget snapshot shows (entries without an id are skipped). */
function shownIds(state: unknown): string[] {
  if (!state || typeof state !== 'object') return [];
  let ids = widgetIds.get(state);
  if (!ids) {
    const list = (state as { messages?: unknown }).messages;
    ids = Array.isArray(list) ? list.map((x) => idOf(x)).filter((x): x is string => x !== undefined) : [];
    widgetIds.set(state, ids);
  }
  return ids;
}

/** The customers a dashboard snapshot shows, with their message ids. */
function shownUsers(state: unknown): { email: string; owner?: string; ids: string[] }[] {
  if (!state || typeof state !== 'object') return [];
  let users = dashboardUsers.get(state);
  if (!users) {
    users = [];
    const list = (state as { users?: unknown }).users;
    for (const u of Array.isArray(list) ? list : []) {
      if (!u || typeof u !== 'object' || typeof (u as { email?: unknown }).email !== 'string') continue;
      const r = u as { email: string; dashboard_user_id?: unknown; chats?: unknown };
      const ids: string[] = [];
      for (const c of Array.isArray(r.chats) ? r.chats : []) {
        const msgs = (c as { messages?: unknown } | null)?.messages;
        for (const x of Array.isArray(msgs) ? msgs : []) {
          const id = idOf(x);
          if (id !== undefined) ids.push(id);
        }
      }
      users.push({ email: r.email, owner: typeof r.dashboard_user_id === 'string' ? r.dashboard_user_id : undefined, ids });
    }
    dashboardUsers.set(state, users);
  }
  return users;
}

/** A message id as a snapshot lists it: the id itself, or an object with an `id`. */
function idOf(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  const id = (x as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : typeof id === 'number' ? String(id) : undefined;
}

// ---------------------------------------------------------------------------------------
// Evidence helpers

function guarded(check: (m: Model) => Omit<Finding, 'requirement'>): Checker {
  return (ctx) => {
    try {
      return check(model(ctx));
    } catch (e) {
      return notExercised(`this trace could not be judged: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

function describeSession(s: WidgetSession): string {
  return `${s.node}'s widget on ${s.email} / ${s.chat} (from ${fmtTime(s.start)})`;
}

function list(ids: readonly string[], max = 6): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, … (${ids.length} in all)`;
}

function pollsOf(m: Model, s: WidgetSession): LiveRequest[] {
  return m.polls.filter(
    (x) =>
      x.node === s.node && x.route?.kind === 'chats' && x.route.email === s.email && x.requestSeq > s.startSeq && x.requestSeq < s.endSeq,
  );
}

// ---------------------------------------------------------------------------------------
// The checkers

/**
 * LIVE-1: in each widget session, the first poll starts within `T` of the session's
 * start; consecutive polls start `P ± T` apart (closer: two loops; further: a missed
 * tick); and after the last poll, none missing while the session lasts (a next poll is
 * due `P + T` after it). Spacing and lateness are not judged across the app's background
 * time (timers suspended or throttled).
 */
const checkOneLoop = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    const polls = pollsOf(m, s);
    const stop = Math.min(s.end, m.endAt);
    const first = polls[0];
    if (first || stop > s.start + m.T) judged++;
    if (!first || first.requestAt > s.start + m.T) {
      if (stop > s.start + m.T && !timersDisturbed(m, s.node, s.start, s.start + m.T)) {
        v.push({
          at: s.start,
          seq: s.startSeq,
          text: `${describeSession(s)}: no poll within T (${fmtDuration(m.T)}) of the mount or chat change; ${first ? `the first came at ${fmtTime(first.requestAt)}` : 'none came at all'}`,
        });
      }
      if (!first) continue;
    }
    for (let i = 1; i < polls.length; i++) {
      const p = polls[i - 1]!;
      const n = polls[i]!;
      const gap = n.requestAt - p.requestAt;
      if (Math.abs(gap - P) <= m.T || timersDisturbed(m, s.node, p.requestAt, n.requestAt)) continue;
      v.push({
        at: n.requestAt,
        seq: n.requestSeq,
        text:
          gap < P
            ? `${describeSession(s)}: poll ${n.id} at ${fmtTime(n.requestAt)} started only ${fmtDuration(gap)} after poll ${p.id} at ${fmtTime(p.requestAt)} (2 s ± T = ${fmtDuration(m.T)} expected): more than one polling loop`
            : `${describeSession(s)}: ${fmtDuration(gap)} between poll ${p.id} at ${fmtTime(p.requestAt)} and poll ${n.id} at ${fmtTime(n.requestAt)} (2 s ± T = ${fmtDuration(m.T)} expected)`,
      });
    }
    const last = polls[polls.length - 1]!;
    const due = last.requestAt + P + m.T;
    if (due < stop && !timersDisturbed(m, s.node, last.requestAt, due)) {
      v.push({
        at: due,
        text: `${describeSession(s)}: polling stopped after poll ${last.id} at ${fmtTime(last.requestAt)}; the next was due by ${fmtTime(due)} and the widget stayed mounted ${s.end === Infinity ? 'to the end of the run' : `until ${fmtTime(s.end)}`}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} widget session${judged === 1 ? '' : 's'}: the first poll at once, then one every 2 s (± T = ${fmtDuration(m.T)}), one loop`,
    'no widget was mounted',
  );
});

/**
 * LIVE-2: after a widget unmounts (until it mounts again or the app restarts) no poll of
 * that node starts and no snapshot shows a message id the snapshot before it did not (a
 * state update); after a dependency change from (email, chat) — for as long as the
 * session it started lasts — no snapshot shows a message of the old chat (known from the
 * server's logs) that the snapshot before it did not, and, when the email changed, no
 * poll of the old email starts. Decision: old messages may linger until the new chat's
 * first answer replaces them (the document's fixed code does not clear them); they may
 * not come back. Polls of the same email after a chat change are indistinguishable on the
 * wire; LIVE-1 judges a loop left running by its spacing.
 */
const checkNoStaleUpdate = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    if (s.endedBy !== 'unmount' && !(s.endedBy === 'change' && s.next)) continue;
    judged++;
    const timeline = m.snapshots.get(s.node) ?? [];
    let untilSeq: number;
    let stale: (id: string) => boolean;
    let how: string;
    if (s.endedBy === 'unmount') {
      untilSeq = Math.min(
        m.sessions.find((o) => o.node === s.node && o.startSeq > s.endSeq)?.startSeq ?? Infinity,
        nextRestart(m, s.node, s.endSeq),
      );
      stale = () => true;
      how = `unmounted at ${fmtTime(s.end)}`;
      for (const x of m.polls) {
        if (x.node !== s.node || x.requestSeq <= s.endSeq || x.requestSeq >= untilSeq) continue;
        v.push({
          at: x.requestAt,
          seq: x.requestSeq,
          text: `poll ${x.id} GET ${x.path} at ${fmtTime(x.requestAt)}: ${describeSession(s)} was ${how}`,
        });
      }
    } else {
      const next = s.next!;
      untilSeq = next.endSeq;
      if (next.chat === s.chat) continue;
      stale = (id) => m.messageChat.get(id) === s.chat;
      how = `changed to ${next.email === s.email ? '' : `${next.email} / `}${next.chat} at ${fmtTime(s.end)}`;
      if (next.email !== s.email) {
        for (const x of m.polls) {
          if (
            x.node !== s.node ||
            x.route?.kind !== 'chats' ||
            x.route.email !== s.email ||
            x.requestSeq <= s.endSeq ||
            x.requestSeq >= untilSeq
          )
            continue;
          v.push({
            at: x.requestAt,
            seq: x.requestSeq,
            text: `poll ${x.id} GET ${x.path} at ${fmtTime(x.requestAt)} for the old email: ${describeSession(s)} was ${how}`,
          });
        }
      }
    }
    let prev = q.snapshotAt(timeline, s.end, s.endSeq);
    for (const snap of timeline) {
      if (snap.seq <= s.endSeq) continue;
      if (snap.seq >= untilSeq) break;
      const before = new Set(shownIds(prev?.state));
      const appeared = shownIds(snap.state).filter((id) => stale(id) && !before.has(id));
      prev = snap;
      if (appeared.length === 0) continue;
      const answer = lastResponseBefore(m, s.node, snap.seq);
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `${s.node} showed ${s.endedBy === 'unmount' ? '' : `${s.chat}'s `}message${appeared.length === 1 ? '' : 's'} ${list(appeared)} at ${fmtTime(snap.t)}, after ${describeSession(s)} was ${how}${answer ? ` (the answer of ${answer.id}, started ${fmtTime(answer.requestAt)}, had just arrived)` : ''}: a state update from a stale response`,
      });
      break;
    }
  }
  return verdict(
    v,
    judged > 0,
    `after ${judged} unmount${judged === 1 ? '' : 's'} or chat change${judged === 1 ? '' : 's'}: no stale state update and no poll for the old chat`,
    'no widget was unmounted and no chat changed',
  );
});

function nextRestart(m: Model, node: string, seq: number): number {
  return q.restarts(m.events, node).find((r) => r.seq > seq)?.seq ?? Infinity;
}

/** The last HTTP exchange of `node` answered before step `seq` (evidence only). */
function lastResponseBefore(m: Model, node: string, seq: number): LiveRequest | undefined {
  let best: LiveRequest | undefined;
  for (const x of m.polls)
    if (x.node === node && x.responseSeq !== undefined && x.responseSeq < seq && (!best || x.responseSeq > best.responseSeq!)) best = x;
  return best;
}

/**
 * The widget-side delivery rule shared by LIVE-3 and LIVE-7: message `msg`, stored at
 * `t`, must appear in some snapshot of every widget session on its (email, chat) that
 * was running at `t` and lasts to `t + P + T`. Not judged when a fault that can delay
 * polls (or the app's background) touches that window, when the server lost its state in
 * it, or when the message was replaced before the deadline.
 */
function widgetDelivery(m: Model, msg: Stored, what: string): { v: Violation[]; judged: number } {
  const v: Violation[] = [];
  let judged = 0;
  const deadline = msg.t + P + m.T;
  if (deadline > m.endAt) return { v, judged };
  const replaced = m.replacedBy.get(msg.id);
  if (replaced && replaced.t <= deadline) return { v, judged };
  if (m.stateLost.some((t) => t >= msg.t && t <= deadline)) return { v, judged };
  for (const s of m.sessions) {
    if (s.email !== msg.email || s.chat !== msg.chat || s.startSeq > msg.seq || s.end <= deadline) continue;
    if (disturbance(m, httpKinds, s.node, msg.t, deadline) || timersDisturbed(m, s.node, msg.t, deadline)) continue;
    judged++;
    const timeline = m.snapshots.get(s.node) ?? [];
    const shown = timeline.some((x) => x.seq > msg.seq && x.t <= deadline && shownIds(x.state).includes(msg.id));
    if (shown) continue;
    const later = timeline.find((x) => x.seq > msg.seq && shownIds(x.state).includes(msg.id));
    const atDeadline = q.snapshotAt(timeline, deadline);
    const old =
      msg.replaces !== undefined && shownIds(atDeadline?.state).includes(msg.replaces)
        ? `; it still showed ${msg.replaces}, the message it replaced`
        : '';
    v.push({
      at: msg.t,
      seq: msg.seq,
      text: `${what} ${msg.id} (${msg.chat}, stored at ${fmtTime(msg.t)}) was not shown by ${describeSession(s)} within 2 s + T (${fmtDuration(P + m.T)}, by ${fmtTime(deadline)})${old}${later ? `; it appeared at ${fmtTime(later.t)}` : ''}`,
    });
  }
  return { v, judged };
}

/** LIVE-3: every replacement (`message.replaced`) obeys the widget delivery rule (see {@link widgetDelivery}). */
const checkReplacementShown = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const msg of m.stored) {
    if (msg.replaces === undefined) continue;
    const r = widgetDelivery(m, msg, `the replacement`);
    v.push(...r.v);
    judged += r.judged;
  }
  return verdict(
    v,
    judged > 0,
    `${judged} replaced message${judged === 1 ? '' : 's'} shown by every widget on the chat within 2 s + T (${fmtDuration(P + m.T)})`,
    'no message was replaced in a chat a widget showed (without a fault in the way)',
  );
});

/**
 * LIVE-4: no dashboard snapshot shows a customer whose owner is not the node's dashboard
 * identity (when the node has none, the snapshot's own `dashboardUserId`). A customer
 * the server never logged is judged by the `dashboard_user_id` the snapshot shows.
 */
const checkOwnUsersOnly = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, timeline] of m.snapshots) {
    for (const snap of timeline) {
      const state = snap.state as { role?: unknown; users?: unknown; dashboardUserId?: unknown } | null;
      if (!state || typeof state !== 'object' || !Array.isArray(state.users)) continue;
      const me = identityAt(m, node, snap.seq) ?? (typeof state.dashboardUserId === 'string' ? state.dashboardUserId : undefined);
      if (me === undefined) continue;
      const users = shownUsers(state);
      if (users.length === 0) continue;
      judged++;
      const foreign = users.filter((u) => (m.owners.get(u.email) ?? u.owner) !== me);
      if (foreign.length === 0) continue;
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `${node}, the dashboard of ${me}, showed ${foreign.length} customer${foreign.length === 1 ? '' : 's'} of other dashboard users at ${fmtTime(snap.t)}: ${list(foreign.map((u) => `${u.email} (${m.owners.get(u.email) ?? u.owner ?? 'no dashboard_user_id'})`))}`,
      });
      break;
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} dashboard snapshot${judged === 1 ? '' : 's'} showed only the agent's own customers`,
    'no dashboard showed a customer',
  );
});

/**
 * LIVE-5: a message stored (or put in place of another) at `t` for a customer of `D`
 * appears, by `t + A + T`, in a snapshot of every dashboard node whose identity is `D`
 * and whose `/ws/dashboard` socket had subscribed before `t` and stays open (not
 * half-open) until then. Not judged when the broadcast the message triggered failed
 * (non-critical by design: the background cycle covers it), when a fault that can delay
 * the socket's frames touches `[max(t − 10 s, socket connected), t + A + T]` (a stalled
 * stream delivers its backlog late), or when the message was replaced or lost before the deadline.
 */
const checkImmediateBroadcast = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const bound = A + m.T;
  for (const msg of m.stored) {
    if (msg.seeded || msg.owner === undefined) continue;
    const deadline = msg.t + bound;
    if (deadline > m.endAt) continue;
    if (m.broadcastOf.get(msg.id)?.done?.ok === false) continue;
    const replaced = m.replacedBy.get(msg.id);
    if (replaced && replaced.t <= deadline) continue;
    if (m.stateLost.some((t) => t >= msg.t && t <= deadline)) continue;
    for (const node of m.nodes) {
      if (identityAt(m, node, msg.seq) !== msg.owner) continue;
      const socket = m.sockets.find((s) => {
        const sub = m.subscribed.get(s.id);
        return (
          s.node === node &&
          sub !== undefined &&
          sub.seq < msg.seq &&
          s.endAt > deadline &&
          (s.halfOpenAt === undefined || s.halfOpenAt > deadline)
        );
      });
      if (!socket) continue;
      // A stream stalled earlier may still deliver its backlog; a socket connected after the fault has none.
      const from = Math.max(msg.t - streamBacklog, socket.connectAt);
      if (disturbance(m, wsKinds, node, from, deadline) || timersDisturbed(m, node, msg.t, deadline)) continue;
      judged++;
      const timeline = m.snapshots.get(node) ?? [];
      const has = (x: Snapshot): boolean => shownUsers(x.state).some((u) => u.ids.includes(msg.id));
      if (timeline.some((x) => x.seq > msg.seq && x.t <= deadline && has(x))) continue;
      const later = timeline.find((x) => x.seq > msg.seq && has(x));
      const b = m.broadcastOf.get(msg.id);
      v.push({
        at: msg.t,
        seq: msg.seq,
        text: `${msg.role === 'agent' ? 'agent' : 'customer'} message ${msg.id} (${msg.email} / ${msg.chat}, stored at ${fmtTime(msg.t)}) did not reach ${node}, the dashboard of ${msg.owner}, within A + T (${fmtDuration(bound)}, by ${fmtTime(deadline)}) over ${socket.id}${later ? `; it appeared at ${fmtTime(later.t)}, ${fmtDuration(later.t - msg.t)} after it was stored` : ''}${b ? '' : '; the server started no broadcast for it'}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} sent message${judged === 1 ? '' : 's'} reached the owner's dashboard within A + T (${fmtDuration(bound)})`,
    'no message was sent while a dashboard of its owner was subscribed (without a fault in the way)',
  );
});

/**
 * LIVE-6: every send the server stored (or replacement it made) is answered with a 2xx
 * status, and the answer does not wait for the broadcast the send triggered: its
 * `http.respond` comes before that broadcast's `broadcast.sent` / `broadcast.failed`.
 * Not judged when the answer never left (a restart lost the exchange).
 */
const checkSendIndependent = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const msg of m.stored) {
    if (msg.seeded || msg.request === undefined) continue;
    const respond = (m.responds.get(msg.request) ?? []).find((r) => r.seq > msg.seq);
    if (!respond) continue;
    judged++;
    const b = m.broadcastOf.get(msg.id);
    const what = `${msg.replaces !== undefined ? 'replacement' : 'send'} ${msg.request} (message ${msg.id}, stored at ${fmtTime(msg.t)})`;
    if (respond.status === undefined || respond.status < 200 || respond.status > 299) {
      v.push({
        at: respond.t,
        seq: respond.seq,
        text: `${what} was answered ${respond.status ?? 'without a status'} at ${fmtTime(respond.t)}${b?.done && !b.done.ok ? `, after its broadcast #${b.n} failed at ${fmtTime(b.done.t)}` : ''}: a stored message must be answered as sent`,
      });
    } else if (b?.done && b.done.seq < respond.seq) {
      v.push({
        at: respond.t,
        seq: respond.seq,
        text: `${what} was answered at ${fmtTime(respond.t)}, only after its broadcast #${b.n} (started ${fmtTime(b.t)}) ${b.done.ok ? 'was sent' : 'failed'} at ${fmtTime(b.done.t)}: the send waited ${fmtDuration(respond.t - msg.t)} for the broadcast`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${judged} send${judged === 1 ? '' : 's'} answered 2xx before the broadcast ${judged === 1 ? 'it' : 'they'} triggered completed`,
    'no send was stored and answered',
  );
});

/** LIVE-7: every agent message (`message.stored`, role `agent`) obeys the widget delivery rule (see {@link widgetDelivery}). */
const checkAgentMessageShown = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const msg of m.stored) {
    if (msg.seeded || msg.role !== 'agent' || msg.replaces !== undefined) continue;
    const r = widgetDelivery(m, msg, 'agent message');
    v.push(...r.v);
    judged += r.judged;
  }
  return verdict(
    v,
    judged > 0,
    `${judged} agent message${judged === 1 ? '' : 's'} shown by every widget on the chat within 2 s + T (${fmtDuration(P + m.T)})`,
    'no agent message was sent to a chat a widget showed (without a fault in the way)',
  );
});

// ---------------------------------------------------------------------------------------
// The catalogue

const doc = 'live-support-chat-polling-fixes.md';

/** LIVE-1 … LIVE-7, as in docs/protocols/live-support.md. */
export const liveSupportRequirements: Requirement[] = [
  {
    id: 'LIVE-1',
    level: 'MUST',
    kind: 'safety',
    text: 'A mounted widget runs one polling loop: the first poll at once (within T), then one every 2 s (± T), however many messages arrive.',
    source: `${doc} § Problem 1, § Fix 1, § Step 5 (Verify No Duplicate Intervals)`,
    check: checkOneLoop,
  },
  {
    id: 'LIVE-2',
    level: 'MUST',
    kind: 'safety',
    text: 'No state update from a response that arrives after the widget unmounted or its chat changed, and no poll for the old chat after it.',
    source: `${doc} § Fix 1 ("Added isActive cleanup flag to prevent stale updates", "Proper cleanup on unmount")`,
    check: checkNoStaleUpdate,
  },
  {
    id: 'LIVE-3',
    level: 'MUST',
    kind: 'liveness',
    text: 'A replaced message (same count, new id) is shown by every widget on its chat within 2 s + T.',
    source: `${doc} § Problem 4, § Fix 1 ("Compare message IDs instead of count")`,
    check: checkReplacementShown,
  },
  {
    id: 'LIVE-4',
    level: 'MUST',
    kind: 'safety',
    text: 'A dashboard shows only the customers whose dashboard_user_id is its own.',
    source: `${doc} § Problem 2, § Fix 2`,
    check: checkOwnUsersOnly,
  },
  {
    id: 'LIVE-5',
    level: 'MUST',
    kind: 'liveness',
    subject: 'server',
    text: "A sent message reaches its owner's subscribed dashboards within one round trip plus processing (A + T), not after the background cycle.",
    source: `${doc} § Problem 3, § Fix 3, § Step 3 (Test Widget → Dashboard)`,
    check: checkImmediateBroadcast,
  },
  {
    id: 'LIVE-6',
    level: 'MUST',
    kind: 'safety',
    subject: 'server',
    text: 'A broadcast never fails or delays the send that triggered it: a stored message is answered 2xx before its broadcast completes.',
    source: `${doc} § Fix 3 ("Non-blocking async broadcast", "broadcast failure won't break message sending")`,
    check: checkSendIndependent,
  },
  {
    id: 'LIVE-7',
    level: 'MUST',
    kind: 'liveness',
    text: "An agent's message is shown by every widget on its chat within 2 s + T.",
    source: `${doc} § Step 4 (Test Dashboard → Widget), § Performance Improvements`,
    check: checkAgentMessageShown,
  },
];

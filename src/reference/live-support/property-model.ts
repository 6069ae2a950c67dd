import type * as fc from 'fast-check';
import {
  faultPlanArbitrary,
  networkFaultArbitraries,
  realWorldFaultArbitraries,
  worldConditionArbitraries,
} from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';
import type { FaultEntry } from '../../sim/faults/plan.js';
import { defaultCustomers } from './server-options.js';
import { liveTiming } from './wire.js';

const DURATION = 45_000;
const HEAL = 5_000;

type CustomerName = 'alice' | 'bob' | 'carol' | 'dave';
type Customer = { email: string; agent: string; chats: readonly [string, ...string[]] };
/** The server's default customers (server-options.ts), by their email's local part: email, owner, chats. */
const customers = Object.fromEntries(
  defaultCustomers.map((c): [string, Customer] => [
    c.email.split('@')[0]!,
    { email: c.email, agent: c.dashboard_user_id, chats: c.chats as [string, ...string[]] },
  ]),
) as Record<CustomerName, Customer>;
const agents = ['agent-1', 'agent-2'] as const;

/**
 * The casts a run draws: which customer each widget starts as (and may change to), and
 * which agent each dashboard is. Two agents with one customer each; the same again with
 * the single-chat customers; two widgets of one customer and two dashboards of its agent;
 * two customers of one agent, both of whose dashboards watch them.
 */
const casts = [
  { w1: ['alice', 'bob'], w2: ['carol', 'dave'], d1: 'agent-1', d2: 'agent-2' },
  { w1: ['bob', 'alice'], w2: ['dave', 'carol'], d1: 'agent-1', d2: 'agent-2' },
  { w1: ['alice', 'bob'], w2: ['alice', 'carol'], d1: 'agent-1', d2: 'agent-1' },
  { w1: ['alice', 'carol'], w2: ['bob', 'dave'], d1: 'agent-1', d2: 'agent-1' },
] as const satisfies readonly { w1: readonly CustomerName[]; w2: readonly CustomerName[]; d1: string; d2: string }[];

const widgetNodes = ['w1', 'w2'] as const;
const dashboardNodes = ['d1', 'd2'] as const;
type WidgetNode = (typeof widgetNodes)[number];
type DashboardNode = (typeof dashboardNodes)[number];
const clients = ['w1', 'w2', 'd1', 'd2'];

/** How a message's text is drawn: unique, the same text as the one before, a stock phrase, or text that tests encoding and length. */
const textStyles = ['unique', 'unique', 'unique', 'repeat', 'stock', 'unicode', 'quotes', 'long', 'padded'] as const;
type TextStyle = (typeof textStyles)[number];

interface Raw {
  at: number;
  node: WidgetNode | DashboardNode;
  what:
    | 'send'
    | 'switch'
    | 'new-chat'
    | 'other-email'
    | 'unmount-mount'
    | 'restart'
    | 'agent-send'
    | 'agent-replace'
    | 'reopen'
    | 'switch-agent';
  /** Move a switch or unmount to just after a poll tick, while that poll is in flight (the race LIVE-2 is about). */
  align: boolean;
  /** ms after the tick (aligned), the remount or reopen gap, or which candidate chat an agent picks. */
  offset: number;
  text: TextStyle;
}

/** Which (email, chat) a widget shows over time: `[from, view | null]`, in order. */
type Timeline = [number, { email: string; chat: string } | null][];

function viewAt(timeline: Timeline, t: number): { email: string; chat: string } | null {
  let view: Timeline[number][1] = null;
  for (const [from, v] of timeline) if (from <= t) view = v;
  return view;
}

/** Draws the texts of one node's messages: repeats, stock phrases, escapes, length. */
function texter(prefix: string): (style: TextStyle) => string {
  let n = 0;
  let last = `${prefix} 0`;
  return (style) => {
    n++;
    const text =
      style === 'repeat'
        ? last
        : style === 'stock'
          ? ['ok', 'thanks!', 'Any update?'][n % 3]!
          : style === 'unicode'
            ? `Grüße ${n} — 👋 «ok» 你好`
            : style === 'quotes'
              ? `say "hi" \\o/ <b>${n}</b> & 'bye'`
              : style === 'long'
                ? `${prefix} ${n} `.padEnd(600, 'lorem ipsum ')
                : style === 'padded'
                  ? `  ${prefix} ${n}\n\t `
                  : `${prefix} ${n}`;
    last = text;
    return text;
  };
}

/** Builds the concrete actions from the drawn ones: widget timelines first, then the agents acting on a chat of their customers that a widget shows. */
function build(raw: Raw[], castIndex: number): ScenarioAction[] {
  const cast = casts[castIndex]!;
  const actions: ScenarioAction[] = [];
  const timelines = new Map<string, Timeline>();
  for (const node of widgetNodes) {
    const pool = cast[node];
    let who: CustomerName = pool[0];
    let email: string = customers[who].email;
    let chat: string = customers[who].chats[0];
    actions.push({ at: 0, node, do: 'mountWidget', args: { email, chat } });
    const timeline: Timeline = [[0, { email, chat }]];
    let phase = 0; // when the current polling effect started (polls at phase + k·2 s)
    let last = 0;
    const text = texter(`${who} message`);
    for (const r of raw.filter((x) => x.node === node).sort((a, b) => a.at - b.at)) {
      let at = r.at;
      if (r.align && r.what !== 'send' && r.what !== 'restart') {
        const P = liveTiming.pollInterval;
        at = phase + Math.ceil((at - phase) / P) * P + 1 + (r.offset % 15);
      }
      at = Math.max(at, last + 1);
      if (at > DURATION - 2000) continue;
      if (r.what === 'send') {
        actions.push({ at, node, do: 'customerSend', args: { text: text(r.text) } });
      } else if (r.what === 'switch' || r.what === 'new-chat') {
        // A chat the customer does not have yet is created by its first send.
        const own: readonly string[] = customers[who].chats;
        const next = r.what === 'new-chat' ? `${own[0]}-new` : (own.find((c) => c !== chat) ?? `${own[0]}-new`);
        chat = next === chat ? own[0]! : next;
        actions.push({ at, node, do: 'switchChat', args: { chat } });
        timeline.push([at, { email, chat }]);
        phase = at;
      } else if (r.what === 'other-email') {
        // A mounted widget remounted for another customer: every dependency changes.
        who = pool.find((c) => c !== who) ?? who;
        email = customers[who].email;
        chat = customers[who].chats[r.offset % customers[who].chats.length]!;
        actions.push({ at, node, do: 'mountWidget', args: { email, chat } });
        timeline.push([at, { email, chat }]);
        phase = at;
      } else if (r.what === 'unmount-mount') {
        const back = at + 300 + (r.offset % 2500);
        actions.push({ at, node, do: 'unmountWidget', args: {} });
        actions.push({ at: back, node, do: 'mountWidget', args: { email, chat } });
        timeline.push([at, null], [back, { email, chat }]);
        phase = back;
        at = back;
      } else {
        actions.push({ at, node, do: 'restart', args: {} });
        actions.push({ at: at + 1, node, do: 'mountWidget', args: { email, chat } });
        timeline.push([at, null], [at + 1, { email, chat }]);
        phase = at + 1;
        at = at + 1;
      }
      last = at;
    }
    timelines.set(node, timeline);
  }
  // The chat an agent acts in: one of its customers' chats a widget shows (or showed last), else its first customer's first chat.
  const chatFor = (agent: string, at: number, pick: number): string => {
    const shown: string[] = [];
    for (const timeline of timelines.values()) {
      const v = viewAt(timeline, at) ?? [...timeline].reverse().find(([from, x]) => from <= at && x !== null)?.[1];
      const owner = Object.values(customers).find((c) => c.email === v?.email)?.agent;
      if (v && owner === agent) shown.push(v.chat);
    }
    if (shown.length > 0) return shown[pick % shown.length]!;
    return Object.values(customers).find((c) => c.agent === agent)!.chats[0];
  };
  for (const node of dashboardNodes) {
    const me: string = cast[node];
    const other = agents.find((a) => a !== me)!;
    actions.push({ at: 0, node, do: 'connectDashboard', args: { dashboardUserId: me } });
    let last = 0;
    /** Until when the dashboard acts as `other` (switch-agent), or is closed (reopen). */
    let awayUntil = 0;
    let away: 'other' | 'closed' = 'other';
    const text = texter(`${me} answer`);
    for (const r of raw.filter((x) => x.node === node).sort((a, b) => a.at - b.at)) {
      const at = Math.max(r.at, last + 1);
      if (at > DURATION - 2000) continue;
      const as = at < awayUntil ? (away === 'closed' ? undefined : other) : me;
      if (r.what === 'agent-send' || r.what === 'agent-replace') {
        if (as === undefined) continue;
        const chat = chatFor(as, at, r.offset);
        if (r.what === 'agent-send') actions.push({ at, node, do: 'agentSend', args: { chat, text: text(r.text) } });
        else actions.push({ at, node, do: 'agentReplace', args: { chat, text: `${text(r.text)} (corrected)` } });
        last = at;
      } else if ((r.what === 'reopen' || r.what === 'switch-agent') && at >= awayUntil) {
        const back = Math.min(at + 500 + (r.offset % 6000), DURATION - 1500);
        if (r.what === 'reopen') actions.push({ at, node, do: 'disconnectDashboard', args: {} });
        else actions.push({ at, node, do: 'connectDashboard', args: { dashboardUserId: other } });
        actions.push({ at: back, node, do: 'connectDashboard', args: { dashboardUserId: me } });
        away = r.what === 'reopen' ? 'closed' : 'other';
        awayUntil = back;
        last = at;
      } else if (r.what === 'restart' && at >= awayUntil) {
        actions.push({ at, node, do: 'restart', args: {} });
        actions.push({ at: at + 1, node, do: 'connectDashboard', args: { dashboardUserId: me } });
        last = at + 1;
      }
    }
  }
  return actions.sort((a, b) => a.at - b.at);
}

/** User actions and faults are drawn apart; both sometimes snap to this grid, so that faults strike a handshake, a poll or a send in flight. */
const ANCHOR = 5000;
const anchors = Math.floor((DURATION - 3000) / ANCHOR);

/**
 * How property runs draw live-support scenarios: a drawn cast of two widgets (mount,
 * send, switch chat or to a new chat, remount for another customer, unmount and remount,
 * restart) and two dashboards (send, replace, close and reopen, switch agent and back,
 * restart), messages of drawn texts (repeats, stock phrases, escapes, long), for 45 s plus
 * a 5 s heal, with faults of every kind, some placed a drawn phase after an anchor.
 * Switches and unmounts are often placed just after a poll tick, while that poll is in
 * flight (docs/protocols/live-support.md, "What property runs draw").
 */
export const liveSupportPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: HEAL,
  clients,
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  actions: (f: typeof fc) => {
    const at = f.oneof(
      f.integer({ min: 1000, max: DURATION - 3000 }),
      f.integer({ min: 1, max: anchors }).map((k) => k * ANCHOR),
    );
    const text = f.constantFrom(...textStyles);
    return f
      .tuple(
        f.array(
          f.oneof(
            f.record({
              at,
              node: f.constantFrom<WidgetNode>('w1', 'w2'),
              what: f.constantFrom<Raw['what']>(
                'send',
                'send',
                'send',
                'switch',
                'switch',
                'new-chat',
                'other-email',
                'unmount-mount',
                'restart',
              ),
              align: f.boolean(),
              offset: f.integer({ min: 0, max: 9999 }),
              text,
            }),
            f.record({
              at,
              node: f.constantFrom<DashboardNode>('d1', 'd2'),
              what: f.constantFrom<Raw['what']>(
                'agent-send',
                'agent-send',
                'agent-send',
                'agent-replace',
                'agent-replace',
                'reopen',
                'switch-agent',
                'restart',
              ),
              align: f.constant(false),
              offset: f.integer({ min: 0, max: 9999 }),
              text,
            }),
          ),
          { maxLength: 12 },
        ),
        f.integer({ min: 0, max: casts.length - 1 }),
      )
      .map(([raw, cast]) => build(raw, cast));
  },
  world: (f: typeof fc) => worldConditionArbitraries(f, { duration: DURATION, maxWindow: 30_000, clients }).conditions,
  faults: (f: typeof fc) => {
    const node = f.constantFrom<string | undefined>(undefined, undefined, ...clients);
    const at = f.integer({ min: 0, max: DURATION - 2000 });
    const dur = f.integer({ min: 1000, max: 30_000 });
    const shared = networkFaultArbitraries(f, {
      duration: DURATION,
      maxWindow: 30_000,
      httpStatuses: [500, 503, 401],
      restartStates: ['keep', 'lose'],
      node,
    });
    // Proxies, edges and servers as they fail in the field: idle timeouts, server closes
    // with any code, flapping upgrades, reset requests, captive portals and cut bodies,
    // rate limits, frame-size limits, slow-consumer kicks (the widget's polls and sends,
    // the agent's REST calls and the dashboard's socket alike).
    const real = realWorldFaultArbitraries(f, { duration: DURATION, maxWindow: 30_000, node });
    // The saved role and view (env.storage): a full quota, or data lost across a restart.
    const storage = worldConditionArbitraries(f, { duration: DURATION, maxWindow: 30_000, clients, node }).faults;
    // The agents' tokens (the only credentials: the widget's endpoints are public) stop being accepted.
    const tokenExpiry = f.record({
      kind: f.constant('token-expiry' as const),
      at,
      node: f.constantFrom<string | undefined>(undefined, 'd1', 'd2'),
    });
    // A backend crash-looping behind a load balancer that still accepts (the source's Step 1
    // gone wrong): in a third of the runs, on top of the plan, so that the dashboards'
    // backoff under repeated immediate drops (LIVE-14) is judged often.
    const crashLoop = f.oneof(
      { arbitrary: f.constant(null), weight: 2 },
      {
        arbitrary: f.record({
          kind: f.constant('flapping' as const),
          at: f.integer({ min: 0, max: DURATION - 10_000 }),
          duration: f.integer({ min: 5000, max: 30_000 }),
          node: f.constantFrom<string | undefined>(undefined, 'd1', 'd2'),
          after: f.integer({ min: 0, max: 3000 }),
        }),
        weight: 1,
      },
    );
    const plan = faultPlanArbitrary(
      f,
      [
        ...shared,
        f.record({
          kind: f.constant('hold' as const),
          at,
          duration: dur,
          name: f.constant('hold'),
          match: f.constantFrom({ envelope: 'http.response' as const }, { envelope: 'ws.frame' as const, type: 'chat_updates' }),
        }),
        f.record({
          kind: f.constant('ws-intermediary' as const),
          at,
          duration: dur,
          node,
          duplicate: f.constantFrom(0, 0.5),
          reorder: f.constantFrom(0, 0.5),
          drop: f.constantFrom(0, 0.3),
        }),
        ...real,
        ...storage,
        tokenExpiry as fc.Arbitrary<FaultEntry>,
      ],
      DURATION,
    ).chain((drawn) =>
      f
        .array(f.option(f.record({ anchor: f.integer({ min: 0, max: anchors }), offset: f.integer({ min: 0, max: 2500 }) }), { freq: 2 }), {
          minLength: 4,
          maxLength: 4,
        })
        .map((moves) => drawn.flatMap((e, i) => crash(anchor(e, moves[i] ?? null)))),
    );
    return f.tuple(plan, crashLoop).map(([entries, loop]) => {
      if (!loop) return entries;
      const e: Record<string, unknown> = { ...loop };
      if (e.node === undefined) delete e.node;
      if ((e.at as number) + (e.duration as number) > DURATION) e.duration = DURATION - (e.at as number);
      return [...entries, ...crash(e as unknown as FaultEntry)];
    });
  },
};

/**
 * A flapping window drops only the sockets that open inside it: it comes with the crash
 * that starts it (the open sockets reset at its start), as a crash-looping backend does,
 * so that the dashboards reconnect into it.
 */
function crash(e: FaultEntry): FaultEntry[] {
  if (e.kind !== 'flapping') return [e];
  return [e, { kind: 'ws-reset', at: e.at, ...(e.node !== undefined ? { node: e.node } : {}) }];
}

/** Moves a fault entry to `offset` ms after an anchor (0: the launch, when the dashboards connect), keeping its window inside the fault phase. */
function anchor(e: FaultEntry, move: { anchor: number; offset: number } | null): FaultEntry {
  if (!move) return e;
  const at = Math.min(DURATION - 2000, move.anchor * ANCHOR + move.offset);
  const out: Record<string, unknown> = { ...e, at };
  const d = out.duration as number | undefined;
  if (d !== undefined && at + d > DURATION) out.duration = DURATION - at;
  return out as unknown as FaultEntry;
}

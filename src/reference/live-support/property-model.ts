import type * as fc from 'fast-check';
import { faultPlanArbitrary, networkFaultArbitraries } from '../../conformance/fault-arbitraries.js';
import type { PropertyModel } from '../../conformance/protocol.js';
import type { ScenarioAction } from '../../conformance/scenario.js';
import { liveTiming } from './wire.js';

const DURATION = 45_000;
const HEAL = 5_000;

/** The cast of a property run: two widgets (customers of two agents), one dashboard per agent. */
const widgets = {
  w1: { email: 'alice@example.com', chats: ['chat-a1', 'chat-a2'], dashboard: 'd1' },
  w2: { email: 'carol@example.com', chats: ['chat-c1', 'chat-c2'], dashboard: 'd2' },
} as const;
const dashboards = { d1: { user: 'agent-1', widget: 'w1' }, d2: { user: 'agent-2', widget: 'w2' } } as const;
type WidgetNode = keyof typeof widgets;
type DashboardNode = keyof typeof dashboards;
const clients = ['w1', 'w2', 'd1', 'd2'];

interface Raw {
  at: number;
  node: WidgetNode | DashboardNode;
  what: 'send' | 'switch' | 'unmount-mount' | 'restart' | 'agent-send' | 'agent-replace';
  /** Move a switch or unmount to just after a poll tick, while that poll is in flight (the race LIVE-2 is about). */
  align: boolean;
  /** ms after the tick (aligned), or the remount gap. */
  offset: number;
}

/** Which chat a widget shows over time: `[from, chat | null]`, in order. */
type Timeline = [number, string | null][];

function chatAt(timeline: Timeline, t: number): string | null {
  let chat: string | null = null;
  for (const [from, c] of timeline) if (from <= t) chat = c;
  return chat;
}

/** Builds the concrete actions from the drawn ones: widget timelines first, then the agents acting on their customer's current chat. */
function build(raw: Raw[]): ScenarioAction[] {
  const actions: ScenarioAction[] = [];
  const timelines = new Map<string, Timeline>();
  for (const [node, w] of Object.entries(widgets)) {
    actions.push({ at: 0, node, do: 'mountWidget', args: { email: w.email, chat: w.chats[0] } });
    const timeline: Timeline = [[0, w.chats[0]]];
    let chat: string = w.chats[0];
    let phase = 0; // when the current polling effect started (polls at phase + k·2 s)
    let last = 0;
    let n = 0;
    for (const r of raw.filter((x) => x.node === node).sort((a, b) => a.at - b.at)) {
      let at = r.at;
      if (r.align && (r.what === 'switch' || r.what === 'unmount-mount')) {
        const P = liveTiming.pollInterval;
        at = phase + Math.ceil((at - phase) / P) * P + 1 + (r.offset % 15);
      }
      at = Math.max(at, last + 1);
      if (at > DURATION - 2000) continue;
      if (r.what === 'send') {
        actions.push({ at, node, do: 'customerSend', args: { text: `${w.email.split('@')[0]} message ${++n}` } });
      } else if (r.what === 'switch') {
        chat = chat === w.chats[0] ? w.chats[1] : w.chats[0];
        actions.push({ at, node, do: 'switchChat', args: { chat } });
        timeline.push([at, chat]);
        phase = at;
      } else if (r.what === 'unmount-mount') {
        const back = at + 300 + (r.offset % 2500);
        actions.push({ at, node, do: 'unmountWidget', args: {} });
        actions.push({ at: back, node, do: 'mountWidget', args: { email: w.email, chat } });
        timeline.push([at, null], [back, chat]);
        phase = back;
        at = back;
      } else {
        actions.push({ at, node, do: 'restart', args: {} });
        actions.push({ at: at + 1, node, do: 'mountWidget', args: { email: w.email, chat } });
        timeline.push([at, null], [at + 1, chat]);
        phase = at + 1;
        at = at + 1;
      }
      last = at;
    }
    timelines.set(node, timeline);
  }
  for (const [node, d] of Object.entries(dashboards)) {
    actions.push({ at: 0, node, do: 'connectDashboard', args: { dashboardUserId: d.user } });
    const w = widgets[d.widget];
    let last = 0;
    let n = 0;
    for (const r of raw.filter((x) => x.node === node).sort((a, b) => a.at - b.at)) {
      const at = Math.max(r.at, last + 1);
      if (at > DURATION - 2000) continue;
      // The agent answers in the chat its customer has open (or had open last).
      const timeline = timelines.get(d.widget)!;
      const chat = chatAt(timeline, at) ?? [...timeline].reverse().find(([, c]) => c !== null)?.[1] ?? w.chats[0];
      if (r.what === 'agent-send') actions.push({ at, node, do: 'agentSend', args: { chat, text: `${d.user} answer ${++n}` } });
      else if (r.what === 'agent-replace')
        actions.push({ at, node, do: 'agentReplace', args: { chat, text: `${d.user} correction ${++n}` } });
      else {
        actions.push({ at, node, do: 'restart', args: {} });
        actions.push({ at: at + 1, node, do: 'connectDashboard', args: { dashboardUserId: d.user } });
        last = at + 1;
        continue;
      }
      last = at;
    }
  }
  return actions.sort((a, b) => a.at - b.at);
}

/**
 * How property runs draw live-support scenarios: two customers' widgets (mount, send,
 * switch chat, unmount and remount, restart) and their agents' dashboards (send,
 * replace, restart), for 45 s plus a 5 s heal, with faults of every kind. Switches and unmounts are
 * often placed just after a poll tick, while that poll is in flight.
 */
export const liveSupportPropertyModel: PropertyModel = {
  duration: DURATION,
  heal: HEAL,
  clients,
  network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } },
  actions: (f: typeof fc) =>
    f
      .array(
        f.oneof(
          f.record({
            at: f.integer({ min: 1000, max: DURATION - 3000 }),
            node: f.constantFrom<WidgetNode>('w1', 'w2'),
            what: f.constantFrom<Raw['what']>('send', 'send', 'switch', 'switch', 'unmount-mount', 'restart'),
            align: f.boolean(),
            offset: f.integer({ min: 0, max: 9999 }),
          }),
          f.record({
            at: f.integer({ min: 1000, max: DURATION - 3000 }),
            node: f.constantFrom<DashboardNode>('d1', 'd2'),
            what: f.constantFrom<Raw['what']>('agent-send', 'agent-send', 'agent-replace', 'agent-replace', 'restart'),
            align: f.constant(false),
            offset: f.constant(0),
          }),
        ),
        { maxLength: 12 },
      )
      .map(build),
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
    return faultPlanArbitrary(
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
      ],
      DURATION,
    );
  },
};

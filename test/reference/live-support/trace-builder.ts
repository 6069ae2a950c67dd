import { judge, type CheckContext, type Finding } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { liveSupportRequirements } from '../../../src/reference/live-support/requirements.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel and the reference server record them
// (docs/trace-format.md, docs/protocols/live-support.md). The default link is 20 ms each
// way, so T = 250 ms + 2 × 20 ms = 290 ms; P = 2 s; A = 250 ms.

export const ALICE = 'alice@example.com';
export const CAROL = 'carol@example.com';
const enc = encodeURIComponent;

/** The seeded customers: email, owner, chats (each with `<chat>-s1` from the customer and `<chat>-s2` from the agent). */
const seeded = [
  [ALICE, 'agent-1', ['chat-a1', 'chat-a2']],
  ['bob@example.com', 'agent-1', ['chat-b1']],
  [CAROL, 'agent-2', ['chat-c1']],
] as const;

/** A customer in a hand-built `chat_updates` frame. */
export interface FrameCustomer {
  email: string;
  owner?: string | null;
  /** Message ids, all in one chat. */
  ids: string[];
}

/**
 * A tiny trace builder. Steps may be added out of time order; `ctx()` sorts them by time,
 * keeping the call order within one instant, and numbers them (`seq`).
 */
export class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private http = 0;
  private ws = 0;
  private down = new Map<string, number>();

  constructor(readonly clients: string[] = ['w1', 'd1']) {
    this.add(0, 'sim.start', { seed: 1, startTime: '2025-01-15T09:00:00.000Z', clients, origin: 'http://lockstep.test' });
    for (const [email, owner, chats] of seeded) {
      this.log(0, 'customer.seeded', { email, dashboard_user_id: owner, chats });
      for (const chat of chats)
        for (const k of [1, 2])
          this.log(0, 'message.stored', {
            id: `${chat}-s${k}`,
            chat_id: chat,
            email,
            dashboard_user_id: owner,
            role: k === 1 ? 'user' : 'agent',
            seeded: true,
          });
    }
  }

  add(t: number, ev: string, fields: Record<string, unknown> = {}): TraceEvent {
    const e: TraceEvent = { t, seq: -1, ev, ...fields };
    this.events.push(e);
    return e;
  }
  log(t: number, msg: string, fields: Record<string, unknown> = {}): this {
    this.add(t, 'server.log', { ...fields, msg });
    return this;
  }
  action(t: number, node: string, what: string, args?: Record<string, unknown>): this {
    this.add(t, 'client.action', { args, do: what, node });
    return this;
  }
  mount(t: number, node: string, email: string, chat: string): this {
    return this.action(t, node, 'mountWidget', { email, chat });
  }
  connect(t: number, node: string, user: string): this {
    return this.action(t, node, 'connectDashboard', { dashboardUserId: user });
  }
  restart(t: number, node: string): this {
    this.action(t, node, 'restart').add(t, 'client.restart', { node, incarnation: 1 });
    return this;
  }
  widget(t: number, node: string, ids: string[], o: { mounted?: boolean; email?: string; chat?: string } = {}): this {
    const state = {
      chatId: o.chat ?? 'chat-a1',
      email: o.email ?? ALICE,
      messages: ids.map((id) => ({ content: `text of ${id}`, id, role: 'user' })),
      mounted: o.mounted ?? true,
      role: 'widget',
    };
    this.add(t, 'client.snapshot', { node, state });
    return this;
  }
  dashboard(t: number, node: string, user: string, users: FrameCustomer[]): this {
    const state = {
      connection: 'open',
      dashboardUserId: user,
      role: 'dashboard',
      subscribed: true,
      users: users.map((u) => ({ chats: [{ chat_id: 'c', messages: u.ids }], dashboard_user_id: u.owner ?? null, email: u.email })),
    };
    this.add(t, 'client.snapshot', { node, state });
    return this;
  }
  /** `http.request` of `node`; returns the exchange id. */
  request(t: number, node: string, method: string, path: string): string {
    const id = `${node}/http#${++this.http}`;
    this.add(t, 'http.request', { id, method, node, url: `http://lockstep.test${path}` });
    return id;
  }
  /** A poll served at +20 and answered (`status`) at +40; or failing at +`failAfter` without reaching the server. */
  poll(t: number, node = 'w1', email = ALICE, o: { status?: number; failAfter?: number } = {}): this {
    const path = `/api/users/${enc(email)}/chats`;
    const id = this.request(t, node, 'GET', path);
    if (o.failAfter !== undefined) {
      this.add(t + o.failAfter, 'http.fail', { id, reason: 'offline' });
      return this;
    }
    const status = o.status ?? 200;
    this.add(t + 20, 'http.serve', { id, method: 'GET', path });
    this.add(t + 20, 'http.respond', { id, status, bytes: 100 });
    this.add(t + 40, 'http.response', { id, status, bytes: 100 });
    return this;
  }
  /** Polls every `every` ms from `from` while `< to`. */
  polls(from: number, to: number, every = 2000, node = 'w1', email = ALICE): this {
    for (let t = from; t < to; t += every) this.poll(t, node, email);
    return this;
  }
  stored(t: number, f: { id: string; chat?: string; email?: string; owner?: string; role?: string; request?: string }): this {
    return this.log(t, 'message.stored', {
      chat_id: f.chat ?? 'chat-a1',
      dashboard_user_id: f.owner ?? 'agent-1',
      email: f.email ?? ALICE,
      id: f.id,
      request: f.request,
      role: f.role ?? 'user',
    });
  }
  replaced(t: number, id: string, old: string): this {
    return this.log(t, 'message.replaced', {
      id,
      old,
      chat_id: 'chat-a1',
      email: ALICE,
      dashboard_user_id: 'agent-1',
      role: 'agent',
      request: 'd1/http#99',
    });
  }
  /** A dashboard socket connected at t, open at t+40, subscribed at t+60 (unless `subscribe: false`); returns its id. */
  socket(t: number, node = 'd1', o: { subscribe?: boolean } = {}): string {
    const id = `${node}/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node, url: 'ws://lockstep.test/ws/dashboard?token=***' });
    this.add(t + 20, 'ws.accept', { id });
    this.add(t + 40, 'ws.open', { id });
    if (o.subscribe !== false) this.log(t + 60, 'dashboard.subscribed', { socket: id, channel: 'chat_updates' });
    return id;
  }
  /** The socket closes at the client (1006: a reset, the server gone, the device offline). */
  socketClosed(t: number, id: string, code = 1006): this {
    this.add(t, 'ws.close', { code, id, side: 'client', wasClean: code !== 1006 });
    return this;
  }
  /** The server sends a `chat_updates` frame at `t` on `socket`; it arrives `delay` ms later (never when `null`). */
  frame(t: number, socket: string, users: FrameCustomer[], delay: number | null = 20, timestamp = t): this {
    const n = this.down.get(socket) ?? 0;
    this.down.set(socket, n + 1);
    const data = JSON.stringify({
      type: 'chat_updates',
      data: {
        users: users.map((u) => ({
          _id: u.email,
          email: u.email,
          dashboard_user_id: u.owner === undefined ? 'agent-1' : u.owner,
          chats: [{ chat_id: 'chat-a1', messages: u.ids.map((id) => ({ id, role: 'user', content: id, timestamp: '' })) }],
        })),
        timestamp: new Date(Date.UTC(2025, 0, 15, 9) + timestamp).toISOString(),
      },
    });
    this.add(t, 'ws.send', { data, dir: 'to-client', id: socket, n });
    if (delay !== null) this.add(t + delay, 'ws.recv', { dir: 'to-client', id: socket, n });
    return this;
  }
  fault(t: number, entry: number, kind: string, params: Record<string, unknown> = {}): this {
    this.add(t, 'fault.start', { entry, kind, ...params });
    return this;
  }
  faultEnd(t: number, entry: number, kind: string): this {
    this.add(t, 'fault.end', { entry, kind });
    return this;
  }
  ctx(endAt: number): CheckContext {
    const events = this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
      .map(({ e }, seq) => Object.assign(e, { seq }));
    const scenario = { network: {}, clients: this.clients } as unknown as ResolvedScenario;
    return { events, scenario, healAt: endAt, endAt };
  }
}

/** Judges requirement `id` on the trace, ending at `endAt`. */
export function check(id: string, b: TraceBuilder, endAt: number): Finding {
  const r = liveSupportRequirements.find((q) => q.id === id)!;
  return judge(r, b.ctx(endAt));
}

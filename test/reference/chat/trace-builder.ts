import { judge, type CheckContext, type Finding } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { chatRequirements } from '../../../src/reference/chat/requirements.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel records them (docs/trace-format.md). The default
// link is 20 ms each way, so T = 250 ms + 2 × 20 ms = 290 ms and H = 20 s.

export const url = (c: string) => `http://lockstep.test/api/v1/consultations/${c}/messages`;
export const wsUrl = (c: string) => `ws://lockstep.test/api/v1/consultations/${c}/ws?token=***`;
export const ts = (ms: number) => new Date(Date.UTC(2025, 0, 15, 12, 0, 0) + ms).toISOString();

export interface Msg {
  id: string;
  cmid?: string;
  role?: 'user' | 'assistant';
  content?: string;
  t?: number;
  pending?: boolean;
}

/**
 * A tiny trace builder. Steps may be added out of time order (a helper records the
 * server's `ws.accept` 20 ms before the client's `ws.open`); `ctx()` sorts them by time,
 * keeping the call order within one instant, and numbers them (`seq`). `add` returns the
 * step itself, whose `seq` is known once `ctx()` ran.
 */
export class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private ws = 0;
  private http = 0;

  constructor(readonly clients: string[] = ['c1']) {
    this.add(0, 'sim.start', { seed: 1, startTime: ts(0), clients, origin: 'http://lockstep.test' });
  }

  add(t: number, ev: string, fields: Record<string, unknown> = {}): TraceEvent {
    const e: TraceEvent = { t, seq: -1, ev, ...fields };
    this.events.push(e);
    return e;
  }

  action(t: number, what: string, args?: Record<string, unknown>, node = 'c1'): this {
    this.add(t, 'client.action', { args, do: what, node });
    return this;
  }
  open(t: number, conversation: string, node = 'c1'): this {
    return this.action(t, 'openConversation', { conversation }, node);
  }
  snap(t: number, conversation: string | null, messages: Msg[] = [], node = 'c1', extra: Record<string, unknown> = {}): this {
    const state = {
      authError: false,
      connection: 'open',
      conversation,
      messages: messages.map((m) => ({
        clientMessageId: m.cmid,
        content: m.content ?? `text of ${m.id}`,
        id: m.id,
        pending: m.pending,
        role: m.role ?? 'assistant',
        timestamp: ts(m.t ?? 0),
      })),
      outbox: 0,
      polling: false,
      ...extra,
    };
    this.add(t, 'client.snapshot', { node, state });
    return this;
  }
  /** `ws.connect`; returns the socket id. */
  connect(t: number, conversation: string, node = 'c1'): string {
    const id = `${node}/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node, url: wsUrl(conversation) });
    return id;
  }
  wsOpen(t: number, id: string): this {
    this.add(t - 20, 'ws.accept', { id });
    this.add(t, 'ws.open', { id });
    return this;
  }
  /** A connected and opened socket (connect at t, open at t + 40). */
  socket(t: number, conversation: string, node = 'c1'): string {
    const id = this.connect(t, conversation, node);
    this.add(t + 20, 'ws.upgrade', { id, path: `/api/v1/consultations/${conversation}/ws` });
    this.wsOpen(t + 40, id);
    return id;
  }
  /** The server refuses the upgrade: the client sees `ws.fail` and `close` 1006. */
  refuse(t: number, id: string, status = 503): TraceEvent {
    this.add(t - 20, 'ws.refuse', { id, status });
    const fail = this.add(t, 'ws.fail', { id, reason: `upgrade refused with HTTP ${status}`, status });
    this.add(t, 'ws.close', { code: 1006, id, side: 'client', wasClean: false, why: `upgrade refused with HTTP ${status}` });
    return fail;
  }
  /** The connection dropped (reset): the client's `close` 1006. Returns its seq. */
  dropped(t: number, id: string): TraceEvent {
    this.add(t, 'ws.reset', { id, reason: 'ws-reset (fault entry 0)' });
    return this.add(t, 'ws.close', { code: 1006, id, side: 'client', wasClean: false, why: 'ws-reset (fault entry 0)' });
  }
  /** The server closes the socket with `code` (4001: the token was revoked); the client's `close` event follows 30 ms later. */
  serverClose(t: number, id: string, code = 4001, reason = 'unauthorized'): TraceEvent {
    this.add(t, 'ws.closing', { code, id, reason, side: 'server' });
    return this.add(t + 30, 'ws.close', { code, id, reason, side: 'client', wasClean: true });
  }
  /** The client calls `close(code)`; the close completes `after` ms later. */
  clientClose(t: number, id: string, code = 1000, after = 40): TraceEvent {
    const closing = this.add(t, 'ws.closing', { code, id, side: 'client' });
    if (Number.isFinite(after)) this.add(t + after, 'ws.close', { code, id, side: 'client', wasClean: true });
    return closing;
  }
  /** A server frame sent 20 ms before it arrives at `t`. */
  frame(t: number, id: string, n: number, data = '{"type":"pong"}'): this {
    this.add(t - 20, 'ws.send', { data, dir: 'to-client', id, n });
    this.add(t, 'ws.recv', { dir: 'to-client', id, n });
    return this;
  }
  /** `http.request`; returns the exchange id. */
  request(t: number, method: string, conversation: string, node = 'c1'): string {
    const id = `${node}/http#${++this.http}`;
    this.add(t, 'http.request', { id, method, node, url: url(conversation) });
    return id;
  }
  /** A GET answered `after` ms later with `status` (served at the midpoint). */
  get(t: number, conversation: string, status = 200, after = 40, node = 'c1'): string {
    const id = this.request(t, 'GET', conversation, node);
    this.add(t + after / 2, 'http.serve', { id, method: 'GET', path: `/api/v1/consultations/${conversation}/messages` });
    this.add(t + after / 2, 'http.respond', { id, status, bytes: 20 });
    this.add(t + after, 'http.response', { id, status, bytes: 20 });
    return id;
  }
  /** A POST that the server stores as `messageId` (or answers as a duplicate). */
  post(t: number, conversation: string, content: string, cmid: string, messageId: string | null, node = 'c1', answered = true): string {
    const id = this.request(t, 'POST', conversation, node);
    const path = `/api/v1/consultations/${conversation}/messages`;
    this.add(t + 20, 'http.serve', { body: JSON.stringify({ content, clientMessageId: cmid }), id, method: 'POST', path });
    if (messageId)
      this.add(t + 20, 'server.log', {
        clientMessageId: cmid,
        content,
        conversation,
        id: messageId,
        msg: 'message.stored',
        role: 'user',
        timestamp: ts(t + 20),
      });
    else this.add(t + 20, 'server.log', { clientMessageId: cmid, msg: 'message.duplicate' });
    this.add(t + 20, 'http.respond', { id, status: messageId ? 201 : 200, bytes: 80 });
    if (answered) this.add(t + 40, 'http.response', { id, status: messageId ? 201 : 200, bytes: 80 });
    else this.add(t + 20, 'net.drop', { id, envelope: 'http.response', dir: 'to-client', reason: 'partition' });
    return id;
  }
  /** The server stores `messageId` at `t` (its timestamp: `ts(t)`, or `ts(at)`). */
  stored(t: number, conversation: string, messageId: string, role: 'user' | 'assistant' = 'assistant', at = t): TraceEvent {
    return this.add(t, 'server.log', {
      content: `text of ${messageId}`,
      conversation,
      id: messageId,
      msg: 'message.stored',
      role,
      timestamp: ts(at),
    });
  }
  /** The server pushes `messageId` over `socket` (sent at `t`, arriving 20 ms later). */
  pushed(t: number, socket: string, messageId: string, conversation: string, n: number): this {
    this.add(t, 'server.log', { conversation, id: messageId, msg: 'message.pushed', socket });
    return this.frame(t + 20, socket, n, JSON.stringify({ type: 'message', message: { id: messageId } }));
  }
  /** The end of fault `entry`. */
  faultEnd(t: number, entry: number, kind: string): this {
    this.add(t, 'fault.end', { entry, kind });
    return this;
  }
  fault(t: number, entry: number, kind: string, params: Record<string, unknown> = {}): this {
    this.add(t, 'fault.start', { entry, kind, ...params });
    return this;
  }
  heal(t: number): this {
    this.add(t, 'sim.heal');
    return this;
  }

  ctx(opts: { healAt?: number; endAt?: number; network?: ResolvedScenario['network'] } = {}): CheckContext {
    const sorted = this.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i);
    this.events.splice(0, this.events.length, ...sorted.map((x) => x.e));
    const last = this.events[this.events.length - 1]!;
    const endAt = opts.endAt ?? last.t;
    if (endAt > last.t) this.add(endAt, 'sim.end');
    this.events.forEach((e, i) => (e.seq = i));
    const healAt = opts.healAt ?? this.events.find((e) => e.ev === 'sim.heal')?.t ?? endAt;
    const scenario: ResolvedScenario = {
      protocol: 'chat',
      name: 'hand-built',
      description: '',
      seed: 1,
      duration: healAt,
      heal: endAt - healAt,
      clients: this.clients,
      network: opts.network ?? {},
      server: { variant: 'reference', options: {} },
      faults: [],
      actions: [],
      requirements: chatRequirements.map((r) => r.id),
      expect: {},
    };
    return { events: this.events, scenario, healAt, endAt };
  }
}

export function check(id: string, ctx: CheckContext): Finding {
  const req = chatRequirements.find((r) => r.id === id);
  if (!req) throw new Error(`no requirement ${id}`);
  return judge(req, ctx);
}

/** A conversation A opened at 0 on c1: history load http#1 and socket ws#1 (open at 40). */
export function openA(b = new TraceBuilder()): { b: TraceBuilder; ws: string } {
  b.open(0, 'A');
  const ws = b.connect(0, 'A');
  b.get(0, 'A');
  b.snap(0, 'A', [], 'c1', { connection: 'connecting' });
  b.add(20, 'ws.upgrade', { id: ws, path: '/api/v1/consultations/A/ws' });
  b.wsOpen(40, ws);
  b.snap(40, 'A', [{ id: 'm1', t: 0 }]);
  return { b, ws };
}

import { judge, type CheckContext, type Finding } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { mealLogRequirements } from '../../../src/reference/meal-log/requirements.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel records them (docs/trace-format.md). The default
// link is 20 ms each way, so T = 250 ms + 2 × 20 ms = 290 ms; H = 20 s; B = 120.29 s.

const listUrl = 'http://lockstep.test/api/v1/meal-logs?date=2025-01-15';
const submitUrl = 'http://lockstep.test/api/v1/meal-logs/natural';
const wsUrl = 'ws://lockstep.test/ws/meal-logs?token=***';

/** A meal as a snapshot shows it. */
export type Status = 'uploading' | 'processing' | 'completed' | 'failed';
export interface Meal {
  localId: string;
  id?: string;
  text?: string;
  status: Status;
}

export const processing = (localId = 'L1', id = 'ml-1'): Meal => ({ localId, id, status: 'processing' });
export const completed = (localId = 'L1', id = 'ml-1'): Meal => ({ localId, id, status: 'completed' });

export class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private ws = 0;
  private http = 0;
  private faults = 0;
  private frames = new Map<string, number>();

  constructor(readonly clients: string[] = ['c1']) {
    this.add(0, 'sim.start', { seed: 1, clients, origin: 'http://lockstep.test' });
  }

  add(t: number, ev: string, fields: Record<string, unknown> = {}): this {
    this.events.push({ t, seq: -1, ev, ...fields });
    return this;
  }
  action(t: number, what: string, args?: Record<string, unknown>, node = 'c1'): this {
    return this.add(t, 'client.action', { args, do: what, node });
  }
  view(t: number, node = 'c1'): this {
    return this.action(t, 'openNutritionView', undefined, node);
  }
  submit(t: number, text: string, node = 'c1'): this {
    return this.action(t, 'submitMeal', { text }, node);
  }
  snap(t: number, meals: Meal[], extra: Record<string, unknown> = {}, node = 'c1'): this {
    const state = {
      connection: 'connected',
      meals: meals.map((m) => ({ id: m.id ?? null, localId: m.localId, status: m.status, text: m.text ?? m.localId })),
      polling: false,
      verified: false,
      ...extra,
    };
    return this.add(t, 'client.snapshot', { node, state });
  }
  /** `ws.connect`; returns the socket id. */
  connect(t: number, node = 'c1'): string {
    const id = `${node}/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node, url: wsUrl });
    return id;
  }
  open(t: number, id: string): this {
    this.add(t - 20, 'ws.accept', { id });
    return this.add(t, 'ws.open', { id });
  }
  /** A server frame sent at t − 20 and arriving at t. */
  frame(t: number, id: string, data: unknown): this {
    const n = this.frames.get(id) ?? 0;
    this.frames.set(id, n + 1);
    this.add(t - 20, 'ws.send', { id, dir: 'to-client', n, data: JSON.stringify(data) });
    return this.add(t, 'ws.recv', { id, dir: 'to-client', n });
  }
  /** A completion pushed on a socket, arriving at t. */
  push(t: number, socket: string, id = 'ml-1', status: 'completed' | 'failed' = 'completed', localId = 'L1'): this {
    return this.frame(t, socket, {
      type: status === 'completed' ? 'meal_log_completed' : 'meal_log_failed',
      payload: { mealLog: { id, localId, status, userId: 'user-c1', rawInput: localId } },
    });
  }
  /** An open socket acknowledged by the server (`connected` arriving with the open, 40 ms after the connect). */
  verifiedSocket(t: number, node = 'c1'): string {
    const id = this.connect(t, node);
    this.open(t + 40, id);
    this.frame(t + 40, id, { type: 'connected', userId: `user-${node}` });
    return id;
  }
  /** A connect that fails (refused) after `after` ms. */
  failedSocket(t: number, after = 40, node = 'c1'): string {
    const id = this.connect(t, node);
    this.add(t + after, 'ws.fail', { id, reason: 'refused', status: 503 });
    return id;
  }
  close(t: number, id: string, code = 1006): this {
    return this.add(t, 'ws.close', { id, side: 'client', code, wasClean: false });
  }
  /** A listing GET: served 20 ms later, answered after `dur` (or failing). Returns the builder; the id is `c1/http#<n>`. */
  get(t: number, o: { node?: string; status?: number; dur?: number; fail?: boolean } = {}): this {
    this.getId(t, o);
    return this;
  }
  getId(t: number, o: { node?: string; status?: number; dur?: number; fail?: boolean } = {}): string {
    const node = o.node ?? 'c1';
    const id = `${node}/http#${++this.http}`;
    const dur = o.dur ?? 40;
    this.add(t, 'http.request', { id, node, method: 'GET', url: listUrl });
    if (o.fail) {
      this.add(t + dur, 'http.fail', { id, reason: 'timeout' });
      return id;
    }
    this.add(t + Math.min(20, dur / 2), 'http.serve', { id, method: 'GET', path: '/api/v1/meal-logs' });
    this.add(t + dur, 'http.response', { id, status: o.status ?? 200 });
    return id;
  }
  post(t: number, localId: string, rawInput: string, node = 'c1', status = 201): string {
    const id = `${node}/http#${++this.http}`;
    this.add(t, 'http.request', { id, node, method: 'POST', url: submitUrl });
    this.add(t + 20, 'http.serve', { id, method: 'POST', path: '/api/v1/meal-logs/natural', body: JSON.stringify({ localId, rawInput }) });
    this.add(t + 40, 'http.response', { id, status });
    return id;
  }
  /** An upload that a fault plan's edge (`http-status`) answers with `status`: the server never sees it. */
  edgePost(t: number, status: number, node = 'c1'): string {
    const id = `${node}/http#${++this.http}`;
    this.add(t, 'http.request', { id, node, method: 'POST', url: submitUrl });
    this.add(t + 20, 'http.edge', { id, status, entry: 0 });
    this.add(t + 40, 'http.response', { id, status, via: 'edge' });
    return id;
  }
  /** A `server-restart` fault: `lose` forgets every meal, local id and job. */
  serverRestart(t: number, state: 'keep' | 'lose'): this {
    return this.add(t, 'server.restart', { downtime: 1000, state, closeCode: 1012 });
  }
  created(t: number, id: string, localId: string, rawInput: string, request: string): this {
    return this.log(t, 'meal.created', { id, localId, rawInput, request, userId: 'user-c1' });
  }
  /** The user submits `text` at t; the upload (local id `localId`) is created as `id` at t + 20 and acknowledged at t + 40. */
  meal(t: number, text: string, localId = 'L1', id = 'ml-1'): this {
    this.submit(t, text);
    const p = this.post(t, localId, text);
    return this.created(t + 20, id, localId, text, p);
  }
  finish(t: number, id = 'ml-1', status: 'completed' | 'failed' = 'completed'): this {
    return this.log(t, 'meal.finished', { id, status, userId: 'user-c1' });
  }
  log(t: number, msg: string, fields: Record<string, unknown> = {}): this {
    return this.add(t, 'server.log', { ...fields, msg });
  }
  fault(start: number, end: number, kind: string, params: Record<string, unknown> = {}): this {
    const entry = this.faults++;
    this.add(start, 'fault.start', { entry, kind, ...params });
    return this.add(end, 'fault.end', { entry, kind });
  }
  offline(start: number, end: number): this {
    return this.fault(start, end, 'client-offline', { sockets: 'close' });
  }
  restart(t: number, node = 'c1'): this {
    this.action(t, 'restart', undefined, node);
    return this.add(t, 'client.restart', { node, incarnation: 1 });
  }

  ctx(healAt = 60_000, endAt = 240_000): CheckContext {
    const sorted = this.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i);
    const events = sorted.map(({ e }, seq) => ({ ...e, seq }));
    events.push({ t: healAt, seq: -1, ev: 'sim.heal' });
    const final = events.sort((a, b) => a.t - b.t || (a.seq === -1 ? 1 : 0) - (b.seq === -1 ? 1 : 0)).map((e, seq) => ({ ...e, seq }));
    const scenario: ResolvedScenario = {
      protocol: 'meal-log',
      name: 'hand-built',
      description: '',
      seed: 1,
      duration: healAt,
      heal: endAt - healAt,
      clients: this.clients,
      network: {},
      server: { variant: 'reference', options: {} },
      faults: [],
      actions: [],
      requirements: mealLogRequirements.map((r) => r.id),
      expect: {},
    };
    return { events: final, scenario, healAt, endAt };
  }
}

/** Judges one requirement on a hand-built trace. */
export function check(id: string, b: TraceBuilder, healAt?: number, endAt?: number): Finding {
  const req = mealLogRequirements.find((r) => r.id === id);
  if (!req) throw new Error(`no requirement ${id}`);
  return judge(req, b.ctx(healAt, endAt));
}

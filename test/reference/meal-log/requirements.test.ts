import { describe, expect, it } from 'vitest';
import { judge, type CheckContext, type Finding } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { mealLogRequirements } from '../../../src/reference/meal-log/requirements.js';
import { skipMessage } from '../../../src/reference/meal-log/server-core.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel records them (docs/trace-format.md). The default
// link is 20 ms each way, so T = 250 ms + 2 × 20 ms = 290 ms; H = 20 s; B = 90.29 s.

const listUrl = 'http://lockstep.test/api/v1/meal-logs?date=2025-01-15';
const submitUrl = 'http://lockstep.test/api/v1/meal-logs/natural';
const wsUrl = 'ws://lockstep.test/ws/meal-logs?token=***';

type Status = 'uploading' | 'processing' | 'completed' | 'failed';
interface Meal {
  localId: string;
  id?: string;
  text?: string;
  status: Status;
}

class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private ws = 0;
  private http = 0;
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
  submit(t: number, text: string, node = 'c1'): this {
    return this.action(t, 'submitMeal', { text }, node);
  }
  snap(t: number, meals: Meal[], extra: Record<string, unknown> = {}, node = 'c1'): this {
    const state = {
      connection: 'connected',
      meals: meals.map((m) => ({ id: m.id ?? null, localId: m.localId, status: m.status, text: m.text ?? m.localId })),
      metrics: { averageLatency: 0, connectionAttempts: 1, failedConnections: 0, messagesReceived: 0, successfulConnections: 0 },
      outbox: 0,
      polling: false,
      pollingInterval: null,
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
  /** An open socket acknowledged by the server (`connected` arriving with the open). */
  verifiedSocket(t: number, node = 'c1'): string {
    const id = this.connect(t, node);
    this.open(t + 40, id);
    this.frame(t + 40, id, { type: 'connected', userId: `user-${node}` });
    return id;
  }
  close(t: number, id: string, code = 1006): this {
    return this.add(t, 'ws.close', { id, side: 'client', code, wasClean: false });
  }
  serverClose(t: number, id: string): this {
    return this.add(t, 'ws.close', { id, side: 'server', code: 1006, wasClean: false });
  }
  /** A GET of the listing: served 20 ms later, answered after `dur` (or failing). */
  get(t: number, o: { node?: string; status?: number; dur?: number; fail?: boolean } = {}): this {
    const node = o.node ?? 'c1';
    const id = `${node}/http#${++this.http}`;
    const dur = o.dur ?? 40;
    this.add(t, 'http.request', { id, node, method: 'GET', url: listUrl });
    if (o.fail) return this.add(t + dur, 'http.fail', { id, reason: 'timeout' });
    this.add(t + 20, 'http.serve', { id, method: 'GET', path: '/api/v1/meal-logs' });
    return this.add(t + dur, 'http.response', { id, status: o.status ?? 200 });
  }
  post(t: number, localId: string, rawInput: string, node = 'c1'): string {
    const id = `${node}/http#${++this.http}`;
    this.add(t, 'http.request', { id, node, method: 'POST', url: submitUrl });
    this.add(t + 20, 'http.serve', { id, method: 'POST', path: '/api/v1/meal-logs/natural', body: JSON.stringify({ localId, rawInput }) });
    this.add(t + 40, 'http.response', { id, status: 201 });
    return id;
  }
  created(t: number, id: string, localId: string, rawInput: string, request: string): this {
    return this.log(t, 'meal.created', { id, localId, rawInput, request, userId: 'user-c1' });
  }
  log(t: number, msg: string, fields: Record<string, unknown> = {}): this {
    return this.add(t, 'server.log', { ...fields, msg });
  }
  fault(start: number, end: number, entry: number, kind: string, params: Record<string, unknown> = {}): this {
    this.add(start, 'fault.start', { entry, kind, ...params });
    return this.add(end, 'fault.end', { entry, kind });
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

function check(id: string, b: TraceBuilder, healAt?: number, endAt?: number): Finding {
  const req = mealLogRequirements.find((r) => r.id === id)!;
  return judge(req, b.ctx(healAt, endAt));
}

const processing = (localId = 'L1', id = 'ml-1'): Meal => ({ localId, id, status: 'processing' });
const completed = (localId = 'L1', id = 'ml-1'): Meal => ({ localId, id, status: 'completed' });

describe('the meal-log catalogue', () => {
  it('has MEAL-1 … MEAL-12, each with a level, one sentence, a source section and a checker', () => {
    expect(mealLogRequirements.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => `MEAL-${i + 1}`));
    expect(mealLogRequirements.filter((r) => r.level === 'SHOULD').map((r) => r.id)).toEqual(['MEAL-8', 'MEAL-10']);
    expect(mealLogRequirements.find((r) => r.id === 'MEAL-6')!.subject).toBe('server');
    for (const r of mealLogRequirements) {
      expect(r.source).toMatch(/^meal-log-websocket-connection-timing\.md § /);
      expect(typeof r.check).toBe('function');
    }
  });

  it('never throws on a trace it does not understand', () => {
    const b = new TraceBuilder();
    b.add(5, 'ws.connect', { id: 7 })
      .add(6, 'client.snapshot', { node: 'c1', state: 'garbage' })
      .add(7, 'server.log', { msg: 'meal.created' });
    b.add(8, 'http.request', { id: 'c1/http#9', node: 'c1', method: 'GET', url: listUrl });
    for (const r of mealLogRequirements) expect(['pass', 'not-exercised']).toContain(judge(r, b.ctx()).verdict);
  });
});

describe('MEAL-1: one socket, no connect while connecting', () => {
  it('fails a second connect while the first socket is still open', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.connect(1000);
    const f = check('MEAL-1', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`while ${a} (connected at 0.0 s, open since 0.04 s) was still open`);
  });
  it('passes a reconnect after the first socket closed', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.close(500, a);
    b.verifiedSocket(1500);
    expect(check('MEAL-1', b).verdict).toBe('pass');
  });
});

describe('MEAL-2: verified only after a server message', () => {
  it('fails a snapshot that shows the socket verified when it opened, before any server frame', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.open(40, a).snap(40, [], { verified: true }).frame(60, a, { type: 'connected', userId: 'user-c1' });
    const f = check('MEAL-2', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('had not received any server message yet');
  });
  it('fails a snapshot that still shows a closed socket as verified', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.snap(40, [], { verified: true })
      .close(5000, a)
      .snap(5000, [], { verified: true, metrics: { messagesReceived: 2 } });
    expect(check('MEAL-2', b).evidence).toContain('was already closed with 1006');
  });
  it('passes verification after the connected frame', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.snap(40, [], { verified: true });
    expect(check('MEAL-2', b).verdict).toBe('pass');
  });
});

describe('MEAL-3: no poll while verified', () => {
  it('fails a poll while the first socket is verified and healthy', () => {
    const b = new TraceBuilder();
    b.get(0);
    b.verifiedSocket(0);
    b.snap(100, [processing()]).get(10_000);
    const f = check('MEAL-3', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('polled (c1/http#2 GET /api/v1/meal-logs) at 10.0 s while c1/ws#1 was verified since 0.04 s');
  });
  it('passes a catch-up load right after verification, and polls once the socket closed', () => {
    const b = new TraceBuilder();
    b.get(0);
    const a = b.verifiedSocket(0);
    b.get(500).close(5000, a).snap(5000, [processing()], { verified: false }).get(10_000);
    expect(check('MEAL-3', b).verdict).toBe('pass');
  });
});

describe('MEAL-4: every meal reaches its final status in the view', () => {
  const base = (): TraceBuilder => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.submit(1000, 'eggs');
    const p = b.post(1000, 'L1', 'eggs');
    b.created(1020, 'ml-1', 'L1', 'eggs', p).snap(1040, [processing()], { verified: true });
    return b.log(27_000, 'meal.finished', { id: 'ml-1', status: 'completed', userId: 'user-c1' });
  };
  it('fails a meal still shown as processing B after the heal', () => {
    const f = check('MEAL-4', base());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('meal ml-1 ("eggs") was completed on the server at 27.0 s, but at 150.29 s');
    expect(f.evidence).toContain('showed it as processing');
  });
  it('fails a submitted meal that never reached the server', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'toast');
    expect(check('MEAL-4', b).evidence).toContain('the meal "toast" that c1 submitted at 1.0 s never reached the server');
  });
  it('passes a meal shown completed', () => {
    expect(check('MEAL-4', base().snap(27_100, [completed()], { verified: true })).verdict).toBe('pass');
  });
});

describe('MEAL-5: polling stops when nothing is processing', () => {
  it('fails a poll while the view shows no meal processing', () => {
    const b = new TraceBuilder();
    b.get(0).snap(100, [completed()], { verified: false }).get(20_000);
    const f = check('MEAL-5', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('although no meal was processing in its view (since 0.1 s)');
  });
  it('passes polls while a meal is processing', () => {
    const b = new TraceBuilder();
    b.get(0).snap(100, [processing()], { verified: false }).get(5100).snap(5200, [completed()]);
    expect(check('MEAL-5', b).verdict).toBe('pass');
  });
});

describe('MEAL-6 (server): the registry and lost completions', () => {
  const finished = (b: TraceBuilder, t: number) => b.log(t, 'meal.finished', { id: 'ml-1', status: 'completed', userId: 'user-c1' });
  it('fails a skip while an acknowledged socket of the user is open (the document\u2019s bug)', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(300);
    finished(b, 26_000).log(26_000, skipMessage, { mealLogId: 'ml-1', userId: 'user-c1' });
    const f = check('MEAL-6', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'reported user user-c1 as not connected for meal ml-1 at 26.0 s and skipped the notification, but it had acknowledged c1/ws#1 at 0.32 s',
    );
  });
  it('fails a completion not sent when the user connects again', () => {
    const b = new TraceBuilder();
    finished(b, 26_000).log(26_000, 'notification.deferred', { mealLogId: 'ml-1', userId: 'user-c1' });
    b.verifiedSocket(30_000);
    expect(check('MEAL-6', b).evidence).toContain('was not sent when the user connected again (c1/ws#1 acknowledged at 30.02 s)');
  });
  it('fails a skipped completion that is never sent', () => {
    const b = new TraceBuilder();
    finished(b, 26_000).log(26_000, skipMessage, { mealLogId: 'ml-1', userId: 'user-c1' });
    expect(check('MEAL-6', b).evidence).toContain('never sent it: the completion was lost');
  });
  it('passes a completion kept and sent on the next registration, and one pushed at once', () => {
    const b = new TraceBuilder();
    finished(b, 26_000).log(26_000, 'notification.deferred', { mealLogId: 'ml-1', userId: 'user-c1' });
    const a = b.verifiedSocket(30_000);
    // sent in the instant of the acknowledgement (30.02 s), right after it
    b.frame(30_040, a, { type: 'meal_log_completed', payload: { mealLog: { id: 'ml-1' } } });
    b.log(50_000, 'meal.finished', { id: 'ml-2', status: 'failed', userId: 'user-c1' }).frame(50_020, a, {
      type: 'meal_log_failed',
      payload: { mealLog: { id: 'ml-2' } },
    });
    // the frame's ws.send is 20 ms before its arrival, so at 50 s exactly: notified in the same instant
    expect(check('MEAL-6', b).verdict).toBe('pass');
  });
  it('fails a finished meal neither notified nor reported', () => {
    const b = new TraceBuilder();
    expect(check('MEAL-6', finished(b, 26_000)).evidence).toContain('neither notified a connection nor reported the user as not connected');
  });
});

describe('MEAL-7: each meal created exactly once', () => {
  it('fails a meal created twice (a retry under a new local id)', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'eggs');
    b.created(1020, 'ml-1', 'L1', 'eggs', 'c1/http#1').created(16_000, 'ml-2', 'L2', 'eggs', 'c1/http#2');
    const f = check('MEAL-7', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'created the meal "eggs" that c1 submitted once 2 times: ml-1 (local id L1) at 1.02 s, ml-2 (local id L2) at 16.0 s',
    );
  });
  it('passes a retry the server recognised as a duplicate', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'eggs');
    b.created(1020, 'ml-1', 'L1', 'eggs', 'c1/http#1').log(16_000, 'meal.duplicate', { id: 'ml-1', localId: 'L1' });
    expect(check('MEAL-7', b).verdict).toBe('pass');
  });
});

describe('MEAL-8 (SHOULD): adaptive polling', () => {
  const polls = (gaps: number[]): TraceBuilder => {
    const b = new TraceBuilder();
    b.get(0).snap(100, [processing()]);
    let t = 5000;
    b.get(t);
    for (const g of gaps) {
      t += 40 + g;
      b.get(t);
    }
    return b;
  };
  it('fails polls that keep a 5 s interval after 3 unchanged polls', () => {
    const f = check('MEAL-8', polls([5000, 5000, 5000]));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('after 3 unchanged polls the interval should have been 7.5 s');
  });
  it('passes 5, 5, 5, then ×1.5 up to the cap', () => {
    expect(check('MEAL-8', polls([5000, 5000, 7500, 11_250, 16_875, 25_312.5, 30_000])).verdict).toBe('pass');
  });
  it('expects 5 s again after a poll during which a meal became final', () => {
    const b = polls([5000, 5000, 7500]);
    b.snap(100, [processing(), processing('L2', 'ml-2')]);
    b.snap(22_660, [completed(), processing('L2', 'ml-2')]);
    // the 4th poll (22.62 s) changed something: the next gap must be 5 s, not 11.25 s
    b.get(22_660 + 5000);
    expect(check('MEAL-8', b).verdict).toBe('pass');
  });
});

describe('MEAL-9: reconnect with backoff; a verified reconnect stops polling', () => {
  it('fails a reconnect sooner than the backoff', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.close(100, a).connect(400);
    const f = check('MEAL-9', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'reconnected (c1/ws#2) 300 ms after c1/ws#1 closed with 1006 at 0.1 s; after 0 earlier consecutive failures the backoff is 1.0 s',
    );
  });
  it('fails a client that never reconnects', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.close(10_000, a);
    expect(check('MEAL-9', b).evidence).toContain('never reconnected after c1/ws#1 closed with 1006 at 10.0 s');
  });
  it('fails a poll while a reconnected socket is verified', () => {
    const b = new TraceBuilder();
    b.get(0);
    const a = b.connect(0);
    b.close(100, a).snap(100, [processing()], { verified: false });
    b.verifiedSocket(1100);
    b.get(5000);
    expect(check('MEAL-9', b).evidence).toContain('while c1/ws#2 (a reconnect) was verified since 1.14 s');
  });
  it('passes 1 s, then 2 s, then a verified socket', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.close(100, a);
    const c = b.connect(1100);
    b.close(1200, c);
    b.verifiedSocket(3200);
    expect(check('MEAL-9', b).verdict).toBe('pass');
  });
  it('exempts the reconnect of a device coming back online', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.fault(5000, 8000, 0, 'client-offline').close(5000, a).verifiedSocket(8000);
    expect(check('MEAL-9', b).verdict).toBe('pass');
  });
});

describe('MEAL-10 (SHOULD): a submission waits for a connection in progress', () => {
  it('fails an upload while the socket is still connecting', () => {
    const b = new TraceBuilder();
    b.connect(0);
    b.submit(100, 'eggs').post(100, 'L1', 'eggs');
    const f = check('MEAL-10', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'uploaded "eggs" (c1/http#1 POST /api/v1/meal-logs/natural) at 0.1 s, 0 ms after the submission, while c1/ws#1 was still connecting',
    );
  });
  it('passes an upload after the socket was verified', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.submit(100, 'eggs').open(500, a).frame(500, a, { type: 'connected', userId: 'user-c1' }).post(500, 'L1', 'eggs');
    expect(check('MEAL-10', b).verdict).toBe('pass');
  });
});

describe('MEAL-11: polling while processing and not verified', () => {
  it('fails a client that does not poll while its meal processes without a verified socket', () => {
    const b = new TraceBuilder();
    b.get(0).snap(1000, [processing()]).snap(20_000, [completed()]);
    const f = check('MEAL-11', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('a meal was processing with no verified socket from 1.0 s, but no listing request started by 6.29 s');
  });
  it('fails polls that stop while the meal is still processing', () => {
    const b = new TraceBuilder();
    b.get(0).snap(1000, [processing()]).get(6000).snap(90_000, [completed()]);
    expect(check('MEAL-11', b).evidence).toContain('its last listing request (c1/http#2 GET /api/v1/meal-logs) started at 6.0 s');
  });
  it('passes polling every 5 s, and time offline does not count', () => {
    const b = new TraceBuilder();
    b.get(0)
      .snap(1000, [processing()])
      .get(6000)
      .get(11_000)
      .fault(12_000, 50_000, 0, 'client-offline')
      .get(50_000)
      .snap(52_000, [completed()]);
    expect(check('MEAL-11', b).verdict).toBe('pass');
  });
});

describe('MEAL-12: connect before uploading', () => {
  it('fails an upload before the first connect of the app launch (the document\u2019s timeline)', () => {
    const b = new TraceBuilder();
    b.submit(0, 'eggs').post(0, 'L1', 'eggs');
    b.connect(300);
    const f = check('MEAL-12', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('before opening any WebSocket (it connected only at 0.3 s)');
  });
  it('judges every incarnation: after a restart the client connects again first', () => {
    const b = new TraceBuilder();
    b.connect(0);
    b.post(100, 'L1', 'eggs');
    b.restart(5000).post(5000, 'L1', 'eggs');
    expect(check('MEAL-12', b).verdict).toBe('fail');
    const ok = new TraceBuilder();
    ok.connect(0);
    ok.post(100, 'L1', 'eggs');
    ok.restart(5000).connect(5000);
    ok.post(5000, 'L1', 'eggs');
    expect(check('MEAL-12', ok).verdict).toBe('pass');
  });
});

import { describe, expect, it } from 'vitest';
import {
  createMealLogState,
  handleFrame,
  handleHttp,
  recoverState,
  resolveMealLogConfig,
  userOf,
} from '../../../src/reference/meal-log/server-core.js';
import {
  MealLogServerOptionsError,
  createMealLogServer,
  parseMealLogServerOptions,
  skipMessage,
  type MealLogServerOptions,
} from '../../../src/reference/meal-log/server.js';
import type { MealLogServerDecisions } from '../../../src/reference/meal-log/server.js';
import { mealLogServerVariants } from '../../../src/reference/meal-log/variants.js';
import {
  mealLogPaths,
  parseMealLogList,
  parseServerFrame,
  parseSubmitAck,
  type MealLog,
  type MealLogServerFrame,
} from '../../../src/reference/meal-log/wire.js';
import { Random } from '../../../src/sim/random.js';
import { Simulation } from '../../../src/sim/simulation.js';
import type { TraceEvent } from '../../../src/sim/trace.js';
import type { SimWebSocket } from '../../../src/sim/transport/websocket.js';

// A small hand-written client drives the server through the simulated network. Default
// link: 20 ms each way: a request sent at t is served at t+20 and answered at t+40; a
// socket opened at t is accepted (and acknowledged) at t+20 and open at t+40.

function setup(options: MealLogServerOptions = {}, decisions: Partial<MealLogServerDecisions> = {}, faults: unknown[] = []): Simulation {
  return new Simulation({ seed: 7, server: createMealLogServer(options, decisions), clients: ['c1', 'c2'], faults });
}

interface Reply {
  at: number;
  status?: number;
  body?: unknown;
}

function request(sim: Simulation, t: number, path: string, o: { node?: string; body?: unknown; token?: string | null } = {}): Reply {
  const out: Reply = { at: -1 };
  const node = o.node ?? 'c1';
  sim.at(t, node, 'test-request', () => {
    const env = sim.env(node);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = o.token === undefined ? env.token : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    void env.fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, body }).then(async (r) => {
      out.at = sim.now;
      out.status = r.status;
      const text = await r.text();
      out.body = text ? JSON.parse(text) : undefined;
    });
  });
  return out;
}

const submit = (sim: Simulation, t: number, localId: string, rawInput = `meal ${localId}`, node = 'c1') =>
  request(sim, t, mealLogPaths.submit, { node, body: { localId, rawInput } });
const list = (sim: Simulation, t: number, node = 'c1') => request(sim, t, mealLogPaths.list('2025-01-15'), { node });

interface Socket {
  frames: { at: number; frame: MealLogServerFrame }[];
  log: string[];
  ws?: SimWebSocket;
}

function connect(sim: Simulation, t: number, node = 'c1'): Socket {
  const s: Socket = { frames: [], log: [] };
  sim.at(t, node, 'test-connect', () => {
    const env = sim.env(node);
    const ws = new env.WebSocket(mealLogPaths.socket(env.token));
    s.ws = ws;
    ws.onopen = () => s.log.push(`${sim.now} open`);
    ws.onclose = (e) => s.log.push(`${sim.now} close ${e.code}`);
    ws.onmessage = (e) => s.frames.push({ at: sim.now, frame: parseServerFrame(e.data) });
  });
  return s;
}

const types = (s: Socket) => s.frames.map((f) => f.frame.type);
const logs = (sim: Simulation, msg: string): TraceEvent[] => sim.trace.events().filter((e) => e.ev === 'server.log' && e.msg === msg);
const meals = (r: Reply): MealLog[] => {
  expect(r.status).toBe(200);
  return parseMealLogList(r.body);
};

describe('meal-log server options', () => {
  it('accepts the documented shapes and rejects mistakes with the field, what was expected and what was found', () => {
    expect(parseMealLogServerOptions({ processing: 26000, failureRate: 0, registrationDelay: 5000 }, 'x')).toEqual({
      processing: 26000,
      failureRate: 0,
      registrationDelay: 5000,
    });
    expect(parseMealLogServerOptions({ processing: { kind: 'uniform', min: 1000, max: 2000 } }, 'x').processing).toEqual({
      kind: 'uniform',
      min: 1000,
      max: 2000,
    });
    let err: MealLogServerOptionsError | undefined;
    try {
      parseMealLogServerOptions({ procesing: 1, failureRate: 2, processing: { kind: 'uniform', min: 5, max: 1 } }, 'scenario.yaml');
    } catch (e) {
      err = e as MealLogServerOptionsError;
    }
    expect(err).toBeInstanceOf(MealLogServerOptionsError);
    expect(err!.problems.map((p) => p.field)).toEqual(['procesing', 'processing.max', 'failureRate']);
    expect(err!.message).toContain('did you mean "processing"?');
    expect(err!.message).toContain('field "failureRate": expected a probability from 0 to 1, found the number 2');
    expect(() => parseMealLogServerOptions({ processing: { kind: 'gamma' } }, 'x')).toThrow(
      /processing.kind.*one of fixed, uniform, lognormal/,
    );
  });

  it('reports bad options of a scenario under server.options', async () => {
    const { loadScenarioFile } = await import('../../../src/conformance/scenario.js');
    const { protocols } = await import('../../../src/conformance/registry.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'meal-log-')), 'bad.yaml');
    writeFileSync(file, 'protocol: meal-log\nserver: { options: { failureRate: -1 } }\n');
    expect(() => loadScenarioFile(file, protocols)).toThrow(
      /field "server.options.failureRate": expected a probability from 0 to 1, found the number -1/,
    );
  });
});

describe('the meal-log reference server', () => {
  it('creates a meal (201, processing), answers a repeated local id with the same meal (200), and lists it', async () => {
    const sim = setup({ processing: 26000, failureRate: 0 });
    const first = submit(sim, 0, 'L1', 'two eggs and toast');
    const again = submit(sim, 100, 'L1', 'two eggs and toast');
    const other = submit(sim, 100, 'L1', 'same local id, other user', 'c2');
    const before = list(sim, 200);
    const after = list(sim, 27000);
    await sim.run(30000);
    expect(first.status).toBe(201);
    const meal = parseSubmitAck(first.body);
    expect(meal).toMatchObject({ localId: 'L1', userId: 'user-c1', rawInput: 'two eggs and toast', status: 'processing' });
    expect(again.status).toBe(200);
    expect(parseSubmitAck(again.body).id).toBe(meal.id);
    expect(other.status).toBe(201);
    expect(parseSubmitAck(other.body).id).not.toBe(meal.id);
    expect(meals(before).map((m) => [m.id, m.status])).toEqual([[meal.id, 'processing']]);
    expect(meals(after)[0]).toMatchObject({ id: meal.id, status: 'completed' });
    expect(meals(after)[0]!.nutrition?.calories).toBeGreaterThan(0);
    expect(logs(sim, 'meal.created')).toHaveLength(2);
    expect(logs(sim, 'meal.duplicate')).toHaveLength(1);
  });

  it('rejects a bad body (400, naming the field), an unknown token (401) and other methods (405)', async () => {
    const sim = setup();
    const bad = request(sim, 0, mealLogPaths.submit, { body: { localId: 'x' } });
    const noToken = request(sim, 0, mealLogPaths.list(), { token: null });
    const stranger = request(sim, 0, mealLogPaths.list(), { token: 'someone-else' });
    const badDate = request(sim, 0, '/api/v1/meal-logs?date=yesterday');
    await sim.run(1000);
    expect(bad.status).toBe(400);
    expect((bad.body as { reason: string }).reason).toContain('"rawInput" must be a non-empty string');
    expect(noToken.status).toBe(401);
    expect(stranger.status).toBe(401);
    expect(badDate.status).toBe(400);
    const st = createMealLogState();
    const out = handleHttp(
      st,
      resolveMealLogConfig(),
      { id: 'c1/http#1', method: 'DELETE', path: mealLogPaths.submit, query: new URLSearchParams(), token: 'token-c1', body: '' },
      { now: 0, timestamp: '2025-01-15T09:00:00.000Z' },
      new Random(1, 'server'),
    );
    expect(out.result.status).toBe(405);
    expect(userOf('token-c1')).toBe('user-c1');
    expect(userOf('nope')).toBeUndefined();
  });

  it('registers a socket before acknowledging it, answers pings, and pushes the completion to it', async () => {
    const sim = setup({ processing: 10000, failureRate: 0 });
    const s = connect(sim, 0);
    submit(sim, 1000, 'L1');
    sim.at(2000, 'c1', 'ping', () => s.ws!.send(JSON.stringify({ type: 'ping' })));
    await sim.run(15000);
    expect(types(s)).toEqual(['connected', 'pong', 'meal_log_completed']);
    const events = sim.trace.events();
    const registered = events.findIndex((e) => e.ev === 'server.log' && e.msg === 'ws.registered');
    const ack = events.findIndex((e) => e.ev === 'ws.send' && e.dir === 'to-client' && String(e.data).includes('"connected"'));
    expect(registered).toBeGreaterThan(-1);
    expect(registered).toBeLessThan(ack);
    const done = s.frames[2]!;
    expect(done.at).toBe(1020 + 10000 + 20);
    expect(done.frame.type === 'meal_log_completed' && done.frame.payload.mealLog.status).toBe('completed');
    expect(logs(sim, 'notification.sent')).toHaveLength(1);
  });

  it('keeps a completion that finds no connection and sends it right after the next registration', async () => {
    const sim = setup({ processing: 5000, failureRate: 1 });
    submit(sim, 0, 'L1');
    const s = connect(sim, 20000);
    await sim.run(25000);
    expect(logs(sim, 'notification.deferred').map((e) => e.mealLogId)).toEqual(['ml-1']);
    expect(logs(sim, skipMessage)).toEqual([]);
    expect(types(s)).toEqual(['connected', 'meal_log_failed']);
    expect(s.frames[1]!.at).toBe(20040);
    expect(logs(sim, 'notification.sent')[0]).toMatchObject({ mealLogId: 'ml-1', deferred: true });
  });

  it('draws the processing time from a distribution around 26 s by default, ending in completed or failed', async () => {
    const sim = setup({ failureRate: 0.5 });
    for (let i = 0; i < 40; i++) submit(sim, i, `L${i}`);
    await sim.run(60000);
    const created = new Map(logs(sim, 'ai.processing').map((e) => [e.id, (e.dueAt as number) - e.t]));
    const durations = [...created.values()].sort((a, b) => a - b);
    expect(durations).toHaveLength(40);
    expect(durations[0]).toBeGreaterThan(18000);
    expect(durations[39]).toBeLessThanOrEqual(40000);
    expect(durations[20]).toBeGreaterThan(24000);
    expect(durations[20]).toBeLessThan(28000);
    const statuses = new Set(logs(sim, 'meal.finished').map((e) => e.status));
    expect(statuses).toEqual(new Set(['completed', 'failed']));
  });

  it('re-arms processing after a restart that kept state; the completion reaches the next connection', async () => {
    const sim = setup({ processing: 10000, failureRate: 0 }, {}, [
      { kind: 'server-restart', at: 5000, downtime: 8000, state: 'keep', closeCode: 1012 },
    ]);
    const s1 = connect(sim, 0);
    submit(sim, 1000, 'L1');
    const s2 = connect(sim, 14000);
    await sim.run(20000);
    expect(types(s1)).toEqual(['connected']);
    expect(s1.log).toContain('5020 close 1012');
    expect(logs(sim, 'ai.rearmed')).toHaveLength(1);
    // Overdue at 13 s (the server was down): finished at once, kept, sent on the next registration.
    expect(logs(sim, 'notification.deferred')).toHaveLength(1);
    expect(types(s2)).toEqual(['connected', 'meal_log_completed']);
  });

  it('keeps a live socket registered after overlapping restarts (the server comes back once, after the later downtime)', async () => {
    const sim = setup({ processing: 20000, failureRate: 0 }, {}, [
      { kind: 'server-restart', at: 1000, downtime: 3000, state: 'keep' },
      { kind: 'server-restart', at: 2000, downtime: 4000, state: 'keep' },
    ]);
    submit(sim, 0, 'L1');
    const s = connect(sim, 6500);
    await sim.run(25000);
    expect(
      sim.trace
        .events()
        .filter((e) => e.ev === 'server.up')
        .map((e) => e.t),
    ).toEqual([6000]);
    expect(types(s)).toEqual(['connected', 'meal_log_completed']);
    expect(logs(sim, 'notification.deferred')).toEqual([]);
  });

  it('ignores frames it does not understand, and recovery drops registrations of sockets that are gone', () => {
    expect(handleFrame('s', '{"type":"ping"}', false).result).toEqual({ type: 'pong' });
    expect(handleFrame('s', new TextEncoder().encode('{"type":"ping"}'), true).result).toEqual({ type: 'pong' });
    expect(handleFrame('s', new Uint8Array([0xff, 0xfe]), true).effects[0]).toMatchObject({
      fields: { reason: 'binary frame that is not UTF-8' },
    });
    expect(handleFrame('s', 'nope', false).effects[0]).toMatchObject({ event: 'frame.ignored', fields: { reason: 'not JSON' } });
    const st = createMealLogState();
    st.registry.set('user-c1', ['c1/ws#1', 'c1/ws#2']);
    st.acknowledged.set('c1/ws#1', 'user-c1').set('c1/ws#2', 'user-c1');
    recoverState(st, new Set(['c1/ws#2']));
    expect([...st.registry]).toEqual([['user-c1', ['c1/ws#2']]]);
    expect([...st.acknowledged.keys()]).toEqual(['c1/ws#2']);
  });
});

describe('the faulty meal-log servers', () => {
  it('late-registration acknowledges at once, registers only after registrationDelay, and skips the notification meanwhile', async () => {
    const sim = setup({ processing: 26000, failureRate: 0 }, mealLogServerVariants['late-registration']!.decisions);
    submit(sim, 0, 'L1');
    const s = connect(sim, 300);
    const listed = list(sim, 27000);
    submit(sim, 31000, 'L2');
    await sim.run(60000);
    expect(s.frames[0]).toMatchObject({ at: 340, frame: { type: 'connected' } });
    const skip = logs(sim, skipMessage);
    expect(skip.map((e) => [e.t, e.mealLogId, e.userId])).toEqual([[26020, 'ml-1', 'user-c1']]);
    expect(logs(sim, 'ws.registered')[0]!.t).toBe(30320);
    // The listing shows the outcome even though the socket never did.
    expect(meals(listed)[0]!.status).toBe('completed');
    expect(types(s)).toEqual(['connected', 'meal_log_completed']);
    expect((s.frames[1]!.frame as { payload: { mealLog: MealLog } }).payload.mealLog.id).toBe('ml-2');
  });

  it('forgets-pending registers correctly but drops a completion for a user who is not connected', async () => {
    const sim = setup({ processing: 5000, failureRate: 0 }, mealLogServerVariants['forgets-pending']!.decisions);
    submit(sim, 0, 'L1');
    const s = connect(sim, 10000);
    submit(sim, 11000, 'L2');
    await sim.run(20000);
    expect(logs(sim, skipMessage).map((e) => e.mealLogId)).toEqual(['ml-1']);
    expect(types(s)).toEqual(['connected', 'meal_log_completed']);
    expect((s.frames[1]!.frame as { payload: { mealLog: MealLog } }).payload.mealLog.id).toBe('ml-2');
  });
});

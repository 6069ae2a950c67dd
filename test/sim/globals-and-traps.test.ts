import http, { request as namedHttpRequest } from 'node:http';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import type { ClientEnv } from '../../src/sim/client-node.js';
import { Random } from '../../src/sim/random.js';
import { defaultStartTime, Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import { SimulationStopped } from '../../src/sim/stopped.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';

/** Everything installGlobals may touch, with the descriptors as they are now. */
function snapshotGlobals() {
  const g = globalThis as Record<string, unknown>;
  const keys = [
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'Date',
    'performance',
    'fetch',
    'WebSocket',
    'CloseEvent',
  ];
  return {
    globals: Object.fromEntries(keys.map((k) => [k, Object.getOwnPropertyDescriptor(g, k)])),
    mathRandom: Object.getOwnPropertyDescriptor(Math, 'random'),
    abortTimeout: Object.getOwnPropertyDescriptor(AbortSignal, 'timeout'),
    http: [http.request, http.get, https.request, https.get],
  };
}

/** A server with an items API and an echo socket. */
const server: SimulationOptions['server'] = (env) => {
  const items: string[] = [];
  return {
    http: (req) => {
      if (req.method === 'POST') items.push(req.body);
      return jsonResponse(200, { items, now: env.Date.now() });
    },
    connection: (socket) => socket.on('message', (d) => socket.send(`echo:${String(d)}`)),
  };
};

async function stoppedBy(run: Promise<void>): Promise<SimulationStopped> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SimulationStopped);
  return err as SimulationStopped;
}

describe('installed globals', () => {
  it('replace timers, Date, performance, fetch, WebSocket, Math.random and AbortSignal.timeout, and restore them exactly', () => {
    const before = snapshotGlobals();
    const realRandom = Math.random;
    const sim = new Simulation({ seed: 1, server });
    const env = sim.env('c1');
    const restore = sim.installGlobals('c1');
    try {
      expect(globalThis.setTimeout).toBe(env.setTimeout);
      expect(globalThis.clearTimeout).toBe(env.clearTimeout);
      expect(globalThis.setInterval).toBe(env.setInterval);
      expect(globalThis.clearInterval).toBe(env.clearInterval);
      expect(globalThis.Date).toBe(env.Date);
      expect(globalThis.performance).toBe(env.performance);
      expect(globalThis.fetch).toBe(env.fetch);
      expect((globalThis as Record<string, unknown>).WebSocket).toBe(env.WebSocket);
      expect(Math.random).not.toBe(realRandom);
      expect(AbortSignal.timeout).not.toBe(before.abortTimeout!.value);
      expect(Date.now()).toBe(defaultStartTime);
      expect(performance.now()).toBe(0);
    } finally {
      restore();
    }
    expect(snapshotGlobals()).toEqual(before);
    expect(Math.random).toBe(realRandom);
    expect(globalThis.setTimeout).toBe(before.globals.setTimeout!.value);
    // performance is an accessor on Node's global: the getter itself is back.
    expect(Object.getOwnPropertyDescriptor(globalThis, 'performance')!.get).toBe(before.globals.performance!.get);
  });

  it('withGlobals restores everything when the body throws or rejects, and passes the error on', async () => {
    const before = snapshotGlobals();
    const sim = new Simulation({ seed: 1, server });
    await expect(
      sim.withGlobals('c1', () => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(snapshotGlobals()).toEqual(before);
    await expect(
      sim.withGlobals('c1', async () => {
        setTimeout(() => {}, 10);
        await sim.run(5);
        throw new Error('async boom');
      }),
    ).rejects.toThrow('async boom');
    expect(snapshotGlobals()).toEqual(before);
    // ... and when the run itself is stopped by a guard.
    await expect(
      sim.withGlobals('c1', async () => {
        // Timers that start more timers: a storm no browser clamp contains.
        const storm = (): void => void setTimeout(() => (storm(), storm()), 0);
        storm();
        await sim.run(10_000);
      }),
    ).rejects.toBeInstanceOf(SimulationStopped);
    expect(snapshotGlobals()).toEqual(before);
    expect(await sim.withGlobals('c1', () => 42)).toBe(42);
  });

  it('refuses to install twice, naming the node that has them', () => {
    const sim = new Simulation({ seed: 1, clients: ['c1', 'c2'] });
    const restore = sim.installGlobals('c2');
    try {
      expect(() => sim.installGlobals('c1')).toThrow(/globals are already installed for node "c2"/);
    } finally {
      restore();
    }
    sim.installGlobals('c1')();
    expect(() => sim.installGlobals('c9')).toThrow(/no client node "c9"/);
  });

  it('run unmodified code on virtual time and the simulated network', async () => {
    const sim = new Simulation({ seed: 5, server });
    const seen: string[] = [];
    await sim.withGlobals('c1', async () => {
      // Ordinary code that knows nothing of the simulation.
      const t0 = Date.now();
      setTimeout(() => seen.push(`timeout after ${Date.now() - t0} ms, performance ${performance.now()}`), 1500);
      const ws = new WebSocket('ws://lockstep.test/ws');
      ws.onopen = () => ws.send('hi');
      ws.onmessage = (e) => seen.push(`${String(e.data)} at ${new Date().toISOString()}`);
      void fetch('http://lockstep.test/api/items', { method: 'POST', body: 'x' })
        .then((r) => r.json())
        .then((b: { now: number }) => seen.push(`server time ${b.now - t0}`));
      setImmediate(() => seen.push(`immediate at ${performance.now()}`));
      let ticks = 0;
      const h = setInterval(() => {
        if (++ticks === 3) {
          clearInterval(h);
          seen.push(`3 ticks at ${performance.now()}`);
        }
      }, 100);
      await sim.run(2000);
    });
    expect(seen).toEqual([
      'immediate at 0',
      'server time 20',
      'echo:hi at 2025-01-15T09:00:00.080Z',
      '3 ticks at 300',
      'timeout after 1500 ms, performance 1500',
    ]);
  });

  it('AbortSignal.timeout runs on virtual time', async () => {
    const sim = new Simulation({ seed: 5, server: () => ({ http: () => new Promise(() => {}) }) });
    let failedAt = -1;
    let name = '';
    await sim.withGlobals('c1', async () => {
      fetch('http://lockstep.test/slow', { signal: AbortSignal.timeout(250) }).catch((e: Error) => {
        failedAt = performance.now();
        name = e.name;
      });
      await sim.run(1000);
    });
    expect(failedAt).toBe(250);
    expect(name).toBe('TimeoutError');
  });

  it('serve Math.random from the node’s seeded stream, and trace the draws as client.random', async () => {
    const drawAll = async (seed: number) => {
      const sim = new Simulation({ seed, clients: ['c1', 'c2'] });
      const values: number[] = [];
      await sim.withGlobals('c2', async () => {
        values.push(Math.random(), Math.random());
        setTimeout(() => values.push(Math.random(), Math.random(), Math.random()), 100);
        setTimeout(() => {}, 200);
        await sim.run(1000);
      });
      return { values, sim };
    };
    const a = await drawAll(77);
    const b = await drawAll(77);
    const expected = Random.root(77).stream('client/c2');
    expect(a.values).toEqual(Array.from({ length: 5 }, () => expected.next()));
    expect(b.values).toEqual(a.values);
    expect((await drawAll(78)).values).not.toEqual(a.values);
    const draws = a.sim.trace.events().filter((e) => e.ev === 'client.random');
    // One line per task that drew (the two draws before the run are flushed with the first task).
    expect(draws.map((e) => [e.t, e.node, e.draws])).toEqual([
      [0, 'c2', 2],
      [100, 'c2', 3],
    ]);
    expect(a.sim.trace.hash()).toBe(b.sim.trace.hash());
  });
});

describe('traps in env mode (no globals installed)', () => {
  const trapCases: [string, (env: ClientEnv) => void, RegExp, RegExp][] = [
    [
      'Math.random',
      () => void Math.random(),
      /^Math\.random\(\)$/,
      /Instead, use env\.random\(\) from the driver env, or run the client with installed globals/,
    ],
    [
      'setTimeout',
      () => void setTimeout(() => {}, 10),
      /^setTimeout\(\)$/,
      /Instead, use env\.setTimeout\/env\.setInterval from the driver env/,
    ],
    ['setInterval', () => void setInterval(() => {}, 10), /^setInterval\(\)$/, /Instead, use env\.setTimeout/],
    ['setImmediate', () => void setImmediate(() => {}), /^setImmediate\(\)$/, /Instead, use env\.setTimeout/],
    ['AbortSignal.timeout', () => void AbortSignal.timeout(10), /^AbortSignal\.timeout\(\)$/, /Instead, use env\.setTimeout/],
    ['fetch', () => void fetch('http://example.com/'), /^fetch\(\)$/, /Instead, use env\.fetch and env\.WebSocket from the driver env/],
    ['node:http request', () => void http.request('http://example.com/'), /^node:http request\(\)$/, /Instead, use env\.fetch/],
    ['node:http get', () => void http.get('http://example.com/'), /^node:http get\(\)$/, /Instead, use env\.fetch/],
    ['node:https request', () => void https.request('https://example.com/'), /^node:https request\(\)$/, /Instead, use env\.fetch/],
    [
      'node:http request (named ESM import)',
      () => void namedHttpRequest('http://example.com/'),
      /^node:http request\(\)$/,
      /Instead, use env\.fetch/,
    ],
  ];

  it.each(trapCases)('calling the real %s during run() stops the run, naming the call and the fix', async (_name, call, subject, fix) => {
    const before = snapshotGlobals();
    const sim = new Simulation({ seed: 1, server });
    const env = sim.env('c1');
    env.setTimeout(function reachOut() {
      call(env);
    }, 1234);
    const stop = await stoppedBy(sim.run(10_000));
    expect(stop.reason).toBe('nondeterminism');
    expect(stop.owner).toBe('c1');
    expect(stop.subject).toMatch(subject);
    expect(stop.at).toBe(1234);
    expect(stop.message).toContain(`c1 called the real ${stop.subject} at virtual time 1234 ms (while running c1/timer#1(reachOut))`);
    expect(stop.message).toMatch(/that would make the run nondeterministic/);
    expect(stop.message).toMatch(fix);
    expect(sim.trace.events().at(-1)).toMatchObject({ ev: 'guard.stop', reason: 'nondeterminism', owner: 'c1', t: 1234 });
    // The traps are gone once run() has returned.
    expect(snapshotGlobals()).toEqual(before);
  });

  it('also stops the run when the call happens in a promise continuation of a task', async () => {
    const sim = new Simulation({ seed: 1, server });
    const env = sim.env('c1');
    env.setTimeout(() => {
      void env
        .fetch('/api/items')
        .then((r) => r.json())
        .then(() => {
          try {
            Math.random();
          } catch {
            // Swallowing the error does not help: the run is stopped anyway.
          }
        });
    }, 10);
    const stop = await stoppedBy(sim.run(10_000));
    expect(stop.reason).toBe('nondeterminism');
    expect(stop.owner).toBe('c1');
    expect(stop.at).toBe(50);
    expect(stop.message).toMatch(/^c1 called the real Math\.random\(\) at virtual time 50 ms/);
  });

  it('the traps exist only while run() runs: the real functions work before and after', async () => {
    const realRandom = Math.random;
    const sim = new Simulation({ seed: 1, server });
    const env = sim.env('c1');
    let inside: unknown;
    let kept: () => number = () => -1;
    env.setTimeout(() => {
      inside = Math.random === realRandom;
      kept = Math.random; // a library that captured the function while the run was going
    }, 10);
    await sim.run(100);
    expect(inside).toBe(false);
    expect(Math.random).toBe(realRandom);
    expect(typeof Math.random()).toBe('number');
    // Once no run is going, a kept reference to the trap behaves as the real function.
    const r = kept();
    expect(r >= 0 && r < 1).toBe(true);
    expect(sim.stopped).toBeUndefined();
    await sim.runUntilIdle(1000);
    expect(Math.random).toBe(realRandom);
  });

  it('no traps while globals are installed: Math.random is the seeded one', async () => {
    const sim = new Simulation({ seed: 1, server });
    const got: number[] = [];
    await sim.withGlobals('c1', async () => {
      setTimeout(() => got.push(Math.random()), 10);
      await sim.run(100);
    });
    expect(sim.stopped).toBeUndefined();
    expect(got).toEqual([Random.root(1).stream('client/c1').next()]);
  });

  it('overlapping runs of two simulations restore the real functions when both are done', async () => {
    const before = snapshotGlobals();
    const a = new Simulation({ seed: 1, server });
    const b = new Simulation({ seed: 2, server });
    for (const sim of [a, b]) {
      const env = sim.env();
      env.setInterval(() => void env.fetch('/api/items').catch(() => {}), 100);
    }
    await Promise.all([a.run(3000), b.run(1000)]);
    expect(snapshotGlobals()).toEqual(before);
    await Promise.all([a.run(1000), b.run(3000)]);
    expect(snapshotGlobals()).toEqual(before);
  });

  it.each(['good first', 'bad first'])(
    'in overlapping runs (%s), a trapped call stops the simulation that made it, not the other',
    async (order) => {
      const good = new Simulation({ seed: 1, server });
      const bad = new Simulation({ seed: 2, server });
      const ge = good.env();
      ge.setInterval(() => void ge.fetch('/api/items').catch(() => {}), 10);
      const be = bad.env();
      be.setInterval(() => void be.fetch('/api/items').catch(() => {}), 10);
      be.setTimeout(() => void Math.random(), 500);
      const runs = order === 'good first' ? [good.run(2000), bad.run(2000)] : [bad.run(2000), good.run(2000)].reverse();
      const [g, b] = await Promise.allSettled(runs);
      expect(g!.status).toBe('fulfilled');
      expect(b!.status).toBe('rejected');
      expect((b as PromiseRejectedResult).reason).toMatchObject({ reason: 'nondeterminism', at: 500 });
      expect(good.stopped).toBeUndefined();
      expect(good.now).toBe(2000);
    },
  );
});

/**
 * A tiny client written the way teams write them: it uses the injected env when given one
 * and the platform's globals otherwise.
 */
function createTinyClient(env?: ClientEnv) {
  const api = {
    setTimeout: env?.setTimeout ?? globalThis.setTimeout,
    setInterval: env?.setInterval ?? globalThis.setInterval,
    clearInterval: env?.clearInterval ?? globalThis.clearInterval,
    fetch: env?.fetch ?? globalThis.fetch,
    WebSocket: env?.WebSocket ?? (globalThis as unknown as { WebSocket: ClientEnv['WebSocket'] }).WebSocket,
    now: () => (env ? env.Date.now() : Date.now()),
    perf: () => (env ? env.performance.now() : performance.now()),
  };
  const base = env?.baseUrl ?? 'http://lockstep.test';
  const received: string[] = [];
  let poller: unknown;
  const connect = () => {
    const ws = new api.WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
    ws.onopen = () => {
      api.clearInterval(poller as never);
      poller = undefined;
      ws.send(JSON.stringify({ hello: api.now(), uptime: api.perf() }));
    };
    ws.onmessage = (e: MessageEvent) => received.push(String(e.data));
    ws.onclose = () => {
      poller ??= api.setInterval(() => void api.fetch(`${base}/api/items`).then((r) => r.text()), 2000);
      api.setTimeout(connect, 3000);
    };
  };
  connect();
  return {
    post: (text: string) => void api.fetch(`${base}/api/items`, { method: 'POST', body: `${text}@${api.now()}` }).then((r) => r.json()),
    received,
  };
}

describe('one client factory, env or globals', () => {
  const options: SimulationOptions = {
    seed: 31,
    server,
    network: { link: { latency: { kind: 'lognormal', median: 30, sigma: 0.6, max: 500 } } },
    faults: [
      { kind: 'ws-reset', at: 4000 },
      { kind: 'partition', at: 9000, duration: 4000 },
    ],
  };

  async function withEnv() {
    const sim = new Simulation(options);
    const client = createTinyClient(sim.env('c1'));
    sim.at(2500, 'c1', 'post', () => client.post('a'));
    sim.at(15_000, 'c1', 'post', () => client.post('b'));
    await sim.run(30_000);
    return { sim, client };
  }

  async function withGlobals() {
    const sim = new Simulation(options);
    let client: ReturnType<typeof createTinyClient> | undefined;
    await sim.withGlobals('c1', async () => {
      client = createTinyClient();
      sim.at(2500, 'c1', 'post', () => client!.post('a'));
      sim.at(15_000, 'c1', 'post', () => client!.post('b'));
      await sim.run(30_000);
    });
    return { sim, client: client! };
  }

  it('gives the same trace, byte for byte', async () => {
    const a = await withEnv();
    const b = await withGlobals();
    expect(a.sim.stopped).toBeUndefined();
    expect(b.sim.stopped).toBeUndefined();
    const events = a.sim.trace.events();
    // The run exercised what it should: a reset, polling, reconnects and both posts.
    expect(events.some((e) => e.ev === 'ws.reset')).toBe(true);
    expect(events.filter((e) => e.ev === 'ws.open').length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.ev === 'http.serve' && e.method === 'GET')).toBe(true);
    expect(events.filter((e) => e.ev === 'http.serve' && e.method === 'POST')).toHaveLength(2);
    expect(b.client.received).toEqual(a.client.received);
    expect(b.sim.trace.toJsonl()).toBe(a.sim.trace.toJsonl());
    expect(b.sim.trace.hash()).toBe(a.sim.trace.hash());
    expect((await withEnv()).sim.trace.hash()).toBe(a.sim.trace.hash());
  });
});

describe('node sockets are trapped with installed globals too', () => {
  it('stops a run whose client reaches for node:net while globals are installed', async () => {
    const { Simulation } = await import('../../src/sim/simulation.js');
    const net = await import('node:net');
    const sim = new Simulation({ seed: 1 });
    let caught: unknown;
    await sim.withGlobals('c1', async () => {
      setTimeout(() => {
        try {
          net.connect(9, '127.0.0.1');
        } catch (e) {
          caught = e;
        }
      }, 5);
      await sim.run(100).catch(() => undefined);
    });
    expect((caught as Error).name).toBe('SimulationStopped');
    expect(sim.stopped?.reason).toBe('nondeterminism');
    expect(sim.stopped?.message).toContain('node:net connect()');
    expect(net.connect.name).not.toBe('trapped');
  });
});

import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { ClientEnv } from '../../src/sim/client-node.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import { SimulationStopped, type StopReason } from '../../src/sim/stopped.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';

/** A server that answers every request and accepts every socket. */
const okServer: SimulationOptions['server'] = () => ({
  http: () => jsonResponse(200, { ok: true }),
  connection: () => {},
});

interface Expectation {
  reason: StopReason;
  owner: string;
  subject: RegExp;
  /** Words the message must contain besides the owner, the subject and the time. */
  says: RegExp;
}

/**
 * Runs `client` for up to `ms` of virtual time and checks that a guard stopped it quickly
 * with a SimulationStopped whose message names the owner, the subject and the virtual time.
 */
async function expectStopped(
  opts: Partial<SimulationOptions>,
  client: (env: ClientEnv, sim: Simulation) => void,
  want: Expectation,
  run: (sim: Simulation) => Promise<void> = (sim) => sim.run(3_600_000),
): Promise<SimulationStopped> {
  const wall = performance.now();
  const sim = new Simulation({ seed: 7, server: okServer, ...opts });
  client(sim.env('c1'), sim);
  const err = await run(sim).then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = performance.now() - wall;
  expect(err, 'the run must be stopped by a guard').toBeInstanceOf(SimulationStopped);
  const stop = err as SimulationStopped;
  expect(stop.reason).toBe(want.reason);
  expect(stop.owner).toBe(want.owner);
  expect(stop.subject).toMatch(want.subject);
  expect(stop.message).toContain(stop.owner);
  expect(stop.message).toContain(stop.subject);
  expect(stop.message).toMatch(/virtual/);
  expect(stop.message).toMatch(new RegExp(`\\b${stop.at} ms\\b`));
  expect(stop.message).toMatch(want.says);
  expect(sim.stopped).toBe(stop);
  // The trace records the stop with the same fields.
  const last = sim.trace.events().find((e) => e.ev === 'guard.stop');
  expect(last).toMatchObject({ reason: stop.reason, owner: stop.owner, subject: stop.subject, t: stop.at });
  // ... and with the same message: nothing that caught the error on its way may have rewritten it.
  expect(stop.message).toBe(last!.message);
  expect(stop.message.startsWith(`${stop.owner}: `)).toBe(true);
  expect(elapsed, 'a guard must stop a runaway client within well under a second of wall time').toBeLessThan(1000);
  return stop;
}

describe('guards stop runaway clients with a readable error, never a hang', () => {
  it('a timer storm: setInterval(fn, 0)', async () => {
    const stop = await expectStopped(
      {},
      (env) => {
        env.setInterval(function spin() {}, 0);
      },
      { reason: 'timer-storm', owner: 'c1', subject: /^c1\/timer#1\(spin\)$/, says: /timer storm: more than 200 timer callbacks/ },
    );
    expect(stop.at).toBeLessThan(1000);
  });

  it('a timer storm: a recursive setTimeout(fn, 0)', async () => {
    await expectStopped(
      {},
      (env) => {
        const again = () => env.setTimeout(again, 0);
        again();
      },
      { reason: 'timer-storm', owner: 'c1', subject: /^c1\/timer#\d+\(again\)$/, says: /timer storm/ },
    );
  });

  it('a timer storm that starts late is still named with its virtual time', async () => {
    const stop = await expectStopped(
      {},
      (env, sim) => {
        sim.at(90_000, 'c1', 'start spinning', () => env.setInterval(function spin() {}, 1));
      },
      { reason: 'timer-storm', owner: 'c1', subject: /^c1\/timer#1\(spin\)$/, says: /\(90000–91000 ms\)/ },
    );
    expect(stop.at).toBeGreaterThanOrEqual(90_000);
  });

  it('a tight reconnect loop: new WebSocket in onclose, without delay, against a refusing server', async () => {
    await expectStopped(
      { server: () => ({ upgrade: () => 503 }) },
      (env) => {
        const connect = () => {
          const ws = new env.WebSocket('/ws');
          ws.onclose = () => connect();
        };
        connect();
      },
      {
        reason: 'connect-storm',
        owner: 'c1',
        subject: /^c1\/ws#21$/,
        says: /tight reconnect loop: more than 20 WebSocket connection attempts/,
      },
    );
  });

  it('a tight reconnect loop against a ws-refuse fault', async () => {
    await expectStopped(
      { faults: [{ kind: 'ws-refuse', at: 0 }] },
      (env) => {
        const connect = () => {
          const ws = new env.WebSocket('/ws');
          ws.addEventListener('close', connect);
        };
        connect();
      },
      { reason: 'connect-storm', owner: 'c1', subject: /^c1\/ws#21$/, says: /reconnect loop/ },
    );
  });

  it('a request storm: many fetches per timer tick', async () => {
    await expectStopped(
      {},
      (env) => {
        // 100 timer callbacks per second (no timer storm), 300 requests per second.
        env.setInterval(function burst() {
          for (let i = 0; i < 3; i++) env.fetch('/api/items').catch(() => {});
        }, 10);
      },
      { reason: 'request-storm', owner: 'c1', subject: /^c1\/http#201$/, says: /request storm: more than 200 HTTP requests/ },
    );
  });

  // Once a guard has stopped the run, fetch never settles: a client that retries on every
  // rejection cannot spin in a microtask loop that would never yield back to the scheduler.
  it('a request storm: retrying at once on every failure while offline', async () => {
    await expectStopped(
      { faults: [{ kind: 'client-offline', at: 0 }] },
      (env) => {
        const go = (): void => void env.fetch('/api/items').then(undefined, go);
        go();
      },
      { reason: 'request-storm', owner: 'c1', subject: /^c1\/http#201$/, says: /request storm/ },
    );
  });

  it('a zero-delay loop that never lets virtual time advance', async () => {
    await expectStopped(
      { faults: [{ kind: 'client-offline', at: 0 }], guards: { requestStormPerSecond: 1e9, sameInstantLimit: 1000 } },
      (env) => {
        // Offline, each fetch fails at once (a zero-delay delivery); the client retries at once.
        const go = (): void => void env.fetch('/api/items').then(undefined, go);
        go();
      },
      { reason: 'zero-delay-loop', owner: 'c1', subject: /^c1\/http#\d+$/, says: /zero-delay loop: more than 1000 events/ },
    );
  });

  it('an event budget overrun (guards.maxEvents small)', async () => {
    const stop = await expectStopped(
      { guards: { maxEvents: 100 } },
      (env) => {
        env.setInterval(function poll() {}, 1000);
      },
      { reason: 'event-budget', owner: 'c1', subject: /^c1\/timer#1\(poll\)$/, says: /exceeded its event budget of 100 events/ },
    );
    expect(stop.at).toBe(101_000);
  });

  it('the horizon: runUntilIdle with a client that never goes idle', async () => {
    const stop = await expectStopped(
      {},
      (env) => {
        env.setInterval(function poll() {}, 3000);
      },
      {
        reason: 'horizon',
        owner: 'c1',
        subject: /^c1\/timer#1\(poll\)$/,
        says: /still busy at the virtual-time horizon 60000 ms: c1\/timer#1\(poll\) is due at 63000 ms/,
      },
      (sim) => sim.runUntilIdle(60_000),
    );
    expect(stop.at).toBe(60_000);
  });

  it('the same client within its limits is not stopped', async () => {
    const sim = new Simulation({ seed: 7, server: okServer });
    const env = sim.env('c1');
    env.setInterval(() => env.fetch('/api/items').catch(() => {}), 10); // 100 timers and 100 requests per second
    let attempts = 0;
    const connect = () => {
      if (++attempts > 200) return;
      const ws = new env.WebSocket('/ws');
      ws.onopen = () => ws.close();
      ws.onclose = () => env.setTimeout(connect, 100);
    };
    connect();
    await sim.run(30_000);
    expect(sim.stopped).toBeUndefined();
  });

  it('guards are per node: a storm on c2 names c2', async () => {
    await expectStopped(
      { clients: ['c1', 'c2'] },
      (_env, sim) => {
        sim.env('c1').setInterval(() => {}, 1000);
        const env2 = sim.env('c2');
        env2.setInterval(function spin2() {}, 0);
      },
      { reason: 'timer-storm', owner: 'c2', subject: /^c2\/timer#1\(spin2\)$/, says: /timer storm/ },
    );
  });
});

describe('guard options', () => {
  it('a guard given as undefined keeps its default instead of switching off', async () => {
    const sim = new Simulation({ seed: 1, guards: { timerStormPerSecond: undefined, maxEvents: undefined } });
    sim.env().setInterval(function spin() {}, 0);
    await expect(sim.run(10_000)).rejects.toMatchObject({ reason: 'timer-storm', subject: 'c1/timer#1(spin)' });
  });
});

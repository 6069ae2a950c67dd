import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { ClientEnv } from '../../src/sim/client-node.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import { guardOptionsOf, parseGuardFlags, parseGuardLimits } from '../../src/sim/guard-limits.js';
import { defaultGuards } from '../../src/sim/scheduler.js';
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
  // ... and names the limit and the two ways to raise it.
  if (stop.reason !== 'horizon' && stop.reason !== 'nondeterminism')
    expect(stop.message).toMatch(new RegExp(`Limit: ${stop.reason}=\\d+ \\(.+\\); raise it with --guard ${stop.reason}=N or "guards: \\{ ${stop.reason}: N \\}" in the scenario file\\.$`));
  expect(elapsed, 'a guard must stop a runaway client within well under a second of wall time').toBeLessThan(1000);
  return stop;
}

describe('guards stop runaway clients with a readable error, never a hang', () => {
  // Timers that start more timers on every tick: what no platform survives, whatever its clamp.
  const multiply = (env: ClientEnv, name = 'spawn') => {
    // A named function, so that guard messages show it as the timer's subject.
    const named: Record<string, () => void> = { [name]: () => env.setInterval(named[name]!, 4) };
    named[name]!();
  };

  it('a timer storm: every tick starts another interval', async () => {
    const stop = await expectStopped({}, (env) => multiply(env), {
      reason: 'timer-storm',
      owner: 'c1',
      subject: /^c1\/timer#\d+\(spawn\)$/,
      says: /timer storm: more than 1000 timer callbacks fired within one virtual second/,
    });
    expect(stop.at).toBeLessThan(1000);
  });

  it('a timer storm that starts late is still named with its virtual time', async () => {
    const stop = await expectStopped(
      {},
      (env, sim) => {
        sim.at(90_000, 'c1', 'start spawning', () => multiply(env));
      },
      { reason: 'timer-storm', owner: 'c1', subject: /^c1\/timer#\d+\(spawn\)$/, says: /\(90000–91000 ms\)/ },
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
        multiply(sim.env('c2'), 'spawn2');
      },
      { reason: 'timer-storm', owner: 'c2', subject: /^c2\/timer#\d+\(spawn2\)$/, says: /timer storm/ },
    );
  });
});

describe('the timer-storm guard is no stricter than a browser', () => {
  /** Timer callbacks of c1 in each virtual second of a 10 s run, and whether a guard stopped it. */
  async function perSecond(start: (env: ClientEnv) => void, guards?: SimulationOptions['guards']): Promise<{ counts: number[]; stopped?: SimulationStopped }> {
    const sim = new Simulation({ seed: 1, server: okServer, guards });
    const counts = Array.from({ length: 10 }, () => 0);
    const env = sim.env('c1');
    const wrap = (fn: () => void) => () => {
      const second = Math.floor(sim.scheduler.now / 1000);
      if (second < counts.length) counts[second]!++;
      fn();
    };
    start({ ...env, setTimeout: ((fn: () => void, ms?: number) => env.setTimeout(wrap(fn), ms)) as ClientEnv['setTimeout'], setInterval: ((fn: () => void, ms?: number) => env.setInterval(wrap(fn), ms)) as ClientEnv['setInterval'] });
    await sim.run(10_000).catch(() => undefined);
    return { counts, stopped: sim.stopped };
  }

  it('lets setInterval(fn, 0) run at the 4 ms clamp (about 250 callbacks a second), as a browser does', async () => {
    const { counts, stopped } = await perSecond((env) => env.setInterval(() => {}, 0));
    expect(stopped).toBeUndefined();
    for (const n of counts.slice(1)) expect(n).toBe(250);
    expect(counts[0]).toBeGreaterThanOrEqual(250);
    expect(defaultGuards.timerStormPerSecond).toBeGreaterThanOrEqual(4 * 250);
  });

  it('lets a recursive setTimeout(fn, 0) run at the clamp too', async () => {
    const { counts, stopped } = await perSecond((env) => {
      const again = () => env.setTimeout(again, 0);
      again();
    });
    expect(stopped).toBeUndefined();
    for (const n of counts.slice(1)) expect(n).toBe(250);
  });

  it('stops the same loop when the limit is set below the clamp (guards.timerStormPerSecond 200)', async () => {
    const { stopped } = await perSecond((env) => env.setInterval(() => {}, 0), { timerStormPerSecond: 200 });
    expect(stopped?.reason).toBe('timer-storm');
    expect(stopped?.message).toContain('Limit: timer-storm=200');
  });
});

describe('guard options', () => {
  it('a guard given as undefined keeps its default instead of switching off', async () => {
    const sim = new Simulation({ seed: 1, guards: { timerStormPerSecond: undefined, maxEvents: undefined } });
    const env = sim.env();
    const spawn = () => env.setInterval(spawn, 4);
    spawn();
    await expect(sim.run(10_000)).rejects.toMatchObject({ reason: 'timer-storm' });
  });

  it('named limits (scenario `guards:`, `--guard`) map onto the kernel options and raise a limit', async () => {
    expect(guardOptionsOf({ 'timer-storm': 5000, 'zero-delay-loop': 7, 'event-budget': 9, 'connect-storm': 3, 'request-storm': 4 })).toEqual({
      timerStormPerSecond: 5000,
      sameInstantLimit: 7,
      maxEvents: 9,
      connectStormPerSecond: 3,
      requestStormPerSecond: 4,
    });
    // 300 requests a second: stopped by the default, allowed once request-storm is raised.
    const burst = (env: ClientEnv) =>
      env.setInterval(() => {
        for (let i = 0; i < 3; i++) env.fetch('/api/items').catch(() => {});
      }, 10);
    const raised = new Simulation({ seed: 7, server: okServer, guards: guardOptionsOf({ 'request-storm': 400 }) });
    burst(raised.env('c1'));
    await raised.run(5_000);
    expect(raised.stopped).toBeUndefined();
  });

  it('rejects bad settings with the field, what was expected and what was found', () => {
    expect(parseGuardLimits({ 'timer-strom': 5, 'request-storm': 0, 'event-budget': 'lots' }).problems).toEqual([
      { field: 'guards.timer-strom', expected: expect.stringMatching(/^one of the guards timer-storm, .* \(did you mean "timer-storm"\?\)$/), found: 'the number 5' },
      { field: 'guards.request-storm', expected: 'a whole number ≥ 1', found: 'the number 0' },
      { field: 'guards.event-budget', expected: 'a whole number ≥ 1', found: 'the string "lots"' },
    ]);
    expect(parseGuardLimits([1]).problems[0]).toMatchObject({ field: 'guards', found: 'a list of 1' });
    expect(parseGuardFlags(['timer-storm=2000', 'request-storm=500,connect-storm=40'])).toEqual({ 'timer-storm': 2000, 'request-storm': 500, 'connect-storm': 40 });
    expect(() => parseGuardFlags(['timer-storm'])).toThrow(/--guard expects NAME=N .*found "timer-storm"/);
    expect(() => parseGuardFlags(['timer-storm=-3'])).toThrow(/--guard timer-storm: expected a whole number ≥ 1, found the string "-3"/);
    expect(() => parseGuardFlags(['timer=3'])).toThrow(/--guard timer: expected one of the guards timer-storm/);
  });
});

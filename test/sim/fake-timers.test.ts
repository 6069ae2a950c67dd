import FakeTimers, { type Clock } from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import { installFakeClock, jsonResponse, Simulation, SimulationStopped, type FakeClock, type SimulationOptions } from '../../src/sim/index.js';
import { defaultStartTime } from '../../src/sim/simulation.js';

/** The calls a fake-timers test makes, as both clocks type them. */
type TestClock = Pick<Clock, 'now' | 'nextAsync' | 'runAllAsync' | 'runToLastAsync' | 'countTimers' | 'runMicrotasks'> & {
  tickAsync(ms: number): Promise<number>;
  setSystemTime(t: number): void;
};

// Lockstep's clock fits where a fake-timers clock is expected (tickAsync/setSystemTime take
// fewer input forms: ms and "hh:mm:ss", epoch ms and Date).
const fits: (c: FakeClock) => TestClock = (c) => c;

/**
 * An ordinary fake-timers test body: global timers, `Date`, `performance`, promise
 * callbacks inside timers, then every way of advancing the clock.
 */
async function body(clock: TestClock): Promise<string[]> {
  const log: string[] = [];
  const t0 = clock.now;
  const at = (what: string): void => void log.push(`${what} now=${clock.now - t0} Date=${Date.now() - t0} perf=${Math.round(performance.now())}`);
  setTimeout(() => at('t1500'), 1500);
  const every = setInterval(() => at('interval'), 1000);
  setTimeout(async () => {
    await Promise.resolve();
    at('after await');
    setTimeout(() => at('nested'), 10);
  }, 2500);
  log.push(`tickAsync → ${(await clock.tickAsync(3000)) - t0}`);
  log.push(`timers ${clock.countTimers()}`);
  log.push(`nextAsync → ${(await clock.nextAsync()) - t0}`);
  clearInterval(every);
  setTimeout(() => {
    at('a');
    setTimeout(() => at('late'), 5000);
  }, 100);
  setTimeout(() => at('b'), 200);
  log.push(`runToLastAsync → ${(await clock.runToLastAsync()) - t0}`);
  clock.setSystemTime(t0 + 86_400_000);
  at('clock set');
  log.push(`runAllAsync → ${(await clock.runAllAsync()) - t0}`);
  log.push(`timers ${clock.countTimers()}`);
  clock.runMicrotasks();
  return log;
}

describe('lockstep’s clock, with the API of @sinonjs/fake-timers', () => {
  it('behaves as the real fake-timers clock for the same test body', async () => {
    const sinon = FakeTimers.install({ now: defaultStartTime });
    let expected: string[];
    try {
      expected = await body(sinon);
    } finally {
      sinon.uninstall();
    }
    const sim = new Simulation({ seed: 1 });
    const clock = installFakeClock(sim);
    let actual: string[];
    try {
      actual = await body(fits(clock));
    } finally {
      clock.uninstall();
    }
    expect(expected).toContain('runAllAsync → 86404900');
    expect(actual).toEqual(expected);
  });

  it('drives the simulated network: fetch and WebSocket in virtual time, the same trace every run', async () => {
    const server: SimulationOptions['server'] = () => ({
      http: (req) => jsonResponse(200, { path: req.path }),
      connection: (s) => s.on('message', (d) => s.send(`echo:${String(d)}`)),
    });
    const once = async (): Promise<{ seen: string[]; hash: string }> => {
      const sim = new Simulation({ seed: 7, server });
      const clock = installFakeClock(sim);
      const seen: string[] = [];
      try {
        setInterval(() => void fetch('/api/poll').then(async (r) => seen.push(`${performance.now()} ${r.status} ${JSON.stringify(await r.json())}`)), 3000);
        const ws = new WebSocket('/ws');
        ws.onopen = () => ws.send('hi');
        ws.onmessage = (e) => seen.push(`${performance.now()} ${String(e.data)}`);
        await clock.advanceTimersByTimeAsync(7000);
        expect(clock.getTimerCount()).toBe(1);
        return { seen, hash: sim.trace.hash() };
      } finally {
        clock.uninstall();
      }
    };
    const a = await once();
    expect(a.seen.length).toBe(3);
    expect(a.seen[0]).toMatch(/ echo:hi$/);
    expect(a.seen[1]).toMatch(/ 200 \{"path":"\/api\/poll"\}$/);
    expect(await once()).toEqual(a);
  });

  it('stops runAllAsync on a client that never goes idle, naming the busy timer', async () => {
    const sim = new Simulation({ seed: 1 });
    const clock = installFakeClock(sim, { runAllHorizon: 60_000 });
    try {
      setInterval(function poll() {}, 1000);
      const err = await clock.runAllTimersAsync().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimulationStopped);
      expect(String((err as Error).message)).toMatch(/still busy at the virtual-time horizon 60000 ms: c1\/timer#1/);
    } finally {
      clock.uninstall();
    }
  });

  it('refuses the synchronous forms with what to call instead, and bad input with what it expected', async () => {
    const sim = new Simulation({ seed: 1 });
    const clock = installFakeClock(sim, { globals: false });
    expect(() => clock.tick(10)).toThrow('clock.tick(): a simulation advances asynchronously (responses arrive in promise callbacks); use await clock.tickAsync(ms)');
    expect(() => clock.runAll()).toThrow(/use await clock\.runAllAsync\(\)/);
    await expect(clock.tickAsync(-1)).rejects.toThrow('clock.tickAsync: expected a duration in ms >= 0, found -1');
    await expect(clock.tickAsync('1:2:3:4')).rejects.toThrow('expected ms or "hh:mm:ss" (as fake-timers), found "1:2:3:4"');
    expect(await clock.tickAsync('01:30')).toBe(defaultStartTime + 90_000);
    expect(() => clock.setSystemTime(new Date('nope'))).toThrow('clock.setSystemTime: expected epoch ms or a valid Date, found Invalid Date');
    expect(() => installFakeClock(sim, { runAllHorizon: 0 })).toThrow('runAllHorizon: expected virtual ms > 0, found 0');
    // Without globals the clock's own timers are the node's.
    let fired = -1;
    clock.setTimeout(() => (fired = clock.performance.now()), 250);
    await clock.nextAsync();
    expect(fired).toBe(90_250);
    expect(clock.Date.now()).toBe(defaultStartTime + 90_250);
  });

  it('records a device clock change in the trace', async () => {
    const sim = new Simulation({ seed: 1 });
    const clock = installFakeClock(sim, { globals: false });
    clock.setSystemTime(Date.UTC(2030, 0, 1));
    expect(new clock.Date().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(sim.trace.events().filter((e) => e.ev === 'client.log')).toMatchObject([{ node: 'c1', msg: 'clock set', wallClock: '2030-01-01T00:00:00.000Z' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { createDateClass, createPerformance, createTimers, SimTimer } from '../../src/sim/clock.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { defaultStartTime, Simulation } from '../../src/sim/simulation.js';

/** A scheduler with one node's timers and a log of `[virtual time, label]`. */
function setup() {
  const scheduler = new Scheduler();
  const timers = createTimers(scheduler, 'c1');
  const log: [number, string][] = [];
  const mark = (label: string) => () => log.push([scheduler.now, label]);
  return { scheduler, timers, log, mark };
}

describe('setTimeout / setInterval on virtual time', () => {
  it('fires timers in order of due time, then creation', async () => {
    const { scheduler, timers, log, mark } = setup();
    timers.setTimeout(mark('a@30'), 30);
    timers.setTimeout(mark('b@10'), 10);
    timers.setTimeout(mark('c@20'), 20);
    timers.setTimeout(mark('d@10'), 10);
    timers.setTimeout(mark('e@0'));
    timers.setTimeout(mark('f@neg'), -5);
    timers.setTimeout(mark('g@nan'), Number.NaN);
    // Created later but due at the same time as b and d: runs after them.
    timers.setTimeout(() => timers.setTimeout(mark('h@10'), 5), 5);
    await scheduler.runUntil(100);
    expect(log).toEqual([
      [0, 'e@0'],
      [0, 'f@neg'],
      [0, 'g@nan'],
      [10, 'b@10'],
      [10, 'd@10'],
      [10, 'h@10'],
      [20, 'c@20'],
      [30, 'a@30'],
    ]);
    expect(scheduler.now).toBe(100);
  });

  it('does not fire timers that are due after the end of the run, and fires them in the next one', async () => {
    const { scheduler, timers, log, mark } = setup();
    timers.setTimeout(mark('late'), 150);
    await scheduler.runUntil(149);
    expect(log).toEqual([]);
    await scheduler.runUntil(150);
    expect(log).toEqual([[150, 'late']]);
  });

  it('repeats intervals at their period until cleared', async () => {
    const { scheduler, timers, log, mark } = setup();
    const h = timers.setInterval(mark('tick'), 100);
    await scheduler.runUntil(450);
    expect(log.map(([t]) => t)).toEqual([100, 200, 300, 400]);
    timers.clearInterval(h);
    await scheduler.runUntil(1000);
    expect(log).toHaveLength(4);
  });

  it('clearTimeout before the timer fires cancels it; clearing twice or a fired timer is harmless', async () => {
    const { scheduler, timers, log, mark } = setup();
    const a = timers.setTimeout(mark('a'), 10);
    const b = timers.setTimeout(mark('b'), 20);
    timers.clearTimeout(a);
    timers.clearTimeout(a);
    await scheduler.runUntil(30);
    timers.clearTimeout(b);
    timers.clearTimeout(undefined);
    timers.clearTimeout(null);
    expect(log).toEqual([[20, 'b']]);
  });

  it('clearInterval inside its own callback stops it', async () => {
    const { scheduler, timers } = setup();
    let n = 0;
    const h = timers.setInterval(() => {
      if (++n === 3) timers.clearInterval(h);
    }, 50);
    await scheduler.runUntil(1000);
    expect(n).toBe(3);
  });

  it('a callback can clear another timer due at the same instant', async () => {
    const { scheduler, timers, log, mark } = setup();
    let victim: SimTimer | undefined = undefined;
    timers.setTimeout(() => timers.clearTimeout(victim), 10);
    victim = timers.setTimeout(mark('victim'), 10);
    await scheduler.runUntil(20);
    expect(log).toEqual([]);
  });

  it('passes extra arguments to the callback', async () => {
    const { scheduler, timers } = setup();
    const got: unknown[][] = [];
    timers.setTimeout((...args: unknown[]) => got.push(args), 5, 'x', 2, { y: true });
    const h = timers.setInterval((...args: unknown[]) => got.push(args), 10, 'again');
    await scheduler.runUntil(25);
    timers.clearInterval(h);
    expect(got).toEqual([['x', 2, { y: true }], ['again'], ['again']]);
  });

  it('rejects a non-function callback with a message naming the node', () => {
    const { timers } = setup();
    expect(() => timers.setTimeout('alert(1)' as unknown as () => void, 10)).toThrow(/c1: setTimeout needs a function; found string/);
    expect(() => timers.setInterval(undefined as unknown as () => void, 10)).toThrow(/c1: setInterval needs a function; found undefined/);
  });

  it('refresh() restarts the timer from now with its original delay', async () => {
    const { scheduler, timers, log, mark } = setup();
    const h = timers.setTimeout(mark('refreshed'), 100);
    scheduler.schedule(50, 'c1', 'sim', 'refresh', () => expect(h.refresh()).toBe(h));
    await scheduler.runUntil(400);
    expect(log).toEqual([[150, 'refreshed']]);
  });

  it('refresh() after the timer fired arms it again, as in Node', async () => {
    const { scheduler, timers, log, mark } = setup();
    const h = timers.setTimeout(mark('fired'), 10);
    scheduler.schedule(30, 'c1', 'sim', 'refresh', () => h.refresh());
    await scheduler.runUntil(100);
    expect(log).toEqual([
      [10, 'fired'],
      [40, 'fired'],
    ]);
  });

  it('refresh() of a cleared timer does not bring it back, as in Node', async () => {
    const { scheduler, timers, log, mark } = setup();
    const h = timers.setTimeout(mark('zombie'), 10);
    timers.clearTimeout(h);
    h.refresh();
    const i = timers.setInterval(mark('zombie-interval'), 10);
    timers.clearInterval(i);
    i.refresh();
    await scheduler.runUntil(100);
    expect(log).toEqual([]);
  });

  it('refresh() of an interval restarts its period', async () => {
    const { scheduler, timers, log, mark } = setup();
    const h = timers.setInterval(mark('tick'), 100);
    scheduler.schedule(150, 'c1', 'sim', 'refresh', () => h.refresh());
    await scheduler.runUntil(400);
    timers.clearInterval(h);
    expect(log.map(([t]) => t)).toEqual([100, 250, 350]);
  });

  it('handles have ref/unref/hasRef like Node timeouts', () => {
    const { timers } = setup();
    const h = timers.setTimeout(() => {}, 10);
    expect(h.hasRef()).toBe(true);
    expect(h.unref()).toBe(h);
    expect(h.hasRef()).toBe(false);
    expect(h.ref()).toBe(h);
    expect(h.hasRef()).toBe(true);
  });

  it('handles convert to unique numeric ids, and clearTimeout accepts the number (or its string)', async () => {
    const { scheduler, timers, log, mark } = setup();
    const a = timers.setTimeout(mark('a'), 10);
    const b = timers.setTimeout(mark('b'), 10);
    const c = timers.setInterval(mark('c'), 10);
    const ids = [Number(a), Number(b), Number(c)];
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(Number.isInteger(id) && id > 0).toBe(true);
    expect(+a).toBe(a.id);
    expect(`${b}`).toBe(String(b.id));
    timers.clearTimeout(Number(a));
    timers.clearInterval(String(c) as unknown as number);
    await scheduler.runUntil(50);
    expect(log).toEqual([[10, 'b']]);
  });

  it('clearTimeout and clearInterval are interchangeable', async () => {
    const { scheduler, timers, log, mark } = setup();
    timers.clearTimeout(timers.setInterval(mark('i'), 10));
    timers.clearInterval(timers.setTimeout(mark('t'), 10));
    await scheduler.runUntil(50);
    expect(log).toEqual([]);
  });

  it('names timers after their callback for guard messages', () => {
    const { timers } = setup();
    function poll() {}
    expect(timers.setTimeout(poll, 1).subject).toMatch(/^c1\/timer#\d+\(poll\)$/);
    expect(timers.setTimeout(() => {}, 1).subject).toMatch(/^c1\/timer#\d+$/);
  });

  it('clamps timers nested more than 5 levels deep to 4 ms, as HTML does', async () => {
    const { scheduler, timers } = setup();
    const fired: number[] = [];
    const step = (): void => {
      fired.push(scheduler.now);
      if (fired.length < 10) timers.setTimeout(step, 0);
    };
    timers.setTimeout(step, 0);
    await scheduler.runUntil(1000);
    // HTML timer initialization: the clamp applies when the nesting level of the task that
    // calls setTimeout is greater than 5. Calls 1–6 of the chain run with nesting 0–5.
    expect(fired).toEqual([0, 0, 0, 0, 0, 0, 4, 8, 12, 16]);
  });

  it('does not clamp delays of 4 ms or more, nor timers that are not nested', async () => {
    const { scheduler, timers } = setup();
    const fired: number[] = [];
    const step = (): void => {
      fired.push(scheduler.now);
      if (fired.length < 8) timers.setTimeout(step, 10);
    };
    timers.setTimeout(step, 10);
    // A timer created by a task that is not a timer (a user action, a delivery) starts at nesting level 0.
    const fresh: number[] = [];
    scheduler.schedule(75, 'c1', 'sim', 'action', () => timers.setTimeout(() => fresh.push(scheduler.now), 0));
    await scheduler.runUntil(1000);
    expect(fired).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(fresh).toEqual([75]);
  });

  it('clamps a zero-delay interval to 4 ms once it has repeated more than 5 times, as HTML does', async () => {
    const { scheduler, timers } = setup();
    const fired: number[] = [];
    const h = timers.setInterval(() => {
      fired.push(scheduler.now);
    }, 0);
    await scheduler.runUntil(30);
    timers.clearInterval(h);
    // Every period is at least 1 ms (as in Node and browsers), then 4 ms after the nesting limit.
    expect(fired.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 6; i < fired.length; i++) expect(fired[i]! - fired[i - 1]!).toBe(4);
    expect(fired.length).toBeLessThan(15);
  });

  it('timers of different nodes do not share nesting levels or ids', async () => {
    const scheduler = new Scheduler();
    const a = createTimers(scheduler, 'c1');
    const b = createTimers(scheduler, 'c2');
    const ta = a.setTimeout(() => {}, 10);
    const tb = b.setTimeout(() => {}, 10);
    expect(Number(ta)).toBe(Number(tb));
    expect(ta.subject).not.toBe(tb.subject);
    // Clearing node c2's id on node c1 does nothing to c2's timer.
    let fired = false;
    b.setTimeout(() => (fired = true), 20);
    a.clearTimeout(2);
    await scheduler.runUntil(50);
    expect(fired).toBe(true);
  });
});

describe('Date and performance on virtual time', () => {
  it('new Date(), Date.now() and Date() follow virtual time from the simulation start', async () => {
    const sim = new Simulation({ seed: 1 });
    const env = sim.env('c1');
    const seen: { now: number; date: number; str: string; perf: number }[] = [];
    const probe = () =>
      seen.push({
        now: env.Date.now(),
        date: new env.Date().getTime(),
        str: (env.Date as unknown as () => string)(),
        perf: env.performance.now(),
      });
    probe();
    env.setTimeout(probe, 1500);
    env.setTimeout(probe, 3_600_000);
    await sim.run(4_000_000);
    expect(seen.map((s) => s.now)).toEqual([defaultStartTime, defaultStartTime + 1500, defaultStartTime + 3_600_000]);
    expect(seen.map((s) => s.date)).toEqual(seen.map((s) => s.now));
    expect(seen.map((s) => s.perf)).toEqual([0, 1500, 3_600_000]);
    expect(seen.map((s) => s.str)).toEqual(seen.map((s) => new Date(s.now).toString()));
    expect(typeof seen[0]!.str).toBe('string');
    expect(env.performance.timeOrigin + env.performance.now()).toBe(env.Date.now());
  });

  it('a custom startTime moves the virtual wall clock', () => {
    const start = Date.UTC(2030, 5, 1);
    const sim = new Simulation({ seed: 1, startTime: start });
    expect(sim.env().Date.now()).toBe(start);
    expect(new (sim.env().Date)().toISOString()).toBe('2030-06-01T00:00:00.000Z');
  });

  it('explicit dates, parsing and the static helpers are unaffected', () => {
    const SimDate = createDateClass(() => 1_000);
    expect(new SimDate(0).getTime()).toBe(0);
    expect(new SimDate('2024-02-29T12:00:00Z').toISOString()).toBe('2024-02-29T12:00:00.000Z');
    expect(new SimDate(2024, 0, 31, 5).getTime()).toBe(new Date(2024, 0, 31, 5).getTime());
    expect(new SimDate(new Date(42)).getTime()).toBe(42);
    expect(Number.isNaN(new SimDate(Number.NaN).getTime())).toBe(true);
    expect(Number.isNaN(new SimDate(undefined as unknown as number).getTime())).toBe(true);
    expect(SimDate.UTC(2020, 0, 1)).toBe(Date.UTC(2020, 0, 1));
    expect(SimDate.parse('2020-01-01T00:00:00Z')).toBe(Date.parse('2020-01-01T00:00:00Z'));
    expect(new SimDate().getTime()).toBe(1_000);
    expect(SimDate.now()).toBe(1_000);
  });

  it('simulated and real dates are interchangeable for instanceof', () => {
    const SimDate = createDateClass(() => 1_000);
    const d = new SimDate();
    expect(d instanceof Date).toBe(true);
    expect(d instanceof SimDate).toBe(true);
    // Dates made elsewhere (structuredClone, libraries that captured Date) are still Dates.
    expect(new Date(5) instanceof SimDate).toBe(true);
    expect(structuredClone(d) instanceof SimDate).toBe(true);
    expect(Object.prototype.toString.call(d)).toBe('[object Date]');
    class Sub extends SimDate {}
    expect(new Sub().getTime()).toBe(1_000);
  });

  it('performance.now() is milliseconds since the start', () => {
    let now = 12.5;
    const perf = createPerformance(() => now, 77);
    expect(perf.now()).toBe(12.5);
    now = 20;
    expect(perf.now()).toBe(20);
    expect(perf.timeOrigin).toBe(77);
  });
});

describe('one total order of timers and network deliveries', () => {
  /** The server logs each frame it receives; the client sets a timer due when the frame arrives. */
  async function race(order: 'send-first' | 'timer-first') {
    const sim = new Simulation({
      seed: 3,
      server: (senv) => ({ connection: (s) => s.on('message', () => senv.log('frame')) }),
    });
    const env = sim.env('c1');
    const ws = new env.WebSocket('/ws');
    ws.onopen = () => {
      // 20 ms one way: the frame reaches the server at now + 20, when the timer is due.
      if (order === 'send-first') {
        ws.send('x');
        env.setTimeout(() => env.log('timer'), 20);
      } else {
        env.setTimeout(() => env.log('timer'), 20);
        ws.send('x');
      }
    };
    await sim.run(1000);
    const events = sim.trace.events();
    const timer = events.find((e) => e.ev === 'client.log' && e.msg === 'timer')!;
    const frame = events.find((e) => e.ev === 'server.log' && e.msg === 'frame')!;
    expect(timer.t).toBe(60);
    expect(frame.t).toBe(60);
    return { timer, frame };
  }

  it('at the same virtual time, whatever was scheduled first runs first', async () => {
    const a = await race('send-first');
    expect(a.frame.seq).toBeLessThan(a.timer.seq);
    const b = await race('timer-first');
    expect(b.timer.seq).toBeLessThan(b.frame.seq);
  });

  it('a delivery scheduled before a timer due at the same instant runs before it', async () => {
    const sim = new Simulation({ seed: 3, server: () => ({ connection: () => {} }) });
    const env = sim.env('c1');
    // The upgrade reaches the server at 20, which schedules the 101's arrival at 40.
    const ws = new env.WebSocket('/ws');
    env.setTimeout(() => env.log('timer set at 0'), 40);
    sim.at(30, 'c1', 'later', () => env.setTimeout(() => env.log('timer set at 30'), 10));
    ws.onopen = () => env.log('open');
    await sim.run(100);
    const msgs = sim.trace.events().filter((e) => e.ev === 'client.log' || e.ev === 'ws.open');
    expect(msgs.map((e) => [e.t, e.ev === 'ws.open' ? 'ws.open' : e.msg])).toEqual([
      [40, 'timer set at 0'],
      [40, 'ws.open'],
      [40, 'open'],
      [40, 'timer set at 30'],
    ]);
  });

  it('every trace line is ordered by virtual time, and seq counts lines without gaps', async () => {
    const sim = new Simulation({
      seed: 9,
      network: { link: { latency: { kind: 'uniform', min: 1, max: 80 } } },
      server: () => ({ connection: (s) => s.on('message', (d) => s.send(d)), http: () => ({ status: 200, body: 'ok' }) }),
    });
    const env = sim.env('c1');
    const ws = new env.WebSocket('/ws');
    ws.onopen = () => env.setInterval(() => ws.send('p'), 9);
    env.setInterval(() => void env.fetch('/x').then((r) => r.text()), 17);
    await sim.run(2000);
    const events = sim.trace.events();
    expect(events.length).toBeGreaterThan(500);
    events.forEach((e, i) => {
      expect(e.seq).toBe(i);
      if (i > 0) expect(e.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
    });
  });
});

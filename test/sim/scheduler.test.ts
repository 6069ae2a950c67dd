import { describe, expect, it } from 'vitest';
import { createTimers } from '../../src/sim/clock.js';
import { Random } from '../../src/sim/random.js';
import { Scheduler, type Task } from '../../src/sim/scheduler.js';
import { SimulationStopped } from '../../src/sim/stopped.js';

describe('Scheduler: the event queue', () => {
  it('runs many randomly inserted tasks in (time, insertion) order', async () => {
    const random = Random.root(1234).stream('heap');
    const s = new Scheduler();
    const ran: Task[] = [];
    const all: Task[] = [];
    const add = (at: number) => {
      const t: Task = s.scheduleAt(at, 'c1', 'sim', `t${all.length}`, () => ran.push(t));
      all.push(t);
    };
    // Few distinct times force many ties; some fractional times exercise rounding.
    for (let i = 0; i < 5000; i++) add(random.chance(0.1) ? random.next() * 100 : random.int(0, 60));
    await s.runUntil(1000);
    const expected = [...all].sort((a, b) => a.at - b.at || a.seq - b.seq);
    expect(ran.map((t) => t.seq)).toEqual(expected.map((t) => t.seq));
    expect(s.executed).toBe(5000);
    expect(s.pending()).toBe(0);
  });

  it('keeps the order when tasks schedule more tasks while running (including at the current instant)', async () => {
    const random = Random.root(99).stream('heap');
    const s = new Scheduler();
    const ran: [number, number][] = [];
    let made = 0;
    const spawn = (delay: number) => {
      const t: Task = s.schedule(delay, 'c1', 'sim', 'x', () => {
        ran.push([t.at, t.seq]);
        expect(s.now).toBe(t.at);
        if (made < 3000) {
          const n = random.int(0, 3);
          for (let i = 0; i < n; i++, made++) spawn(random.chance(0.3) ? 0 : random.int(1, 40));
        }
      });
    };
    for (let i = 0; i < 20; i++, made++) spawn(random.int(0, 10));
    await s.runUntil(1e9);
    expect(ran.length).toBe(made);
    for (let i = 1; i < ran.length; i++) {
      const [pa, ps] = ran[i - 1]!;
      const [a, sq] = ran[i]!;
      expect(a > pa || (a === pa && sq > ps)).toBe(true);
    }
  });

  it('never schedules in the past, rounds times to microseconds and rejects NaN times', async () => {
    const s = new Scheduler();
    await s.runUntil(100);
    const past = s.scheduleAt(50, 'c1', 'sim', 'past', () => {});
    const neg = s.schedule(-10, 'c1', 'sim', 'neg', () => {});
    const frac = s.schedule(0.1 + 0.2, 'c1', 'sim', 'frac', () => {});
    expect([past.at, neg.at, frac.at]).toEqual([100, 100, 100.3]);
    expect(() => s.scheduleAt(Number.NaN, 'c1', 'sim', 'c1/timer#1', () => {})).toThrow(/c1\/timer#1.*NaN/);
    expect(() => s.schedule(Number.NaN, 'c1', 'sim', 'c1/ws#1', () => {})).toThrow(/c1\/ws#1.*NaN/);
  });

  it('cancelled tasks do not run; cancelling twice, after running or undefined is harmless', async () => {
    const random = Random.root(5).stream('cancel');
    const s = new Scheduler();
    const ran = new Set<number>();
    const tasks: Task[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = i;
      tasks.push(s.scheduleAt(random.int(0, 100), 'c1', 'sim', `t${i}`, () => ran.add(id)));
    }
    const cancelled = new Set<number>();
    for (let i = 0; i < 1000; i++) if (random.chance(0.4)) cancelled.add(i);
    for (const i of cancelled) s.cancel(tasks[i]);
    s.cancel(tasks[[...cancelled][0]!]);
    s.cancel(undefined);
    expect(s.pending()).toBe(1000 - cancelled.size);
    await s.runUntil(100);
    for (let i = 0; i < 1000; i++) expect(ran.has(i)).toBe(!cancelled.has(i));
    s.cancel(tasks[0]);
    expect(s.pending()).toBe(0);
  });

  it('a task can cancel another due at the same instant', async () => {
    const s = new Scheduler();
    const log: string[] = [];
    let b: Task | undefined = undefined;
    s.scheduleAt(10, 'c1', 'sim', 'a', () => {
      log.push('a');
      s.cancel(b);
    });
    b = s.scheduleAt(10, 'c1', 'sim', 'b', () => log.push('b'));
    await s.runUntil(20);
    expect(log).toEqual(['a']);
  });

  it('cancelOwner cancels one owner’s tasks (optionally of some kinds), queued or parked', async () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.scheduleAt(10, 'c1', 'timer', 'c1 timer', () => log.push('c1 timer'));
    s.scheduleAt(10, 'c1', 'net', 'c1 net', () => log.push('c1 net'));
    s.scheduleAt(10, 'c2', 'timer', 'c2 timer', () => log.push('c2 timer'));
    s.scheduleAt(10, 'server', 'timer', 'server timer', () => log.push('server timer'));
    expect(s.cancelOwner('c1', ['timer'])).toBe(1);
    expect(s.cancelOwner('server')).toBe(1);
    s.suspend('c2');
    await s.runUntil(20);
    expect(s.cancelOwner('c2')).toBe(1);
    s.resume('c2');
    await s.runUntil(30);
    expect(log).toEqual(['c1 net']);
  });

  it('lets each task’s microtasks run before the next task, at the task’s virtual time', async () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.scheduleAt(10, 'c1', 'sim', 'a', () => {
      log.push(`a@${s.now}`);
      void Promise.resolve()
        .then(() => log.push(`a.then@${s.now}`))
        .then(() => queueMicrotask(() => log.push(`a.micro@${s.now}`)));
      process.nextTick(() => log.push(`a.tick@${s.now}`));
    });
    s.scheduleAt(10, 'c1', 'sim', 'b', () => log.push(`b@${s.now}`));
    s.scheduleAt(11, 'c1', 'sim', 'c', () => log.push(`c@${s.now}`));
    await s.runUntil(20);
    // Each task runs as an event-loop callback, as a real timer's would: nextTick callbacks
    // come first, then the promise jobs (Node's order), all before the next task.
    expect(log).toEqual(['a@10', 'a.tick@10', 'a.then@10', 'a.micro@10', 'b@10', 'c@11']);
  });

  it('reports a task’s exception to onTaskError and goes on', async () => {
    const s = new Scheduler();
    const errors: string[] = [];
    s.onTaskError = (task, e) => errors.push(`${task.subject}: ${(e as Error).message}`);
    const log: string[] = [];
    s.scheduleAt(1, 'c1', 'timer', 'c1/timer#1', () => {
      throw new Error('boom');
    });
    s.scheduleAt(2, 'c1', 'timer', 'c1/timer#2', () => log.push('after'));
    await s.runUntil(10);
    expect(errors).toEqual(['c1/timer#1: boom']);
    expect(log).toEqual(['after']);
  });

  it('refuses a second concurrent run', async () => {
    const s = new Scheduler();
    s.scheduleAt(5, 'c1', 'sim', 'x', () => {});
    const first = s.runUntil(10);
    await expect(s.runUntil(10)).rejects.toThrow(/already running/);
    await first;
    await s.runUntil(20);
    expect(s.now).toBe(20);
  });
});

describe('Scheduler: suspension and throttling', () => {
  it('suspend parks an owner’s tasks; resume runs them now, in their original order', async () => {
    const s = new Scheduler();
    const log: string[] = [];
    const add = (at: number, owner: string, name: string) => s.scheduleAt(at, owner, 'timer', name, () => log.push(`${name}@${s.now}`));
    s.suspend('c1');
    expect(s.isSuspended('c1')).toBe(true);
    add(30, 'c1', 'c1-c');
    add(10, 'c1', 'c1-a');
    add(20, 'c2', 'c2-x');
    add(10, 'c1', 'c1-b');
    add(60, 'c1', 'c1-late');
    await s.runUntil(50);
    expect(log).toEqual(['c2-x@20']);
    s.resume('c1');
    s.resume('c1');
    expect(s.isSuspended('c1')).toBe(false);
    add(50, 'c2', 'c2-y');
    await s.runUntil(100);
    expect(log).toEqual(['c2-x@20', 'c1-a@50', 'c1-b@50', 'c1-c@50', 'c2-y@50', 'c1-late@60']);
  });

  it('a timer parked while suspended can still be cleared after resume', async () => {
    const s = new Scheduler();
    const timers = createTimers(s, 'c1');
    const log: string[] = [];
    s.suspend('c1');
    const h = timers.setTimeout(() => log.push('fired'), 10);
    await s.runUntil(50);
    s.resume('c1');
    timers.clearTimeout(h);
    await s.runUntil(100);
    expect(log).toEqual([]);
  });

  it('throttle delays an owner’s timers (only timers) to the next multiple of the period', async () => {
    const s = new Scheduler();
    const log: string[] = [];
    const add = (at: number, owner: string, kind: 'timer' | 'net', name: string) =>
      s.scheduleAt(at, owner, kind, name, () => log.push(`${name}@${s.now}`));
    s.throttle('c1', 1000);
    add(10, 'c1', 'timer', 'a');
    add(1000, 'c1', 'timer', 'on-the-mark');
    add(1500, 'c1', 'timer', 'b');
    add(20, 'c1', 'net', 'delivery');
    add(30, 'c2', 'timer', 'other-node');
    await s.runUntil(1999);
    // A realigned timer queues behind what was already due at the aligned instant.
    expect(log).toEqual(['delivery@20', 'other-node@30', 'on-the-mark@1000', 'a@1000']);
    // Lifting the throttle (back in the foreground) restores deferred timers: b was due at
    // 1500, so it runs at once instead of waiting for the 2000 boundary.
    s.throttle('c1', undefined);
    add(2100, 'c1', 'timer', 'unthrottled');
    await s.runUntil(3000);
    expect(log.slice(4)).toEqual(['b@1999', 'unthrottled@2100']);
  });

  it('a throttled timer can still be cleared after it was realigned', async () => {
    const s = new Scheduler();
    const timers = createTimers(s, 'c1');
    const log: string[] = [];
    s.throttle('c1', 1000);
    const h = timers.setTimeout(() => log.push('fired'), 10);
    await s.runUntil(500);
    timers.clearTimeout(h);
    await s.runUntil(5000);
    expect(log).toEqual([]);
  });

  it('a throttled interval keeps firing on the throttle grid', async () => {
    const s = new Scheduler();
    const timers = createTimers(s, 'c1');
    const fired: number[] = [];
    s.throttle('c1', 1000);
    timers.setInterval(() => fired.push(s.now), 300);
    await s.runUntil(4500);
    expect(fired).toEqual([1000, 2000, 3000, 4000]);
  });
});

describe('Scheduler: runUntil and runUntilIdle', () => {
  it('runUntil sets the clock to the end time, even with nothing to do, and never moves it back', async () => {
    const s = new Scheduler();
    await s.runUntil(500);
    expect(s.now).toBe(500);
    await s.runUntil(250.1234567);
    expect(s.now).toBe(500);
    await s.runUntil(700.0004);
    expect(s.now).toBe(700);
    s.schedule(50, 'c1', 'sim', 'x', () => {});
    expect(s.nextAt()).toBe(750);
    await s.runUntil(749);
    expect(s.now).toBe(749);
    expect(s.pending()).toBe(1);
  });

  it('refuses to run to NaN (which would never end)', async () => {
    const s = new Scheduler();
    s.schedule(10, 'c1', 'timer', 'x', () => {});
    await expect(s.runUntil(Number.NaN)).rejects.toThrow(/run until: expected a virtual time in ms, found NaN/);
    await expect(s.runUntil(undefined as unknown as number)).rejects.toThrow(/found undefined/);
    await expect(s.runUntilIdle(Number.NaN)).rejects.toThrow(TypeError);
    expect(s.now).toBe(0);
    await s.runUntil(Infinity);
    expect(s.now).toBe(10);
  });

  it('runUntilIdle stops when the queue is empty, leaving the clock at the last event', async () => {
    const s = new Scheduler();
    const log: number[] = [];
    const chain = (n: number) => s.schedule(100, 'c1', 'timer', 'c1/timer#1', () => (log.push(s.now), n > 1 && chain(n - 1)));
    chain(5);
    await s.runUntilIdle(1_000_000);
    expect(log).toEqual([100, 200, 300, 400, 500]);
    expect(s.now).toBe(500);
    expect(s.stopped).toBeUndefined();
  });

  it('runUntilIdle past the horizon stops with a message naming the owner, the subject and the times', async () => {
    const s = new Scheduler();
    const stops: SimulationStopped[] = [];
    s.onStop = (e) => stops.push(e);
    const poll = () => s.schedule(3000, 'c1', 'timer', 'c1/timer#7(poll)', poll);
    poll();
    const err = await s.runUntilIdle(10_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SimulationStopped);
    const stop = err as SimulationStopped;
    expect(stop.reason).toBe('horizon');
    expect(stop.owner).toBe('c1');
    expect(stop.subject).toBe('c1/timer#7(poll)');
    expect(stop.at).toBe(10_000);
    expect(stop.message).toMatch(/^c1: still busy at the virtual-time horizon 10000 ms: c1\/timer#7\(poll\) is due at 12000 ms/);
    expect(stops).toEqual([stop]);
    expect(s.now).toBe(10_000);
    // A stopped scheduler stays stopped.
    await expect(s.runUntil(20_000)).rejects.toBe(stop);
  });

  it('stop() keeps the first error and calls onStop once', async () => {
    const s = new Scheduler();
    const stops: string[] = [];
    s.onStop = (e) => stops.push(e.subject);
    const first = new SimulationStopped('timer-storm', 'c1', 'first', 0, 'first');
    s.scheduleAt(1, 'c1', 'sim', 'x', () => {
      s.stop(first);
      s.stop(new SimulationStopped('timer-storm', 'c1', 'second', 0, 'second'));
    });
    s.scheduleAt(2, 'c1', 'sim', 'never', () => stops.push('ran after stop'));
    await expect(s.runUntil(10)).rejects.toBe(first);
    expect(stops).toEqual(['first']);
    expect(s.stopped).toBe(first);
  });

  it('a SimulationStopped thrown by a task stops the run instead of being reported as a task error', async () => {
    const s = new Scheduler();
    const errors: unknown[] = [];
    s.onTaskError = (_t, e) => errors.push(e);
    const stop = new SimulationStopped('nondeterminism', 'c1', 'Math.random()', 3, 'no');
    s.scheduleAt(3, 'c1', 'timer', 'x', () => {
      throw stop;
    });
    await expect(s.runUntil(10)).rejects.toBe(stop);
    expect(errors).toEqual([]);
    expect(s.now).toBe(3);
  });
});

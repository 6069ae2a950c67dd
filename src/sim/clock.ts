import { real } from './real-globals.js';
import type { Scheduler, Task } from './scheduler.js';

/** A handle returned by the simulated `setTimeout`/`setInterval`. Like Node's `Timeout`
 * it has `ref`/`unref`/`hasRef`/`refresh`, and like a browser's id it converts to a number. */
export class SimTimer {
  /** @internal */ task: Task | undefined;
  private referenced = true;
  constructor(
    /** Numeric id, unique per node. */
    readonly id: number,
    /** `c1/timer#4`: the name used in traces and guard messages. */
    readonly subject: string,
    /** @internal */ readonly restart: (timer: SimTimer) => void,
  ) {}
  /** No effect on a simulation (there is no event loop to keep alive); kept for Node compatibility. */
  ref(): this {
    this.referenced = true;
    return this;
  }
  /** No effect on a simulation; kept for Node compatibility. */
  unref(): this {
    this.referenced = false;
    return this;
  }
  /** Whether {@link SimTimer.ref} was called last. */
  hasRef(): boolean {
    return this.referenced;
  }
  /** Restarts the timer from now with its original delay, as Node's `timeout.refresh()`. */
  refresh(): this {
    this.restart(this);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** The timer functions client or server code sees; all run on virtual time. */
export interface TimerApi {
  setTimeout(fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): SimTimer;
  clearTimeout(handle: SimTimer | number | undefined | null): void;
  setInterval(fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): SimTimer;
  clearInterval(handle: SimTimer | number | undefined | null): void;
}

/**
 * Creates the timer functions of one node. Delays follow the HTML timer rules: negative
 * or missing delays are 0, and timers nested more than 5 deep are clamped to at least
 * 4 ms — so a zero-delay loop still advances virtual time, as in a browser.
 */
export function createTimers(scheduler: Scheduler, owner: string): TimerApi {
  let nextId = 1;
  const live = new Map<number, SimTimer>();
  const nesting = new WeakMap<Task, number>();

  const arm = (timer: SimTimer, delay: number, fn: () => void, level: number): void => {
    const task = scheduler.schedule(delay, owner, 'timer', timer.subject, fn);
    nesting.set(task, level);
    timer.task = task;
  };

  const currentLevel = (): number => {
    const cur = scheduler.current;
    return cur && cur.owner === owner && cur.kind === 'timer' ? (nesting.get(cur) ?? 0) : 0;
  };

  const start = (repeat: boolean, fn: unknown, delay: unknown, args: unknown[]): SimTimer => {
    if (typeof fn !== 'function') {
      throw new TypeError(
        `${owner}: ${repeat ? 'setInterval' : 'setTimeout'} needs a function; found ${typeof fn} (string callbacks are not evaluated in a simulation)`,
      );
    }
    let ms = Number(delay);
    if (!Number.isFinite(ms) || ms < 0) ms = 0;
    const id = nextId++;
    const level = currentLevel() + 1;
    const clamp = (d: number): number => (level > 5 ? Math.max(d, 4) : d);
    const callback = fn as (...a: unknown[]) => void;
    const timer: SimTimer = new SimTimer(id, `${owner}/timer#${id}${callback.name ? `(${callback.name})` : ''}`, (t) => {
      scheduler.cancel(t.task);
      arm(t, clamp(ms), fire, level);
      live.set(t.id, t);
    });
    const fire = (): void => {
      if (repeat) arm(timer, Math.max(clamp(ms), 1), fire, level);
      else live.delete(id);
      callback(...args);
    };
    live.set(id, timer);
    arm(timer, clamp(ms), fire, level);
    return timer;
  };

  const clear = (handle: SimTimer | number | undefined | null): void => {
    if (handle === undefined || handle === null) return;
    const id = typeof handle === 'number' ? handle : handle instanceof SimTimer ? handle.id : Number(handle);
    const timer = live.get(id);
    if (!timer) return;
    scheduler.cancel(timer.task);
    live.delete(id);
  };

  return {
    setTimeout: (fn, delay, ...args) => start(false, fn, delay, args),
    setInterval: (fn, delay, ...args) => start(true, fn, delay, args),
    clearTimeout: clear,
    clearInterval: clear,
  };
}

/**
 * A `Date` constructor whose "now" is the simulation's virtual time, offset from a fixed
 * epoch. Every other use of `Date` (parsing, explicit timestamps) behaves as the real one.
 */
export function createDateClass(epochMs: () => number): DateConstructor {
  const RealDate = real.Date;
  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(epochMs());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return epochMs();
    }
  }
  // Calling Date() without `new` returns a string in JavaScript.
  const callable = new Proxy(SimDate, {
    apply: () => new RealDate(epochMs()).toString(),
  });
  return callable as unknown as DateConstructor;
}

/** The subset of `performance` client code uses, on virtual time. */
export interface SimPerformance {
  now(): number;
  readonly timeOrigin: number;
}

/** `performance.now()` as milliseconds since the simulation started. */
export function createPerformance(now: () => number, timeOrigin: number): SimPerformance {
  return { now, timeOrigin };
}

import { real } from './real-globals.js';
import { dateString, localToUtc, parseInZone, timeString, zoneOffset } from './time-zone.js';
import { inZone } from './zoned-intl.js';
import type { Scheduler, Task } from './scheduler.js';

/** A handle returned by the simulated `setTimeout`/`setInterval`. Like Node's `Timeout`
 * it has `ref`/`unref`/`hasRef`/`refresh`, and like a browser's id it converts to a number. */
export class SimTimer {
  /** @internal */ task: Task | undefined;
  /** @internal Set by clearTimeout/clearInterval: a cleared timer cannot be refreshed back to life. */
  cleared = false;
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
  /** Restarts the timer from now with its original delay, as Node's `timeout.refresh()`
   * (a timer that already fired runs again; a cleared one stays cleared). */
  refresh(): this {
    this.restart(this);
    return this;
  }
  /** The timer's numeric id, as Node's `Timeout` gives (so `+handle` and `clearTimeout(id)` work). */
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** The timer functions client or server code sees; all run on virtual time. */
export interface TimerApi {
  /** Runs `fn` once after `delay` virtual ms (HTML semantics: the 4 ms clamp after five nested levels). */
  setTimeout(fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): SimTimer;
  /** Cancels a timer; ignores anything that is not a live timer. */
  clearTimeout(handle: SimTimer | number | undefined | null): void;
  /** Runs `fn` every `delay` virtual ms. */
  setInterval(fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): SimTimer;
  /** Cancels an interval; ignores anything that is not a live timer. */
  clearInterval(handle: SimTimer | number | undefined | null): void;
}

/**
 * Creates the timer functions of one node. Delays follow the HTML timer rules: negative
 * or missing delays are 0, and a timer created by a timer task whose nesting level is
 * greater than 5 (the seventh link of a `setTimeout` chain, the seventh run of an
 * interval) waits at least 4 ms — so a zero-delay loop still advances virtual time, as
 * in a browser. Intervals wait at least 1 ms between runs, as in Node and browsers.
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

  /** HTML's "timer nesting level" of the running task, 0 outside this node's timer tasks. */
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
    const level = currentLevel();
    // HTML timer initialization: clamp when the calling task's nesting level is > 5.
    const clampAt = (lvl: number): number => (lvl > 5 ? Math.max(ms, 4) : ms);
    const periodAt = (lvl: number): number => (repeat ? Math.max(clampAt(lvl), 1) : clampAt(lvl));
    const callback = fn as (...a: unknown[]) => void;
    const timer: SimTimer = new SimTimer(id, `${owner}/timer#${id}${callback.name ? `(${callback.name})` : ''}`, (t) => {
      if (t.cleared) return;
      scheduler.cancel(t.task);
      arm(t, periodAt(level), fire, level + 1);
      live.set(t.id, t);
    });
    const fire = (): void => {
      if (repeat) {
        // The next run is set up by this run's task, one nesting level deeper.
        const lvl = currentLevel();
        arm(timer, periodAt(lvl), fire, lvl + 1);
      } else live.delete(id);
      callback(...args);
    };
    live.set(id, timer);
    arm(timer, clampAt(level), fire, level + 1);
    return timer;
  };

  const clear = (handle: SimTimer | number | undefined | null): void => {
    if (handle === undefined || handle === null) return;
    if (handle instanceof SimTimer) handle.cleared = true;
    const id = typeof handle === 'number' ? handle : handle instanceof SimTimer ? handle.id : Number(handle);
    const timer = live.get(id);
    if (!timer || (handle instanceof SimTimer && timer !== handle)) return;
    timer.cleared = true;
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
 * epoch, and whose local time is that of `timeZone` (an IANA name; default `UTC`) rather
 * than the host's: the local getters and setters, `getTimezoneOffset`, `toString`, the
 * `toLocale*String` methods, the local-fields constructor (`new Date(2025, 2, 30)`) and
 * `Date.parse` of local times all follow it. Everything else behaves as the real `Date`.
 */
export function createDateClass(epochMs: () => number, timeZone = 'UTC'): DateConstructor {
  const RealDate = real.Date;
  const zone = timeZone;
  const proto = RealDate.prototype;
  /** The local wall-clock fields of `d`, as a UTC-read Date. */
  const local = (d: Date): Date => {
    const t = d.getTime();
    return new RealDate(t + zoneOffset(zone, t));
  };
  /** Applies a UTC setter to the local fields and stores the instant they name. */
  const setLocal = (d: Date, set: (l: Date) => number, fromZeroIfInvalid = false): number => {
    const l = Number.isNaN(d.getTime()) && fromZeroIfInvalid ? new RealDate(0) : local(d);
    set(l);
    return proto.setTime.call(d, localToUtc(zone, l.getTime()));
  };
  const zoned = (options: Intl.DateTimeFormatOptions | undefined): Intl.DateTimeFormatOptions => inZone(options, zone);
  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(epochMs());
      else if (args.length === 1) super(typeof args[0] === 'string' ? parseInZone(zone, args[0]) : (args[0] as number | Date));
      // Local fields: Date.UTC does the same coercion and overflow, then the zone places them.
      else super(localToUtc(zone, RealDate.UTC(...(args as [number, number]))));
    }
    static override now(): number {
      return epochMs();
    }
    static override parse(text: string): number {
      return parseInZone(zone, String(text));
    }
    // Every Date is a Date: one made by structuredClone or by a library that captured the
    // real constructor must still pass `instanceof Date` while globals are installed.
    static override [Symbol.hasInstance](this: unknown, v: unknown): boolean {
      if (this === SimDate || this === callable) return v instanceof RealDate;
      return Function.prototype[Symbol.hasInstance].call(this, v);
    }
    override getFullYear(): number {
      return local(this).getUTCFullYear();
    }
    override getMonth(): number {
      return local(this).getUTCMonth();
    }
    override getDate(): number {
      return local(this).getUTCDate();
    }
    override getDay(): number {
      return local(this).getUTCDay();
    }
    override getHours(): number {
      return local(this).getUTCHours();
    }
    override getMinutes(): number {
      return local(this).getUTCMinutes();
    }
    override getSeconds(): number {
      return local(this).getUTCSeconds();
    }
    override getMilliseconds(): number {
      return local(this).getUTCMilliseconds();
    }
    override getTimezoneOffset(): number {
      const t = this.getTime();
      // Whole minutes, as V8 reports them (a historic local mean time has seconds).
      return Number.isNaN(t) ? NaN : Math.trunc(-zoneOffset(zone, t) / 60_000) || 0;
    }
    override setFullYear(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCFullYear.apply(l, a as [number]), true);
    }
    override setMonth(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCMonth.apply(l, a as [number]));
    }
    override setDate(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCDate.apply(l, a as [number]));
    }
    override setHours(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCHours.apply(l, a as [number]));
    }
    override setMinutes(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCMinutes.apply(l, a as [number]));
    }
    override setSeconds(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCSeconds.apply(l, a as [number]));
    }
    override setMilliseconds(...a: number[]): number {
      return setLocal(this, (l) => proto.setUTCMilliseconds.apply(l, a as [number]));
    }
    override toString(): string {
      const t = this.getTime();
      return Number.isNaN(t) ? 'Invalid Date' : `${dateString(zone, t)} ${timeString(zone, t)}`;
    }
    override toDateString(): string {
      return dateString(zone, this.getTime());
    }
    override toTimeString(): string {
      return timeString(zone, this.getTime());
    }
    override toLocaleString(locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions): string {
      return proto.toLocaleString.call(this, locales, zoned(options));
    }
    override toLocaleDateString(locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions): string {
      return proto.toLocaleDateString.call(this, locales, zoned(options));
    }
    override toLocaleTimeString(locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions): string {
      return proto.toLocaleTimeString.call(this, locales, zoned(options));
    }
  }
  // Calling Date() without `new` returns a string in JavaScript.
  const callable: typeof SimDate = new Proxy(SimDate, {
    apply: () => new SimDate().toString(),
  });
  return callable as unknown as DateConstructor;
}

/** The subset of `performance` client code uses, on virtual time. */
export interface SimPerformance {
  /** Virtual milliseconds since the simulation started. */
  now(): number;
  /** The virtual wall-clock time (ms since the epoch) at which the simulation started. */
  readonly timeOrigin: number;
}

/** `performance.now()` as milliseconds since the simulation started. */
export function createPerformance(now: () => number, timeOrigin: number): SimPerformance {
  return { now, timeOrigin };
}

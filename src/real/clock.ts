import { SimTimer, type TimerApi } from '../sim/clock.js';
import { real } from '../sim/real-globals.js';
import { maxTimerMs } from './limits.js';

/**
 * Wall-clock time of a real-socket run: milliseconds since the run started, from a
 * monotonic clock (`performance.now()`), so trace times never go backwards. Before
 * {@link WallClock.start} the time is 0.
 */
export class WallClock {
  private origin: number | undefined;
  /** Epoch ms at the start (for `sim.start.startTime`). */
  epoch = real.dateNow();

  /** Makes now the run's time 0. */
  start(): void {
    this.origin = real.performanceNow();
    this.epoch = real.dateNow();
  }

  get started(): boolean {
    return this.origin !== undefined;
  }

  /** Milliseconds since the start (0 before it). */
  now(): number {
    return this.origin === undefined ? 0 : real.performanceNow() - this.origin;
  }
}

/**
 * The host's own timers: `real` from the kernel, so installed simulation traps never reach
 * them. A delay past {@link maxTimerMs} waits {@link maxTimerMs} (Node would fire it after
 * 1 ms): the run's schedule is validated against that limit at the start, so only a time
 * the run never reaches is cut short, and it then still lies beyond the run's end.
 */
export const hostTimers = {
  setTimeout: (fn: () => void, ms: number): ReturnType<typeof setTimeout> =>
    real.setTimeout(fn, Math.min(maxTimerMs, Math.max(0, ms || 0))),
  clearTimeout: (h: ReturnType<typeof setTimeout> | undefined): void => {
    if (h !== undefined) real.clearTimeout(h);
  },
};

/** Real timers for a server application, all cancellable at once (a server restart loses them). */
export interface RealTimers extends TimerApi {
  /** Cancels every pending timer (the process died). */
  cancelAll(): void;
  /**
   * Timers set from now on wait, unarmed, until {@link RealTimers.resume}: the world is
   * built before the run's clock starts, and its timers count from the start.
   */
  hold(): void;
  /** Arms the timers set while held, from now. */
  resume(): void;
}

/**
 * A timeout of any length: delays past {@link maxTimerMs} wait in steps, as a simulated
 * timer would wait (a server's `revokeAt` a month away must not fire at once). Returns
 * its cancel function.
 */
function longTimeout(fn: () => void, ms: number): () => void {
  let handle: ReturnType<typeof setTimeout>;
  const wait = (left: number): void => {
    handle = left > maxTimerMs ? real.setTimeout(() => wait(left - maxTimerMs), maxTimerMs) : real.setTimeout(fn, left);
  };
  wait(ms);
  return () => real.clearTimeout(handle);
}

/**
 * Timer functions on the real clock with the kernel's handle type ({@link SimTimer}), so a
 * {@link ServerApp} written for the simulator runs unchanged, with delays of any length.
 * A callback that throws is reported through `onError` with the timer's name, never
 * crashes the host.
 */
export function createRealTimers(owner: string, onError: (subject: string, error: unknown) => void): RealTimers {
  let nextId = 1;
  const live = new Map<number, { timer: SimTimer; cancel: () => void }>();
  let held: (() => void)[] | undefined;

  const start = (repeat: boolean, fn: unknown, delay: unknown, args: unknown[]): SimTimer => {
    if (typeof fn !== 'function')
      throw new TypeError(`${owner}: ${repeat ? 'setInterval' : 'setTimeout'} needs a function; found ${typeof fn}`);
    let ms = Number(delay);
    if (!Number.isFinite(ms) || ms < 0) ms = 0;
    if (repeat) ms = Math.max(ms, 1);
    const id = nextId++;
    const callback = fn as (...a: unknown[]) => void;
    const subject = `${owner}/timer#${id}${callback.name ? `(${callback.name})` : ''}`;
    const run = (): void => {
      if (!repeat) live.delete(id);
      try {
        callback(...args);
      } catch (e) {
        onError(subject, e);
      }
    };
    const arm = (): (() => void) => {
      if (!repeat) return longTimeout(run, ms);
      if (ms <= maxTimerMs) {
        const h = real.setInterval(run, ms);
        return () => real.clearInterval(h);
      }
      // An interval longer than Node's timers: one long timeout per period.
      let cancel = (): void => undefined;
      const period = (): void => {
        cancel = longTimeout(() => {
          period();
          run();
        }, ms);
      };
      period();
      return () => cancel();
    };
    const timer = new SimTimer(id, subject, (t) => {
      if (t.cleared) return;
      live.get(id)?.cancel();
      live.set(id, { timer: t, cancel: arm() });
    });
    if (held) {
      const entry = { timer, cancel: (): void => undefined };
      held.push(() => {
        if (live.get(id) === entry) entry.cancel = arm();
      });
      live.set(id, entry);
    } else live.set(id, { timer, cancel: arm() });
    return timer;
  };

  const clear = (handle: SimTimer | number | undefined | null): void => {
    if (handle === undefined || handle === null) return;
    const id = typeof handle === 'number' ? handle : handle instanceof SimTimer ? handle.id : Number(handle);
    if (handle instanceof SimTimer) handle.cleared = true;
    const entry = live.get(id);
    if (!entry || (handle instanceof SimTimer && entry.timer !== handle)) return;
    entry.timer.cleared = true;
    entry.cancel();
    live.delete(id);
  };

  return {
    setTimeout: (fn, delay, ...args) => start(false, fn, delay, args),
    setInterval: (fn, delay, ...args) => start(true, fn, delay, args),
    clearTimeout: clear,
    clearInterval: clear,
    hold: () => {
      held ??= [];
    },
    resume: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const arm of waiting) arm();
    },
    cancelAll: () => {
      for (const entry of live.values()) {
        entry.timer.cleared = true;
        entry.cancel();
      }
      live.clear();
    },
  };
}

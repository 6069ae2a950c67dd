import { SimTimer, type TimerApi } from '../sim/clock.js';
import { real } from '../sim/real-globals.js';

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

/** The host's own timers: `real` from the kernel, so installed simulation traps never reach them. */
export const hostTimers = {
  setTimeout: (fn: () => void, ms: number): ReturnType<typeof setTimeout> => real.setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h: ReturnType<typeof setTimeout> | undefined): void => {
    if (h !== undefined) real.clearTimeout(h);
  },
};

/** Real timers for a server application, all cancellable at once (a server restart loses them). */
export interface RealTimers extends TimerApi {
  /** Cancels every pending timer (the process died). */
  cancelAll(): void;
}

/**
 * Timer functions on the real clock with the kernel's handle type ({@link SimTimer}), so a
 * {@link ServerApp} written for the simulator runs unchanged. A callback that throws is
 * reported through `onError` with the timer's name, never crashes the host.
 */
export function createRealTimers(owner: string, onError: (subject: string, error: unknown) => void): RealTimers {
  let nextId = 1;
  const live = new Map<number, { timer: SimTimer; handle: ReturnType<typeof setTimeout>; repeat: boolean }>();

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
    const arm = (): ReturnType<typeof setTimeout> => (repeat ? real.setInterval(run, ms) : real.setTimeout(run, ms));
    const timer = new SimTimer(id, subject, (t) => {
      if (t.cleared) return;
      const entry = live.get(id);
      if (entry) (entry.repeat ? real.clearInterval : real.clearTimeout)(entry.handle);
      live.set(id, { timer: t, handle: arm(), repeat });
    });
    live.set(id, { timer, handle: arm(), repeat });
    return timer;
  };

  const clear = (handle: SimTimer | number | undefined | null): void => {
    if (handle === undefined || handle === null) return;
    const id = typeof handle === 'number' ? handle : handle instanceof SimTimer ? handle.id : Number(handle);
    if (handle instanceof SimTimer) handle.cleared = true;
    const entry = live.get(id);
    if (!entry || (handle instanceof SimTimer && entry.timer !== handle)) return;
    entry.timer.cleared = true;
    (entry.repeat ? real.clearInterval : real.clearTimeout)(entry.handle);
    live.delete(id);
  };

  return {
    setTimeout: (fn, delay, ...args) => start(false, fn, delay, args),
    setInterval: (fn, delay, ...args) => start(true, fn, delay, args),
    clearTimeout: clear,
    clearInterval: clear,
    cancelAll: () => {
      for (const entry of live.values()) {
        entry.timer.cleared = true;
        (entry.repeat ? real.clearInterval : real.clearTimeout)(entry.handle);
      }
      live.clear();
    },
  };
}

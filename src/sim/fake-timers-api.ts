import type { ClientEnv } from './client-node.js';
import type { Simulation } from './simulation.js';

/** How {@link installFakeClock} sets up the clock. */
export interface FakeClockOptions {
  /** The client node whose world the clock is (default `c1`). */
  node?: string;
  /**
   * Install that node's world as the process globals — `setTimeout`, `Date`, `fetch`,
   * `WebSocket`, `Math.random`, … — as `FakeTimers.install()` / `vi.useFakeTimers()` do for
   * timers (default `true`). With `false` the code under test takes them from `clock` or `env`.
   */
  globals?: boolean;
  /**
   * Virtual time {@link FakeClock.runAllAsync} may run ahead before it gives up on a client
   * that never goes idle (an interval poller, a heartbeat): it then rejects naming the busy
   * work, as fake-timers does after `loopLimit` timers. Default one virtual hour.
   */
  runAllHorizon?: number;
}

/**
 * The clock of a {@link Simulation}, with the API of `@sinonjs/fake-timers` (and the names
 * vitest's `vi` gives the same calls), so a test written against a fake clock drives the
 * simulated network unchanged apart from where its clock comes from. Every advance runs the
 * simulation — timers, network deliveries, faults, the server — and lets the promise
 * callbacks of each step run before the next, like fake-timers' `…Async` methods.
 *
 * The synchronous forms (`tick`, `next`, `runAll`, `runToLast`) throw: a response can only
 * arrive through a promise callback, which a synchronous advance never lets run.
 */
export interface FakeClock {
  /** The node's wall clock, epoch ms (what `Date.now()` returns in its world). */
  readonly now: number;
  /** The node's `Date`. */
  readonly Date: DateConstructor;
  /** The node's timers. */
  readonly setTimeout: ClientEnv['setTimeout'];
  /** Cancels a timer of the node. */
  readonly clearTimeout: ClientEnv['clearTimeout'];
  /** The node's repeating timers. */
  readonly setInterval: ClientEnv['setInterval'];
  /** Cancels a repeating timer of the node. */
  readonly clearInterval: ClientEnv['clearInterval'];
  /** The node's monotonic clock (`performance.now()`: virtual ms since the start). */
  readonly performance: ClientEnv['performance'];
  /** Runs `time` (ms, or `"mm:ss"` / `"hh:mm:ss"`) of virtual time; resolves to {@link FakeClock.now}. */
  tickAsync(time: number | string): Promise<number>;
  /** Runs to the next queued event (a timer or a network delivery) and everything due at that instant. */
  nextAsync(): Promise<number>;
  /** Runs until nothing is queued; rejects (a `SimulationStopped`) if work is still queued after `runAllHorizon`. */
  runAllAsync(): Promise<number>;
  /** Runs to the time of the last event queued now; what those events queue runs only if due by then. */
  runToLastAsync(): Promise<number>;
  /**
   * Sets the device's wall clock (`Date`) to `time` without running anything: timers still
   * fire after their delays and `performance.now()` keeps counting, as with fake-timers.
   * In a simulation it is the user setting the device's clock: the server keeps true time
   * (for the date a whole test runs at, use `new Simulation({ startTime })`).
   */
  setSystemTime(time?: number | Date): void;
  /** Timers of the node that are still queued. */
  countTimers(): number;
  /** Throws: use {@link FakeClock.tickAsync}. */
  tick(time: number | string): number;
  /** Throws: use {@link FakeClock.nextAsync}. */
  next(): number;
  /** Throws: use {@link FakeClock.runAllAsync}. */
  runAll(): number;
  /** Throws: use {@link FakeClock.runToLastAsync}. */
  runToLast(): number;
  /** Nothing to do: every advance already lets promise callbacks run. */
  runMicrotasks(): void;
  /** Puts the process globals back (when {@link FakeClockOptions.globals} installed them). */
  uninstall(): void;
  /** `vi.advanceTimersByTimeAsync(ms)`: {@link FakeClock.tickAsync}. */
  advanceTimersByTimeAsync(ms: number): Promise<number>;
  /** `vi.advanceTimersToNextTimerAsync()`: {@link FakeClock.nextAsync}. */
  advanceTimersToNextTimerAsync(): Promise<number>;
  /** `vi.runAllTimersAsync()`: {@link FakeClock.runAllAsync}. */
  runAllTimersAsync(): Promise<number>;
  /** `vi.runOnlyPendingTimersAsync()`: {@link FakeClock.runToLastAsync}. */
  runOnlyPendingTimersAsync(): Promise<number>;
  /** `vi.getTimerCount()`: {@link FakeClock.countTimers}. */
  getTimerCount(): number;
}

/**
 * Gives a test written for `@sinonjs/fake-timers` or `vi.useFakeTimers()` lockstep's
 * simulated network: replace `FakeTimers.install()` / `vi.useFakeTimers()` with this, and
 * `clock.tickAsync(ms)` (or `clock.advanceTimersByTimeAsync(ms)`) runs the simulation.
 * Lockstep's own clock serves the API rather than the simulation running on the installed
 * fake clock: it is faster (bench/fake-timers-clock.ts), and only the kernel's queue knows
 * which node a task belongs to (app-background suspends it, guards name it, the trace
 * records it).
 *
 * ```ts
 * import { installFakeClock, jsonResponse, Simulation } from 'lockstep/sim';
 *
 * const sim = new Simulation({ seed: 1, server: () => ({ http: () => jsonResponse(200, { ok: true }) }) });
 * const clock = installFakeClock(sim);
 * try {
 *   let status = 0;
 *   setTimeout(() => void fetch('/api/health').then((r) => (status = r.status)), 1000);
 *   await clock.tickAsync(2000);
 *   console.log(status); // 200
 * } finally {
 *   clock.uninstall();
 * }
 * ```
 */
export function installFakeClock(sim: Simulation, options: FakeClockOptions = {}): FakeClock {
  const node = options.node ?? 'c1';
  const horizon = options.runAllHorizon ?? 3_600_000;
  if (!(horizon > 0)) throw new TypeError(`installFakeClock: runAllHorizon: expected virtual ms > 0, found ${String(options.runAllHorizon)}`);
  const env = (): ClientEnv => sim.env(node);
  const restore = options.globals === false ? undefined : sim.installGlobals(node);
  let uninstalled = false;
  const { scheduler } = sim;
  const now = (): number => env().Date.now();
  const sync = (name: string, instead: string) => (): never => {
    throw new Error(`clock.${name}(): a simulation advances asynchronously (responses arrive in promise callbacks); use await clock.${instead}`);
  };
  const clock: FakeClock = {
    get now() {
      return now();
    },
    get Date() {
      return env().Date;
    },
    setTimeout: (fn, ms, ...a) => env().setTimeout(fn, ms, ...a),
    clearTimeout: (t) => env().clearTimeout(t),
    setInterval: (fn, ms, ...a) => env().setInterval(fn, ms, ...a),
    clearInterval: (t) => env().clearInterval(t),
    get performance() {
      return env().performance;
    },
    async tickAsync(time) {
      await sim.run(duration(time));
      return now();
    },
    async nextAsync() {
      const at = scheduler.nextAt();
      if (at !== undefined) await sim.runUntil(at);
      return now();
    },
    async runAllAsync() {
      await sim.runUntilIdle(scheduler.now + horizon);
      return now();
    },
    async runToLastAsync() {
      const last = scheduler.queued().reduce((m, t) => Math.max(m, t.at), -Infinity);
      if (Number.isFinite(last)) await sim.runUntil(last);
      return now();
    },
    setSystemTime(time = 0) {
      const to = typeof time === 'number' ? time : time.getTime();
      if (!Number.isFinite(to)) throw new TypeError(`clock.setSystemTime: expected epoch ms or a valid Date, found ${String(time)}`);
      sim.node(node).clock.skew += to - now();
      env().log('clock set', { wallClock: new Date(to).toISOString() });
    },
    countTimers: () => scheduler.queued().filter((t) => t.owner === node && t.kind === 'timer').length,
    tick: sync('tick', 'tickAsync(ms)'),
    next: sync('next', 'nextAsync()'),
    runAll: sync('runAll', 'runAllAsync()'),
    runToLast: sync('runToLast', 'runToLastAsync()'),
    runMicrotasks: () => {},
    uninstall() {
      if (uninstalled) return;
      uninstalled = true;
      restore?.();
    },
    advanceTimersByTimeAsync: (ms) => clock.tickAsync(ms),
    advanceTimersToNextTimerAsync: () => clock.nextAsync(),
    runAllTimersAsync: () => clock.runAllAsync(),
    runOnlyPendingTimersAsync: () => clock.runToLastAsync(),
    getTimerCount: () => clock.countTimers(),
  };
  return clock;
}

/** ms from a number or fake-timers' `"ss"`, `"mm:ss"`, `"hh:mm:ss"`. */
function duration(time: number | string): number {
  if (typeof time === 'number') {
    if (!Number.isFinite(time) || time < 0) throw new TypeError(`clock.tickAsync: expected a duration in ms >= 0, found ${String(time)}`);
    return time;
  }
  const parts = time.split(':');
  if (parts.length > 3 || !parts.every((p) => /^\d{1,2}$/.test(p)))
    throw new TypeError(`clock.tickAsync: expected ms or "hh:mm:ss" (as fake-timers), found "${time}"`);
  return parts.reduce((s, p) => s * 60 + Number(p), 0) * 1000;
}

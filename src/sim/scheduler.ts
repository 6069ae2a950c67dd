import { activity } from './activity.js';
import { real } from './real-globals.js';
import { roundTime } from './trace.js';
import { raiseHint } from './guard-limits.js';
import { SimulationStopped } from './stopped.js';

/** What kind of work a task is: a client or server timer, a network delivery, or kernel work. */
export type TaskKind = 'timer' | 'net' | 'sim';

/** One entry of the event queue. */
export interface Task {
  /** Virtual time at which it runs. */
  at: number;
  /** Insertion sequence: breaks ties, so the order is total. */
  seq: number;
  /** The node whose work this is (`c1`, `server`, `net`): used for suspension and guards. */
  owner: string;
  /** What kind of work it is (suspension and guards treat kinds differently). */
  kind: TaskKind;
  /** A stable name for messages: `c1/timer#4`, `c1/ws#2`. */
  subject: string;
  /** The work. */
  fn: () => void;
  /** Set when the task was cancelled: it stays in the queue but will not run. */
  cancelled: boolean;
}

/** Tasks run per batch of real event-loop immediates (see `Scheduler.runBatch`). */
const batchSize = 64;

/** Limits that stop a runaway client instead of letting a run hang. */
export interface GuardOptions {
  /** Tasks a run may execute in total. */
  maxEvents: number;
  /** Timer callbacks one owner may fire within one virtual second. */
  timerStormPerSecond: number;
  /** Tasks that may run at one single virtual instant (a zero-delay loop). */
  sameInstantLimit: number;
}

/**
 * Defaults no stricter than a real platform and tight enough to fail in milliseconds.
 * The timer-storm limit must let through what a browser lets through: its 4 ms clamp
 * still runs a zero-delay loop (`setInterval(fn, 0)`) 250 times per second, which is
 * wasteful but no hang, and a client doing that must not be stopped for it. 1000 per
 * virtual second (four such loops) leaves that margin; what it stops is a loop that
 * multiplies (each tick starting another timer), which no platform survives for long.
 * A zero-delay loop that never lets virtual time advance is caught by `sameInstantLimit`.
 */
export const defaultGuards: GuardOptions = {
  maxEvents: 5_000_000,
  timerStormPerSecond: 1000,
  sameInstantLimit: 20_000,
};

/**
 * The single owner of virtual time: a binary heap of tasks ordered by (time, sequence).
 * After every task it lets the microtasks that task queued run to completion, so a
 * promise continuation always happens "at" the virtual time of its cause.
 */
export class Scheduler {
  /** Current virtual time in ms. */
  now = 0;
  /** Tasks executed so far. */
  executed = 0;
  private heap: Task[] = [];
  private nextSeq = 0;
  private stopError: SimulationStopped | undefined;
  private running = false;
  private readonly suspended = new Map<string, Task[]>();
  private readonly throttled = new Map<string, number>();
  /** Timers pushed to a throttle boundary, with the time they were due: lifting the throttle restores them. */
  private readonly deferred = new Map<string, Map<Task, number>>();
  private stormBucket = new Map<string, { second: number; count: number }>();
  private instant = { at: -1, count: 0 };
  /** The task currently executing (and whose microtasks are draining). */
  current: Task | undefined;
  /** True only while the synchronous part of {@link Scheduler.current} runs (traps use it to
   * tell which of several overlapping runs made a call). */
  inTask = false;
  /** Called when a task throws; the run goes on unless the error stops it. */
  onTaskError: (task: Task, error: unknown) => void = () => {};
  /** Called before each task runs, while the clock still shows the previous time. */
  beforeTask: (() => void) | undefined;
  /** Called after each task and its microtasks (used to batch per-task trace lines). */
  afterTask: (() => void) | undefined;
  /** Called once when a guard or trap stops the run, before the run rejects. */
  onStop: (error: SimulationStopped) => void = () => {};

  constructor(
    /** The limits that stop a runaway client. */
    readonly guards: GuardOptions = defaultGuards,
  ) {}

  /** Queues `fn` to run `delay` ms from now (never in the past). */
  schedule(delay: number, owner: string, kind: TaskKind, subject: string, fn: () => void): Task {
    return this.scheduleAt(this.now + Math.max(0, delay), owner, kind, subject, fn);
  }

  /** Queues `fn` at absolute virtual time `at` (clamped to now). A NaN time is a bug in the
   * caller and throws: it would silently break the queue's order. */
  scheduleAt(at: number, owner: string, kind: TaskKind, subject: string, fn: () => void): Task {
    if (Number.isNaN(at)) throw new TypeError(`${subject}: cannot schedule at virtual time NaN (owner ${owner})`);
    const task: Task = { at: roundTime(Math.max(at, this.now)), seq: this.nextSeq++, owner, kind, subject, fn, cancelled: false };
    this.push(task);
    return task;
  }

  /** Puts a popped task back in the queue at `at`, behind everything already queued for
   * that instant. The task object stays the same, so handles holding it can still cancel it. */
  private requeue(task: Task, at: number): void {
    task.at = roundTime(Math.max(at, this.now));
    task.seq = this.nextSeq++;
    this.push(task);
  }

  /** Cancels a queued task; cancelling twice or after it ran is harmless. */
  cancel(task: Task | undefined): void {
    if (task) task.cancelled = true;
  }

  /** Cancels every queued task of `owner` (a crashed app or restarted server). */
  cancelOwner(owner: string, kinds?: readonly TaskKind[]): number {
    let n = 0;
    for (const t of this.heap) {
      if (!t.cancelled && t.owner === owner && (!kinds || kinds.includes(t.kind))) {
        t.cancelled = true;
        n++;
      }
    }
    const parked = this.suspended.get(owner);
    if (parked) {
      for (const t of parked) {
        if (!t.cancelled && (!kinds || kinds.includes(t.kind))) {
          t.cancelled = true;
          n++;
        }
      }
    }
    return n;
  }

  /** Stops running `owner`'s tasks; they wait, in order, until {@link Scheduler.resume}. */
  suspend(owner: string): void {
    if (!this.suspended.has(owner)) this.suspended.set(owner, []);
  }

  /** Runs `owner`'s parked tasks now, in their original order, and lets new ones run. */
  resume(owner: string): void {
    const parked = this.suspended.get(owner);
    if (!parked) return;
    this.suspended.delete(owner);
    for (const t of parked) if (!t.cancelled) this.requeue(t, this.now);
  }

  /** Delays `owner`'s timers to the next multiple of `ms` (background throttling); `undefined` lifts it. */
  throttle(owner: string, ms: number | undefined): void {
    if (ms !== undefined) {
      this.throttled.set(owner, ms);
      return;
    }
    this.throttled.delete(owner);
    // Back in the foreground, a timer deferred to the next boundary is due when it was
    // meant to be (or now, if that has passed), as a browser runs it on return.
    const deferred = this.deferred.get(owner);
    this.deferred.delete(owner);
    if (!deferred) return;
    const live = [...deferred].filter(([t, at]) => !t.cancelled && t.at > at).sort((a, b) => a[1] - b[1] || a[0].seq - b[0].seq);
    if (live.length === 0) return;
    for (const [t, at] of live) {
      t.at = roundTime(Math.max(at, this.now));
      t.seq = this.nextSeq++;
    }
    this.heap.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** True while `owner` is suspended. */
  isSuspended(owner: string): boolean {
    return this.suspended.has(owner);
  }

  /** Asks the run to stop with `error` after the current task; traps and guards use it. */
  stop(error: SimulationStopped): void {
    if (!this.stopError) {
      this.stopError = error;
      this.onStop(error);
    }
  }

  /** The error that stopped the run, if any. */
  get stopped(): SimulationStopped | undefined {
    return this.stopError;
  }

  /** Number of queued (not cancelled) tasks. */
  pending(): number {
    let n = 0;
    for (const t of this.heap) if (!t.cancelled) n++;
    return n;
  }

  /** @internal The queued (not cancelled) tasks, in no particular order: for tools that inspect the queue, not for the run loop. */
  queued(): Task[] {
    return this.heap.filter((t) => !t.cancelled);
  }

  /** The earliest queued task's time, or `undefined` when the queue is empty. */
  nextAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /**
   * Runs every task due up to and including virtual time `until`, then sets the clock
   * to `until` (`Infinity` runs until the queue is empty and leaves the clock at the last
   * event). Rejects with {@link SimulationStopped} if a guard or trap fired, and with a
   * `TypeError` for a NaN `until`.
   */
  async runUntil(until: number): Promise<void> {
    await this.runTo(until, true);
  }

  private async runTo(until: number, advance: boolean): Promise<void> {
    if (typeof until !== 'number' || Number.isNaN(until))
      throw new TypeError(`run until: expected a virtual time in ms, found ${String(until)} (a run to NaN would never end)`);
    if (this.running) throw new Error('the scheduler is already running: await the first run before starting another');
    this.running = true;
    try {
      while (await this.runBatch(until));
      if (this.stopError) throw this.stopError;
      // Running "forever" ends when the queue is empty; the clock stays at the last event.
      if (advance && Number.isFinite(until)) this.now = Math.max(this.now, roundTime(until));
    } finally {
      this.current = undefined;
      this.running = false;
    }
  }

  /**
   * Runs up to {@link batchSize} due tasks, each in its own real `setImmediate` callback,
   * all queued at once. Node runs every microtask and `nextTick` callback after each
   * immediate callback, so a task's promise continuations still finish before the next
   * task starts — exactly as with one event-loop turn per task — while the loop's other
   * phases are passed once per batch instead of once per task. Work queued before the run
   * drains before the first task the same way. Resolves `true` when more may be due.
   */
  private runBatch(until: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const settle = (more: boolean, error?: unknown): void => {
        if (settled) return;
        settled = true;
        if (error !== undefined) reject(error);
        else resolve(more);
      };
      const step = (last: boolean) => (): void => {
        if (settled) return;
        try {
          if (this.current) {
            this.afterTask?.();
            this.current = undefined;
          }
          if (this.stopError) return settle(false);
          for (;;) {
            this.dropCancelledTop();
            const task = this.heap[0];
            if (!task || task.at > until) return settle(false);
            if (last) return settle(true);
            this.pop();
            if (this.park(task)) continue;
            this.runTask(task);
            return;
          }
        } catch (e) {
          settle(false, e);
        }
      };
      for (let i = 0; i < batchSize; i++) real.setImmediate(step(false));
      real.setImmediate(step(true));
    });
  }

  /** Runs one task's synchronous part; its microtasks drain before the next immediate. */
  private runTask(task: Task): void {
    if (this.deferred.size > 0) this.deferred.get(task.owner)?.delete(task);
    this.beforeTask?.();
    this.now = task.at;
    activity.probe?.(task);
    this.guard(task);
    this.current = task;
    this.inTask = true;
    try {
      task.fn();
    } catch (e) {
      if (e instanceof SimulationStopped) this.stop(e);
      else this.onTaskError(task, e);
    } finally {
      this.inTask = false;
    }
  }

  /**
   * Runs until the queue is empty, leaving the clock at the last event; if work is still
   * queued past `horizon`, the clock stops at the horizon and the run stops with a message
   * naming the owner, the task and the times.
   */
  async runUntilIdle(horizon: number): Promise<void> {
    await this.runTo(horizon, false);
    this.dropCancelledTop();
    const next = this.heap[0];
    if (next) {
      this.now = Math.max(this.now, roundTime(horizon));
      const err = new SimulationStopped(
        'horizon',
        next.owner,
        next.subject,
        this.now,
        `${next.owner}: still busy at the virtual-time horizon ${horizon} ms: ${next.subject} is due at ${next.at} ms (${this.pending()} tasks queued). Raise the horizon if the work is legitimate, or stop the loop that keeps rescheduling it.`,
      );
      this.stop(err);
      throw err;
    }
  }

  private park(task: Task): boolean {
    const parked = this.suspended.get(task.owner);
    if (parked) {
      parked.push(task);
      return true;
    }
    if (task.kind === 'timer') {
      const every = this.throttled.get(task.owner);
      if (every !== undefined && every > 0) {
        const aligned = Math.ceil(task.at / every) * every;
        if (aligned > task.at) {
          let d = this.deferred.get(task.owner);
          if (!d) this.deferred.set(task.owner, (d = new Map()));
          d.set(task, task.at);
          this.requeue(task, aligned);
          return true;
        }
      }
    }
    return false;
  }

  private guard(task: Task): void {
    const g = this.guards;
    this.executed++;
    if (this.executed > g.maxEvents) {
      this.stop(
        new SimulationStopped(
          'event-budget',
          task.owner,
          task.subject,
          task.at,
          `${task.owner}: the run exceeded its event budget of ${g.maxEvents} events at virtual time ${task.at} ms; the last event was ${task.subject}. Shorten the run if this much work is unexpected. ${raiseHint('event-budget', g.maxEvents)}`,
        ),
      );
      throw this.stopError;
    }
    if (task.at === this.instant.at) {
      if (++this.instant.count > g.sameInstantLimit) {
        this.stop(
          new SimulationStopped(
            'zero-delay-loop',
            task.owner,
            task.subject,
            task.at,
            `${task.owner}: zero-delay loop: more than ${g.sameInstantLimit} events ran at virtual time ${task.at} ms without time advancing; the last was ${task.subject}. Give the loop a delay if this much work at one instant is unexpected. ${raiseHint('zero-delay-loop', g.sameInstantLimit)}`,
          ),
        );
        throw this.stopError;
      }
    } else {
      this.instant = { at: task.at, count: 1 };
    }
    if (task.kind === 'timer') {
      const second = Math.floor(task.at / 1000);
      let b = this.stormBucket.get(task.owner);
      if (!b || b.second !== second) {
        b = { second, count: 0 };
        this.stormBucket.set(task.owner, b);
      }
      if (++b.count > g.timerStormPerSecond) {
        this.stop(
          new SimulationStopped(
            'timer-storm',
            task.owner,
            task.subject,
            task.at,
            `${task.owner}: timer storm: more than ${g.timerStormPerSecond} timer callbacks fired within one virtual second (${second * 1000}–${second * 1000 + 1000} ms); the last was ${task.subject} at virtual time ${task.at} ms. Look for timers that start more timers on every tick. ${raiseHint('timer-storm', g.timerStormPerSecond)}`,
          ),
        );
        throw this.stopError;
      }
    }
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.at < task.at || (parent.at === task.at && parent.seq < task.seq)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = task;
  }

  private pop(): Task | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (h[r]!.at < h[l]!.at || (h[r]!.at === h[l]!.at && h[r]!.seq < h[l]!.seq))) c = r;
        const child = h[c]!;
        if (last.at < child.at || (last.at === child.at && last.seq < child.seq)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

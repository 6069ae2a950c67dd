import type { ClientEnv } from './client-node.js';
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';
import { SimCloseEvent } from './transport/events.js';
import { restoreProperty } from './traps.js';

/**
 * Installs one client node's simulated world as the process globals, for unmodified
 * code: timers, `Date`, `performance`, `fetch`, `WebSocket`, `CloseEvent`,
 * `AbortSignal.timeout`, `setImmediate` and `Math.random` (served from the node's seeded
 * stream; each task that drew from it is traced as `client.random`). Returns a function
 * that restores every global exactly as it was.
 */
export function installGlobals(env: ClientEnv, random: Random, scheduler: Scheduler, trace: Trace): () => void {
  const saved: [object, string, PropertyDescriptor | undefined][] = [];
  const set = (target: object, key: string, value: unknown): void => {
    saved.push([target, key, Object.getOwnPropertyDescriptor(target, key)]);
    Object.defineProperty(target, key, { configurable: true, writable: true, enumerable: false, value });
  };
  let pendingDraws = 0;
  const flush = (): void => {
    if (pendingDraws === 0) return;
    trace.record(scheduler.now, 'client.random', { node: env.node, draws: pendingDraws });
    pendingDraws = 0;
  };
  const previousAfterTask = scheduler.afterTask;
  scheduler.afterTask = () => {
    previousAfterTask?.();
    flush();
  };
  // Draws made outside any task (while the client is built, between runs) are recorded at
  // the time they happened, before the next task moves the clock.
  const previousBeforeTask = scheduler.beforeTask;
  scheduler.beforeTask = () => {
    previousBeforeTask?.();
    flush();
  };
  set(globalThis, 'setTimeout', env.setTimeout);
  set(globalThis, 'clearTimeout', env.clearTimeout);
  set(globalThis, 'setInterval', env.setInterval);
  set(globalThis, 'clearInterval', env.clearInterval);
  set(globalThis, 'setImmediate', (fn: (...a: unknown[]) => void, ...args: unknown[]) => env.setTimeout(fn, 0, ...args));
  set(globalThis, 'clearImmediate', env.clearTimeout);
  set(globalThis, 'Date', env.Date);
  set(globalThis, 'performance', env.performance);
  set(globalThis, 'fetch', env.fetch);
  set(globalThis, 'WebSocket', env.WebSocket);
  if (!('CloseEvent' in globalThis)) set(globalThis, 'CloseEvent', SimCloseEvent);
  set(AbortSignal, 'timeout', (ms: number) => env.timeoutSignal(ms));
  set(Math, 'random', () => {
    pendingDraws++;
    return random.next();
  });
  return () => {
    flush();
    scheduler.afterTask = previousAfterTask;
    scheduler.beforeTask = previousBeforeTask;
    for (const [target, key, d] of saved.reverse()) restoreProperty(target, key, d);
  };
}

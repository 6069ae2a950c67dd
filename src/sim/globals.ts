import type { ClientEnv } from './client-node.js';
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';
import { SimCloseEvent } from './transport/events.js';
import { restoreProperty } from './traps.js';
import { zonedDateTimeFormat } from './zoned-intl.js';

/**
 * Installs one client node's simulated world as the process globals, for unmodified
 * code: timers, `Date` (the device's skewed wall clock, local time in its zone),
 * `Intl.DateTimeFormat` (the device's zone by default), `performance`, `fetch`,
 * `WebSocket`, `CloseEvent`,
 * `AbortSignal.timeout`, `setImmediate`, `process.hrtime`, and `Math.random`,
 * `crypto.randomUUID` and `crypto.getRandomValues` (served from the node's seeded stream;
 * each task that drew from it is traced as `client.random`). Returns a function
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
  const unhook = flushAroundTasks(scheduler, flush);
  set(globalThis, 'setTimeout', env.setTimeout);
  set(globalThis, 'clearTimeout', env.clearTimeout);
  set(globalThis, 'setInterval', env.setInterval);
  set(globalThis, 'clearInterval', env.clearInterval);
  set(globalThis, 'setImmediate', (fn: (...a: unknown[]) => void, ...args: unknown[]) => env.setTimeout(fn, 0, ...args));
  set(globalThis, 'clearImmediate', env.clearTimeout);
  set(globalThis, 'Date', env.Date);
  if (env.clock) set(Intl, 'DateTimeFormat', zonedDateTimeFormat(env.clock.timeZone, () => env.Date.now()));
  set(globalThis, 'performance', env.performance);
  set(globalThis, 'fetch', env.fetch);
  set(globalThis, 'WebSocket', env.WebSocket);
  if (!('CloseEvent' in globalThis)) set(globalThis, 'CloseEvent', SimCloseEvent);
  set(AbortSignal, 'timeout', (ms: number) => env.timeoutSignal(ms));
  set(Math, 'random', () => {
    pendingDraws++;
    return random.next();
  });
  // Web Crypto's generators, served from the same seeded stream (ids in URLs, request keys).
  const fill = <T extends ArrayBufferView | null>(view: T): T => {
    if (!view) return view;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random.next() * 256);
    pendingDraws++;
    return view;
  };
  set(globalThis.crypto, 'getRandomValues', fill);
  set(globalThis.crypto, 'randomUUID', () => uuidFrom(fill));
  // process.hrtime on virtual time (libraries measure durations with it).
  set(process, 'hrtime', virtualHrtime(() => env.performance.now()));
  return () => {
    flush();
    unhook();
    for (const [target, key, d] of saved.reverse()) restoreProperty(target, key, d);
  };
}

/** @internal A version-4 UUID (`crypto.randomUUID`) from 16 bytes that `fill` draws. */
export function uuidFrom(fill: (view: Uint8Array) => Uint8Array): string {
  const b = fill(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** @internal `process.hrtime` (and its `bigint` form) read from `nowMs`, a monotonic clock in virtual ms. */
export function virtualHrtime(nowMs: () => number): typeof process.hrtime {
  const hrtime = (previous?: [number, number]): [number, number] => {
    const ns = Math.round(nowMs() * 1e6) - (previous ? previous[0] * 1e9 + previous[1] : 0);
    return [Math.floor(ns / 1e9), ns % 1e9];
  };
  hrtime.bigint = (): bigint => BigInt(Math.round(nowMs() * 1e6));
  return hrtime;
}

/**
 * @internal Runs `flush` after every task and before the next (after the hooks already
 * set): draws made outside any task (while the client is built, between runs) are then
 * recorded at the time they happened, before the next task moves the clock. Returns what
 * puts the previous hooks back.
 */
export function flushAroundTasks(scheduler: Scheduler, flush: () => void): () => void {
  const previousAfter = scheduler.afterTask;
  const previousBefore = scheduler.beforeTask;
  scheduler.afterTask = () => {
    previousAfter?.();
    flush();
  };
  scheduler.beforeTask = () => {
    previousBefore?.();
    flush();
  };
  return () => {
    scheduler.afterTask = previousAfter;
    scheduler.beforeTask = previousBefore;
  };
}

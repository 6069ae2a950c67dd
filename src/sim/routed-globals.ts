import nodeCrypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import type { ClientEnv } from './client-node.js';
import { browserProfile, type BrowserWorld } from './browser-profile.js';
import { flushAroundTasks, uuidFrom, virtualHrtime } from './globals.js';
import { real } from './real-globals.js';
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';
import { SimCloseEvent } from './transport/events.js';
import { restoreProperty } from './traps.js';
import { zonedDateTimeFormat } from './zoned-intl.js';

/** What the router needs of a simulation (a `Simulation` fits). */
export interface RoutedWorlds {
  /** Virtual time and the task being run. */
  readonly scheduler: Scheduler;
  /** Where `client.random` steps go. */
  readonly trace: Trace;
  /** Names of the client nodes. */
  clientNames(): string[];
  /** The current incarnation's environment of `node`. */
  env(node: string): ClientEnv;
  /** The node itself: its seeded stream. */
  node(node: string): { readonly random: Random };
}

/** One node's world, for one app incarnation. */
interface World {
  env: ClientEnv;
  random: Random;
  draws: number;
  browser: BrowserWorld;
  DateTimeFormat: typeof Intl.DateTimeFormat;
}

/** The process globals while several client nodes share them (see {@link installRoutedGlobals}). */
export interface GlobalsRouter {
  /** The node whose world serves global calls right now. */
  currentNode(): string;
  /** Runs `fn` as code of `node` (module evaluation, `createClient`, `snapshot()`), whatever task is running. */
  enter<T>(node: string, fn: () => T): T;
  /** Puts every global back exactly as it was. */
  restore(): void;
}

/**
 * Installs process globals that serve *whichever client node is running*: the node that
 * owns the scheduler's current task (a task's promise continuations drain before the next
 * task starts, so an `await fetch()` resumes in the world that started it), or the node
 * {@link GlobalsRouter.enter}ed explicitly. Each node — and each incarnation after an app
 * restart — gets its own world: timers, `Date` (skew, zone), `Intl.DateTimeFormat`,
 * `performance`, `process.hrtime`, `fetch`, `WebSocket`, `AbortSignal.timeout`, and every
 * random generator a client can reach (`Math.random`, `crypto.randomUUID`,
 * `crypto.getRandomValues`, `node:crypto` `randomBytes`/`randomInt`/`randomUUID`/
 * `randomFillSync`) served from the node's seeded stream, plus the browser profile
 * (`window`, `document`, `navigator`, `location`, `localStorage`, `sessionStorage`).
 * Work of no client (server, network, faults) is served by the first node, as before.
 * A library that captured a global at import time captured the router, so it follows too.
 */
export function installRoutedGlobals(sim: RoutedWorlds): GlobalsRouter {
  const { scheduler, trace } = sim;
  const names = new Set(sim.clientNames());
  const first = sim.clientNames()[0]!;
  const worlds = new Map<string, World>();
  let entered: string | undefined;

  const nodeNow = (): string => {
    if (entered !== undefined) return entered;
    const owner = scheduler.current?.owner;
    return owner !== undefined && names.has(owner) ? owner : first;
  };
  const world = (): World => {
    const node = nodeNow();
    const env = sim.env(node);
    let w = worlds.get(node);
    if (!w || w.env !== env) {
      if (w) flushOne(node, w);
      w = { env, random: sim.node(node).random, draws: 0, browser: browserProfile(env), DateTimeFormat: zonedDateTimeFormat(env.clock?.timeZone ?? 'UTC', () => env.Date.now()) };
      worlds.set(node, w);
    }
    return w;
  };
  const flushOne = (node: string, w: World): void => {
    if (w.draws === 0) return;
    trace.record(scheduler.now, 'client.random', { node, draws: w.draws });
    w.draws = 0;
  };
  const flush = (): void => {
    for (const [node, w] of worlds) flushOne(node, w);
  };
  const unhook = flushAroundTasks(scheduler, flush);
  const draw = (): number => {
    const w = world();
    w.draws++;
    return w.random.next();
  };
  const fill = <T extends ArrayBufferView | null>(view: T): T => {
    if (!view) return view;
    const w = world();
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(w.random.next() * 256);
    w.draws++;
    return view;
  };
  const uuid = (): string => uuidFrom(fill);

  const saved: [object, string, PropertyDescriptor | undefined][] = [];
  const set = (target: object, key: string, value: unknown, enumerable = false): void => {
    saved.push([target, key, Object.getOwnPropertyDescriptor(target, key)]);
    Object.defineProperty(target, key, { configurable: true, writable: true, enumerable, value });
  };
  const env = (): ClientEnv => world().env;

  set(globalThis, 'setTimeout', (fn: () => void, ms?: number, ...a: unknown[]) => env().setTimeout(fn, ms, ...a));
  set(globalThis, 'setInterval', (fn: () => void, ms?: number, ...a: unknown[]) => env().setInterval(fn, ms, ...a));
  set(globalThis, 'setImmediate', (fn: (...a: unknown[]) => void, ...a: unknown[]) => env().setTimeout(fn, 0, ...a));
  for (const k of ['clearTimeout', 'clearInterval', 'clearImmediate'] as const) set(globalThis, k, (t: unknown) => env().clearTimeout(t as never));
  set(globalThis, 'Date', routedClass(real.Date, () => env().Date, (v) => v instanceof real.Date));
  set(Intl, 'DateTimeFormat', routedClass(Intl.DateTimeFormat, () => world().DateTimeFormat));
  set(globalThis, 'performance', routedObject(() => env().performance));
  set(globalThis, 'fetch', (input: RequestInfo | URL, init?: RequestInit) => env().fetch(input, init));
  set(globalThis, 'WebSocket', routedClass(sim.env(first).WebSocket as unknown as new () => object, () => env().WebSocket as unknown as new () => object));
  if (!('CloseEvent' in globalThis)) set(globalThis, 'CloseEvent', SimCloseEvent);
  set(AbortSignal, 'timeout', (ms: number) => env().timeoutSignal(ms));
  set(Math, 'random', draw);
  set(globalThis.crypto, 'getRandomValues', fill);
  set(globalThis.crypto, 'randomUUID', uuid);
  set(process, 'hrtime', virtualHrtime(() => env().performance.now()));
  // node:crypto's generators, on the same stream (the traps leave a replaced entry alone).
  set(nodeCrypto, 'randomUUID', uuid, true);
  set(nodeCrypto, 'randomFillSync', (buf: ArrayBufferView, offset = 0, size?: number) => {
    const view = new Uint8Array(buf.buffer, buf.byteOffset + offset, size ?? buf.byteLength - offset);
    fill(view);
    return buf;
  }, true);
  set(nodeCrypto, 'randomBytes', (size: number, cb?: (e: Error | null, b: Buffer) => void) => {
    const b = fill(Buffer.alloc(size));
    if (!cb) return b;
    // Node calls back from its thread pool; here within the caller's turn, in order.
    queueMicrotask(() => cb(null, b));
    return undefined;
  }, true);
  set(nodeCrypto, 'randomInt', (a: number, b?: number | ((e: Error | null, n: number) => void), c?: (e: Error | null, n: number) => void) => {
    const [min, max, cb] = typeof b === 'number' ? [a, b, c] : [0, a, b];
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min)
      throw new RangeError(`crypto.randomInt: expected safe integers min < max, found ${String(min)}, ${String(max)}`);
    const n = min + Math.floor(draw() * (max - min));
    if (!cb) return n;
    queueMicrotask(() => cb(null, n));
    return undefined;
  }, true);
  syncBuiltinESMExports();
  installBrowserGlobals(set, () => world().browser);

  return {
    currentNode: nodeNow,
    enter<T>(node: string, fn: () => T): T {
      const outer = entered;
      entered = node;
      try {
        return fn();
      } finally {
        entered = outer;
      }
    },
    restore() {
      flush();
      unhook();
      for (const [target, key, d] of saved.reverse()) restoreProperty(target, key, d);
      syncBuiltinESMExports();
    },
  };
}

/** The browser globals: one object each, whose members follow the running node. */
function installBrowserGlobals(set: (t: object, k: string, v: unknown, e?: boolean) => void, b: () => BrowserWorld): void {
  // A global Node itself provides (Node 21+ `navigator`) is shadowed the same way, and put back.
  set(globalThis, 'window', globalThis);
  set(globalThis, 'self', globalThis);
  set(globalThis, 'document', routedObject(() => b().document));
  set(globalThis, 'navigator', routedObject(() => b().navigator));
  set(globalThis, 'location', routedObject(() => b().location));
  set(globalThis, 'localStorage', routedObject(() => b().localStorage));
  set(globalThis, 'sessionStorage', routedObject(() => b().sessionStorage));
  set(globalThis, 'addEventListener', (...a: Parameters<EventTarget['addEventListener']>) => b().window.addEventListener(...a));
  set(globalThis, 'removeEventListener', (...a: Parameters<EventTarget['removeEventListener']>) => b().window.removeEventListener(...a));
  set(globalThis, 'dispatchEvent', (e: Event) => b().window.dispatchEvent(e));
}

/**
 * A class whose construction, calls and statics go to `current()`. `instanceof` holds for
 * any instance of `base` (a `Date` made in another node's world is still a `Date`).
 */
function routedClass<C extends abstract new (...a: never[]) => unknown>(base: C, current: () => C, isInstance?: (v: unknown) => boolean): C {
  const proxy: C = new Proxy(base, {
    construct: (_t, args, newTarget) => {
      const c = current() as unknown as new (...a: unknown[]) => object;
      return Reflect.construct(c, args, newTarget === proxy ? c : newTarget);
    },
    apply: (_t, self, args) => Reflect.apply(current() as unknown as (...a: unknown[]) => unknown, self, args),
    get: (_t, key) => {
      if (key === Symbol.hasInstance) return (v: unknown) => (isInstance ? isInstance(v) : v instanceof (current() as unknown as new () => object));
      const c = current();
      const v = Reflect.get(c, key) as unknown;
      return typeof v === 'function' && key !== 'prototype' && key !== 'constructor' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
    },
  });
  return proxy;
}

/** An object whose members are `current()`'s (methods bound to it). */
function routedObject<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get: (_t, key) => {
      const o = current();
      const v = Reflect.get(o, key, o) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(o) : v;
    },
    set: (_t, key, value) => Reflect.set(current(), key, value),
    has: (_t, key) => Reflect.has(current(), key),
    deleteProperty: (_t, key) => Reflect.deleteProperty(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(current(), key);
      return d ? { ...d, configurable: true } : undefined;
    },
  });
}

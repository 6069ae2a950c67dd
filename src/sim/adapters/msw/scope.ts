import { AsyncLocalStorage } from 'node:async_hooks';
import { SimTimer } from '../../clock.js';
import type { Random } from '../../random.js';
import type { ServerEnv } from '../../server-host.js';
import { restoreProperty } from '../../traps.js';

/**
 * Gives msw code the deterministic globals it needs, without changing them for anyone
 * else. msw reaches for globals at call time: `delay()` calls `setTimeout`, every
 * intercepted request and every `getResponse` draws an id from `Math.random`, handlers
 * stamp `new Date()` into bodies. Inside a simulation those globals are either the
 * kernel's traps (a run with an injected `env`: the run would stop — and, inside msw's
 * `node:http` interception, from a `process.nextTick` callback, as an uncaught exception)
 * or one *client node's* simulated globals (`Simulation.installGlobals`: a server's
 * `delay(500)` would become a timer of `c1`, suspended when `c1` is backgrounded and
 * cancelled when `c1` restarts; msw's id draws would shift `c1`'s own random sequence).
 *
 * Two scopes:
 * - **server scope** ({@link runAsServer}): msw handler code acting as the simulated
 *   server. `setTimeout`/`setInterval`/`setImmediate` and their `clear*` are the server's
 *   virtual timers, `Date` is its virtual clock, `Math.random` its seeded stream. Kept by
 *   an `AsyncLocalStorage`: async context follows `await`, promise reactions and
 *   `process.nextTick`, so a handler's continuation after `await delay(500)` is still in
 *   scope. (Node then tracks every promise of the process; the storage is disabled again
 *   whenever no server work is pending.)
 * - **msw-id window** ({@link withMswIds}): the synchronous step in which msw names one
 *   bridged request. Only `Math.random`, and only for one draw (msw's request id), comes
 *   from a dedicated seeded stream. No async context is needed, so the bridge costs no
 *   promise tracking.
 *
 * How: while a scope may be entered, a router function sits on top of each of those
 * globals. Out of scope it calls whatever it covers (a trap, a client's global, the real
 * one), so other code sees no difference. A router is installed at every entry where
 * none of ours is on top (a request or WebSocket event reaching the server, a server
 * timer firing, a bridged call), each one covering exactly what was there then, and they
 * are taken off once no work that needs them is pending (no request being answered, no
 * open msw WebSocket, no open bridge). The kernel's own restores (traps at the end of
 * `sim.run`, the function `installGlobals` returns) put back the descriptors they saved,
 * which takes a router laid over them off too. So between runs with server work still
 * pending (a `delay()` in progress), the globals the kernel does not manage (`Date`, the
 * `clear*` functions) may still be routers — passing every call through unchanged — and
 * an abandoned simulation with a WebSocket still open leaves them there for good.
 * Nothing is ever removed that was not installed here.
 */

const scope = new AsyncLocalStorage<ServerEnv>();

/** While msw names one bridged request (a synchronous window): where its id draw comes from. */
let idWindow: { ids: Random; budget: number } | undefined;

/**
 * While a bridge is open: the bridged node's virtual clock. msw's own request pipeline
 * reads the clock outside any server scope (its cookie store checks expiry with
 * `Date.now()`); with an injected `env` the real clock is trapped, so those reads — and
 * the bridged client's own — get the node's virtual time instead of stopping the run.
 */
let bridgeDate: DateConstructor | undefined;

/** Sets (or, with `undefined`, clears) the clock of the open bridge. */
export function setBridgeClock(date: DateConstructor | undefined): void {
  bridgeDate = date;
}

type Fn = (...args: unknown[]) => unknown;

/**
 * One global the router covers. `make` builds a router for it over `below`, the
 * descriptor it covers. Each installation is a new router with its own `below`: when a
 * layer laid over a router later puts that router back (the kernel restores the exact
 * descriptor it saved), the router still covers what it covered when it was installed.
 */
interface Slot {
  target: Record<string, unknown>;
  key: string;
  make(below: () => unknown): unknown;
}

const slots: Slot[] = [];
/** Every router installed so far → the descriptor it covers. */
const routers = new WeakMap<object, PropertyDescriptor | undefined>();
let pending = 0;

function serverEnv(): ServerEnv | undefined {
  return scope.getStore();
}

/** A server timer's callback: entering it re-installs the router (the run may have restored the globals since). */
function wrapTimer(fn: unknown): Fn {
  if (typeof fn !== 'function') return fn as Fn; // the timer API rejects it with its own message
  const f = fn as Fn;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    ensureRouter();
    return f.apply(this, args);
  };
  // Keep the callback's name: it is part of the timer's subject in guard messages.
  Object.defineProperty(wrapped, 'name', { value: f.name });
  return wrapped;
}

function named<F extends Fn>(name: string, fn: F): F {
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

function call(below: () => unknown, key: string, thisArg: unknown, args: unknown[]): unknown {
  const fn = below();
  if (typeof fn !== 'function') throw new TypeError(`${key} is not a function`);
  return (fn as Fn).apply(thisArg, args);
}

for (const key of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
  slots.push({
    target: globalThis as unknown as Record<string, unknown>,
    key,
    make: (below) =>
      named(key, function (this: unknown, fn: unknown, ...rest: unknown[]): unknown {
        const env = serverEnv();
        if (!env) return call(below, key, this, [fn, ...rest]);
        if (key === 'setImmediate') return env.setTimeout(wrapTimer(fn), 0, ...rest);
        const [delay, ...args] = rest;
        return env[key](wrapTimer(fn), delay as number | undefined, ...args);
      }),
  });
}
for (const key of ['clearTimeout', 'clearInterval', 'clearImmediate'] as const) {
  slots.push({
    target: globalThis as unknown as Record<string, unknown>,
    key,
    make: (below) =>
      named(key, function (this: unknown, handle: unknown): unknown {
        const env = serverEnv();
        // Only the server's own timers are cleared through its env; a client's timer or a
        // host timer handed to clearTimeout in scope goes to what the router covers.
        const own = handle instanceof SimTimer ? handle.subject.startsWith('server/') : typeof handle === 'number';
        if (!env || !own) return call(below, key, this, [handle]);
        return env.clearTimeout(handle as SimTimer | number);
      }),
  });
}
slots.push({
  target: Math as unknown as Record<string, unknown>,
  key: 'random',
  make: (below) =>
    named('random', function (this: unknown): unknown {
      const env = serverEnv();
      if (env) return env.random.next();
      if (idWindow && idWindow.budget > 0) {
        idWindow.budget--;
        return idWindow.ids.next();
      }
      return call(below, 'random', this, []);
    }),
});
slots.push({
  target: globalThis as unknown as Record<string, unknown>,
  key: 'Date',
  // A proxy over the `Date` it covers: in server scope `new Date()`, `Date()` and
  // `Date.now()` read the server's virtual clock; everything else (parsing, `Date.UTC`,
  // `instanceof`) is the covered class's own.
  make: (below) => {
    const Below = (): DateConstructor => below() as DateConstructor;
    const now = named('now', function now(): number {
      const env = serverEnv();
      return env ? env.Date.now() : (bridgeDate ?? Below()).now();
    });
    const proxy: DateConstructor = new Proxy(function Date() {} as unknown as DateConstructor, {
      construct(_t, args, newTarget) {
        const env = serverEnv();
        const D = env ? env.Date : args.length === 0 && bridgeDate ? bridgeDate : Below();
        return Reflect.construct(D, args, newTarget === proxy ? D : newTarget);
      },
      apply(_t, thisArg, args) {
        const env = serverEnv();
        return Reflect.apply(env ? env.Date : (bridgeDate ?? Below()), thisArg, args);
      },
      get(_t, prop) {
        return prop === 'now' ? now : Reflect.get(Below(), prop);
      },
      has(_t, prop) {
        return Reflect.has(Below(), prop);
      },
      getPrototypeOf() {
        return Reflect.getPrototypeOf(Below());
      },
    });
    return proxy;
  },
});

function valueOf(target: object, d: PropertyDescriptor | undefined): unknown {
  return d ? ('value' in d ? d.value : d.get?.call(target)) : undefined;
}

/** Puts a router on top of every global where one of ours is not on top already. */
export function ensureRouter(): void {
  for (const slot of slots) {
    const top = slot.target[slot.key];
    if (typeof top === 'function' && routers.has(top)) continue;
    const covered = Object.getOwnPropertyDescriptor(slot.target, slot.key);
    const router = slot.make(() => valueOf(slot.target, covered)) as object;
    routers.set(router, covered);
    Object.defineProperty(slot.target, slot.key, { configurable: true, writable: true, enumerable: false, value: router });
  }
}

/** Takes our routers off every global where they are on top (buried ones surface and go too). */
function removeRouter(): void {
  for (const slot of slots) {
    for (let top = slot.target[slot.key]; typeof top === 'function' && routers.has(top); top = slot.target[slot.key]) {
      restoreProperty(slot.target, slot.key, routers.get(top));
    }
  }
  // Nothing can be in server scope any more: let Node stop tracking async context (an
  // enabled AsyncLocalStorage hooks every promise of the process).
  scope.disable();
}

/** Marks long-lived work that may enter a scope at any time (an open WebSocket, an open bridge). */
export function hold(): void {
  pending++;
}

/** Ends one piece of pending work; the last one takes the router off. */
export function release(): void {
  pending = Math.max(0, pending - 1);
  if (pending === 0) removeRouter();
}

/** Runs asynchronous server code (answering one request) in server scope; its settlement ends the work. */
export function runAsServer<T>(env: ServerEnv, fn: () => Promise<T>): Promise<T> {
  ensureRouter();
  hold();
  let result: Promise<T>;
  try {
    result = scope.run(env, fn);
  } catch (e) {
    result = Promise.reject(e);
  }
  return result.finally(release);
}

/** Runs a synchronous piece of server code (a WebSocket event) in server scope. */
export function runAsServerSync<T>(env: ServerEnv, fn: () => T): T {
  ensureRouter();
  return scope.run(env, fn);
}

/**
 * Calls `fn` — the synchronous step in which msw names one intercepted request — so that
 * the first `Math.random` draw in it (msw's request id) comes from `ids`. For `fetch`
 * that step is the call itself; for `node:http` it is the first write to the request's
 * socket, where msw parses the request head.
 */
export function withMswIds<T>(ids: Random, fn: () => T): T {
  ensureRouter();
  const outer = idWindow;
  idWindow = { ids, budget: 1 };
  try {
    return fn();
  } finally {
    idWindow = outer;
  }
}

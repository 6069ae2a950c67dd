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
 * one), so other code sees no difference. The router is (re)installed at every entry (a
 * request or WebSocket event reaching the server, a server timer firing, a bridged call)
 * and removed once no work that needs it is pending and it is still on top. The kernel's
 * own restores (traps at the end of `sim.run`, the function `installGlobals` returns) put
 * back the descriptors they saved, which takes the router off too; it returns at the next
 * entry. It never removes anything it did not install.
 */

const scope = new AsyncLocalStorage<ServerEnv>();

/** While msw names one bridged request (a synchronous window): where its id draw comes from. */
let idWindow: { ids: Random; budget: number } | undefined;

type Fn = (...args: unknown[]) => unknown;
interface Slot {
  target: Record<string, unknown>;
  key: string;
  router: unknown;
  /** The descriptor the router covered when it was last installed. */
  below: PropertyDescriptor | undefined;
}

const slots: Slot[] = [];
let pending = 0;

function belowValue(slot: Slot): unknown {
  const d = slot.below;
  return d ? ('value' in d ? d.value : d.get?.call(slot.target)) : undefined;
}

/** Calls what the router covers. */
function callBelow(slot: Slot, thisArg: unknown, args: unknown[]): unknown {
  const fn = belowValue(slot);
  if (typeof fn !== 'function') throw new TypeError(`${slot.key} is not a function`);
  return (fn as Fn).apply(thisArg, args);
}

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

function defineSlot(target: object, key: string, makeRouter: (slot: Slot) => unknown): void {
  const slot: Slot = { target: target as Record<string, unknown>, key, router: undefined, below: undefined };
  slot.router = makeRouter(slot);
  slots.push(slot);
}

function named<F extends Fn>(name: string, fn: F): F {
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

for (const key of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
  defineSlot(globalThis, key, (slot) =>
    named(key, function (this: unknown, fn: unknown, ...rest: unknown[]): unknown {
      const env = serverEnv();
      if (!env) return callBelow(slot, this, [fn, ...rest]);
      if (key === 'setImmediate') return env.setTimeout(wrapTimer(fn), 0, ...rest);
      const [delay, ...args] = rest;
      return env[key](wrapTimer(fn), delay as number | undefined, ...args);
    }),
  );
}
for (const key of ['clearTimeout', 'clearInterval', 'clearImmediate'] as const) {
  defineSlot(globalThis, key, (slot) =>
    named(key, function (this: unknown, handle: unknown): unknown {
      const env = serverEnv();
      // Only the server's own timers are cleared through its env; a client's timer or a
      // host timer handed to clearTimeout in scope goes to what the router covers.
      const own = handle instanceof SimTimer ? handle.subject.startsWith('server/') : typeof handle === 'number';
      if (!env || !own) return callBelow(slot, this, [handle]);
      return env.clearTimeout(handle as SimTimer | number);
    }),
  );
}
defineSlot(Math, 'random', (slot) =>
  named('random', function (this: unknown): unknown {
    const env = scope.getStore();
    if (env) return env.random.next();
    if (idWindow && idWindow.budget > 0) {
      idWindow.budget--;
      return idWindow.ids.next();
    }
    return callBelow(slot, this, []);
  }),
);
defineSlot(globalThis, 'Date', (slot) => {
  // A proxy over whatever `Date` it covers: in server scope `new Date()`, `Date()` and
  // `Date.now()` read the server's virtual clock; everything else (parsing, `Date.UTC`,
  // `instanceof`) is the covered class's own.
  const now = named('now', function now(): number {
    const env = serverEnv();
    return env ? env.Date.now() : (belowValue(slot) as DateConstructor).now();
  });
  return new Proxy(function Date() {} as unknown as DateConstructor, {
    construct(_t, args, newTarget) {
      const env = serverEnv();
      const Below = (env ? env.Date : belowValue(slot)) as DateConstructor;
      return Reflect.construct(Below, args, newTarget === slot.router ? Below : newTarget);
    },
    apply(_t, thisArg, args) {
      const env = serverEnv();
      return Reflect.apply((env ? env.Date : belowValue(slot)) as DateConstructor, thisArg, args);
    },
    get(_t, prop) {
      return prop === 'now' ? now : Reflect.get(belowValue(slot) as object, prop);
    },
    has(_t, prop) {
      return Reflect.has(belowValue(slot) as object, prop);
    },
    getPrototypeOf() {
      return Reflect.getPrototypeOf(belowValue(slot) as object);
    },
  });
});

/** Puts the router on top of every global where it is not already, remembering what it covers. */
export function ensureRouter(): void {
  for (const slot of slots) {
    if (slot.target[slot.key] === slot.router) continue;
    slot.below = Object.getOwnPropertyDescriptor(slot.target, slot.key);
    Object.defineProperty(slot.target, slot.key, { configurable: true, writable: true, enumerable: false, value: slot.router });
  }
}

/** Takes the router off every global where it is still on top. */
function removeRouter(): void {
  for (const slot of slots) {
    if (slot.target[slot.key] !== slot.router) continue;
    restoreProperty(slot.target, slot.key, slot.below);
    slot.below = undefined;
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

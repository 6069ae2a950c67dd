import nodeCrypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { syncBuiltinESMExports } from 'node:module';
import type { Scheduler } from './scheduler.js';
import { real } from './real-globals.js';
import { SimulationStopped } from './stopped.js';

type Patch = { target: object; key: string; descriptor: PropertyDescriptor | undefined };

/** Node's own network entry points, captured at load (before any interceptor patches them). */
const builtins: { target: Record<string, unknown>; keys: string[]; label: string }[] = [
  { target: net as unknown as Record<string, unknown>, keys: ['connect', 'createConnection'], label: 'node:net' },
  { target: tls as unknown as Record<string, unknown>, keys: ['connect'], label: 'node:tls' },
  { target: http as unknown as Record<string, unknown>, keys: ['request', 'get'], label: 'node:http' },
  { target: https as unknown as Record<string, unknown>, keys: ['request', 'get'], label: 'node:https' },
];
const originals = new Map(builtins.flatMap((b) => b.keys.map((k) => [`${b.label}.${k}`, b.target[k]] as const)));
/** node:crypto's generators as Node made them: one replaced since (the `--globals` router) is left alone. */
const cryptoOriginals = new Map(Object.entries(nodeCrypto as unknown as Record<string, unknown>));

const how: Record<string, string> = {
  'Math.random':
    'use env.random() from the driver env, or run the client with installed globals (Simulation.installGlobals), which serve Math.random from the seeded stream',
  timer: 'use env.setTimeout/env.setInterval from the driver env, or run the client with installed globals (Simulation.installGlobals)',
  network:
    'use env.fetch and env.WebSocket from the driver env, or run the client with installed globals (Simulation.installGlobals, `--globals`; node:http/node:https then reach the simulation when msw, which brings @mswjs/interceptors, is installed), or route it through the msw adapter (lockstep/msw)',
  clock: 'use env.Date and env.performance (virtual time) from the driver env, or run the client with installed globals (Simulation.installGlobals, `--globals`), which serve Date, performance and process.hrtime on virtual time',
  random:
    'use env.random() from the driver env, or run the client with installed globals (Simulation.installGlobals, `--globals`), which serve crypto.randomUUID and crypto.getRandomValues from the seeded stream',
  'node-random': 'derive ids from env.random() from the driver env, or run the client with installed globals (`--globals`), which serve node:crypto randomBytes/randomInt/randomUUID from the seeded stream',
  channel: 'MessageChannel and BroadcastChannel deliver in real event-loop order; use env.setTimeout(fn, 0) (or the installed setTimeout) to defer work',
};

/** Owners of tasks that are not client code (see {@link Task.owner}). */
const serverSide = new Set(['server', 'net', 'sim']);

/** node:crypto's random generators: trapped in every run unless installed globals serve them. */
const nodeRandom = ['randomBytes', 'randomInt', 'randomUUID', 'randomFill', 'randomFillSync', 'getRandomValues'] as const;

/** A set of traps installed while at least one run needs them (runs may overlap). */
interface TrapGroup {
  /** Schedulers whose runs are trapped right now. */
  active: Scheduler[];
  patch: (trap: TrapFn) => boolean;
  remove?: () => void;
}
/**
 * Replaces `target[key]` with a trap. By default the replacement is a function that stops
 * the run when called; `replace` builds a custom one from `fire(label)` (stops the run and
 * throws while a run is active; returns false when none is, so the real thing can run) and
 * the original value.
 */
type TrapFn = (target: object, key: string, label: string, kind: keyof typeof how, replace?: (fire: (label: string) => boolean, original: unknown) => unknown) => void;

/** The client's world: randomness, timers, fetch, WebSocket (only when no globals are installed). */
const world: TrapGroup = {
  active: [],
  patch: (trap) => {
    trap(Math, 'random', 'Math.random()', 'Math.random');
    for (const k of ['setTimeout', 'setInterval', 'setImmediate'] as const) trap(globalThis, k, `${k}()`, 'timer');
    trap(AbortSignal, 'timeout', 'AbortSignal.timeout()', 'timer');
    // The wall clock, in every form a library reaches for.
    trapDate(trap);
    trap(performance, 'now', 'performance.now()', 'clock');
    trap(process, 'hrtime', 'process.hrtime()', 'clock');
    trap(process.hrtime, 'bigint', 'process.hrtime.bigint()', 'clock');
    trap(globalThis.crypto, 'randomUUID', 'crypto.randomUUID()', 'random');
    trap(globalThis.crypto, 'getRandomValues', 'crypto.getRandomValues()', 'random');
    // An interceptor (the msw adapter) that already replaced fetch stays in charge, as for node:http.
    if (globalThis.fetch === real.fetch) trap(globalThis, 'fetch', 'fetch()', 'network');
    if ('WebSocket' in globalThis && (globalThis as { WebSocket?: unknown }).WebSocket === real.WebSocket)
      trap(globalThis, 'WebSocket', 'WebSocket', 'network');
    return false;
  },
};

/** Node's own sockets: trapped during every run, also with installed globals (they have no simulated stand-in). */
const sockets: TrapGroup = {
  active: [],
  patch: (trap) => {
    let patched = false;
    for (const b of builtins) {
      for (const k of b.keys) {
        // An interceptor (the msw adapter) that already patched this entry point stays in charge.
        if (b.target[k] !== originals.get(`${b.label}.${k}`)) continue;
        trap(b.target, k, `${b.label} ${k}()`, 'network');
        patched = true;
      }
    }
    for (const k of nodeRandom) {
      if (typeof nodeCrypto[k] === 'function' && nodeCrypto[k] === cryptoOriginals.get(k)) trap(nodeCrypto, k, `node:crypto ${k}()`, 'node-random');
    }
    for (const k of ['MessageChannel', 'BroadcastChannel'] as const) if (k in globalThis) trap(globalThis, k, `new ${k}()`, 'channel');
    return true;
  },
};

/**
 * `Date` stays a working class (parsing, `Date.UTC`, `new Date(ms)` are deterministic);
 * only the forms that read the wall clock — `Date.now()`, `new Date()` and `Date()` — stop
 * the run. A Proxy keeps `instanceof Date` and every static intact.
 */
function trapDate(trap: TrapFn): void {
  trap(globalThis, 'Date', 'Date', 'clock', (fire, original) => {
    const RealDate = original as DateConstructor;
    const now = function now(): number {
      return fire('Date.now()') ? 0 : RealDate.now();
    };
    return new Proxy(RealDate, {
      construct: (target, args, newTarget) => (args.length === 0 && fire('new Date()') ? 0 : Reflect.construct(target, args, newTarget)) as object,
      apply: (target, self, args) => (fire('Date()') ? '' : Reflect.apply(target, self, args)),
      get: (target, key) => (key === 'now' ? now : Reflect.get(target, key)),
    });
  });
}

/**
 * While a simulation runs, anything that would reach the real world throws a
 * {@link SimulationStopped} that names the call, the node and the virtual time, and stops
 * the run: Node's own sockets always, and — with an injected `env` (`world: true`) —
 * `Math.random`, real timers and the real `fetch`/`WebSocket` as well. Returns a function
 * that removes the traps.
 *
 * Runs of several simulations may overlap (`Promise.all([a.run(…), b.run(…)])`): each group
 * of traps is installed by the first run that needs it and removed when the last one ends,
 * so the real functions always come back; a trapped call stops the simulation whose task
 * is executing.
 */
export function installTraps(scheduler: Scheduler, options: { world: boolean } = { world: true }): () => void {
  const groups = options.world ? [world, sockets] : [sockets];
  for (const g of groups) join(g, scheduler);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const g of groups) leave(g, scheduler);
  };
}

function join(g: TrapGroup, scheduler: Scheduler): void {
  g.active.push(scheduler);
  if (g.active.length === 1) g.remove = patchGroup(g);
}

function leave(g: TrapGroup, scheduler: Scheduler): void {
  g.active.splice(g.active.lastIndexOf(scheduler), 1);
  if (g.active.length === 0) {
    g.remove?.();
    g.remove = undefined;
  }
}

/** The scheduler a trapped call belongs to: the one running a task's synchronous part, else one
 * whose task's microtasks are draining, else the latest run. */
function culprit(active: Scheduler[]): Scheduler {
  return active.find((s) => s.inTask) ?? [...active].reverse().find((s) => s.current) ?? active[active.length - 1]!;
}

function patchGroup(g: TrapGroup): () => void {
  const patches: Patch[] = [];
  const trap: TrapFn = (target, key, label, kind, replace) => {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    // A property Node froze (node:crypto getRandomValues) cannot be trapped; its twin on globalThis.crypto is.
    if (descriptor && !descriptor.configurable) return;
    // A method inherited from a prototype (crypto.randomUUID) is shadowed on the instance.
    const original = (descriptor ? descriptor.value : (target as Record<string, unknown>)[key]) as ((...a: unknown[]) => unknown) | undefined;
    patches.push({ target, key, descriptor });
    const fire = (called: string): boolean => {
      // A reference to the trap kept past the end of every run is just the real thing again.
      if (g.active.length === 0) return false;
      const scheduler = culprit(g.active);
      const cur = scheduler.current;
      // Clock reads are judged for client code only: server-side library code that an
      // adapter hosts (mock-socket stamps its events with Date.now()) never reaches a trace.
      if (kind === 'clock' && cur && serverSide.has(cur.owner)) return false;
      const owner = cur?.owner ?? 'a client';
      const err = new SimulationStopped(
        'nondeterminism',
        owner,
        called,
        scheduler.now,
        `${owner} called the real ${called} at virtual time ${scheduler.now} ms${cur ? ` (while running ${cur.subject})` : ''}: that would make the run nondeterministic. Instead, ${how[kind]}.`,
      );
      scheduler.stop(err);
      throw err;
    };
    const value = replace
      ? replace(fire, original)
      : function trapped(this: unknown, ...args: unknown[]): unknown {
          fire(label);
          if (typeof original !== 'function') return undefined;
          return new.target ? Reflect.construct(original, args, new.target) : original.apply(this, args);
        };
    Object.defineProperty(target, key, { configurable: true, writable: true, value });
  };
  const builtinsPatched = g.patch(trap);
  if (builtinsPatched) syncBuiltinESMExports();
  return () => {
    for (const p of patches.reverse()) restoreProperty(p.target, p.key, p.descriptor);
    if (builtinsPatched) syncBuiltinESMExports();
  };
}

/** Puts a property back exactly as it was (data or accessor), or deletes it if it did not exist. */
export function restoreProperty(target: object, key: string, descriptor: PropertyDescriptor | undefined): void {
  if (descriptor) Object.defineProperty(target, key, descriptor);
  else delete (target as Record<string, unknown>)[key];
}

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

const how: Record<string, string> = {
  'Math.random':
    'use env.random() from the driver env, or run the client with installed globals (Simulation.installGlobals), which serve Math.random from the seeded stream',
  timer: 'use env.setTimeout/env.setInterval from the driver env, or run the client with installed globals (Simulation.installGlobals)',
  network:
    'use env.fetch and env.WebSocket from the driver env, or run the client with installed globals (Simulation.installGlobals), or route it through the msw adapter (lockstep/msw)',
};

/** A set of traps installed while at least one run needs them (runs may overlap). */
interface TrapGroup {
  /** Schedulers whose runs are trapped right now. */
  active: Scheduler[];
  patch: (trap: TrapFn) => boolean;
  remove?: () => void;
}
type TrapFn = (target: object, key: string, label: string, kind: keyof typeof how) => void;

/** The client's world: randomness, timers, fetch, WebSocket (only when no globals are installed). */
const world: TrapGroup = {
  active: [],
  patch: (trap) => {
    trap(Math, 'random', 'Math.random()', 'Math.random');
    for (const k of ['setTimeout', 'setInterval', 'setImmediate'] as const) trap(globalThis, k, `${k}()`, 'timer');
    trap(AbortSignal, 'timeout', 'AbortSignal.timeout()', 'timer');
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
    return patched;
  },
};

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
  const trap: TrapFn = (target, key, label, kind) => {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    patches.push({ target, key, descriptor });
    const original = descriptor?.value as ((...a: unknown[]) => unknown) | undefined;
    Object.defineProperty(target, key, {
      configurable: true,
      writable: true,
      value: function trapped(this: unknown, ...args: unknown[]): unknown {
        // A reference to the trap kept past the end of every run is just the real function again.
        if (g.active.length === 0 && typeof original === 'function')
          return new.target ? Reflect.construct(original, args, new.target) : original.apply(this, args);
        const scheduler = culprit(g.active);
        const cur = scheduler.current;
        const owner = cur?.owner ?? 'a client';
        const err = new SimulationStopped(
          'nondeterminism',
          owner,
          label,
          scheduler.now,
          `${owner} called the real ${label} at virtual time ${scheduler.now} ms${cur ? ` (while running ${cur.subject})` : ''}: that would make the run nondeterministic. Instead, ${how[kind]}.`,
        );
        scheduler.stop(err);
        throw err;
      },
    });
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

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { syncBuiltinESMExports } from 'node:module';
import type { Scheduler } from './scheduler.js';
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

/** Schedulers whose runs are trapped right now (several when runs overlap in one process). */
const active: Scheduler[] = [];
let removeTraps: (() => void) | undefined;

/**
 * While a simulation runs with an injected `env`, anything that would reach the real
 * world — `Math.random`, real timers, real `fetch`/`WebSocket`, Node's sockets — throws
 * a {@link SimulationStopped} that names the call, the node and the virtual time, and
 * stops the run. Returns a function that removes the traps.
 *
 * Runs of several simulations may overlap (`Promise.all([a.run(…), b.run(…)])`): the traps
 * are installed once, by the first run, and removed when the last one ends, so that the
 * real functions always come back; a trapped call stops the simulation whose task is
 * executing.
 */
export function installTraps(scheduler: Scheduler): () => void {
  active.push(scheduler);
  if (active.length === 1) removeTraps = patchAll();
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    active.splice(active.lastIndexOf(scheduler), 1);
    if (active.length === 0) {
      removeTraps?.();
      removeTraps = undefined;
    }
  };
}

/** The scheduler a trapped call belongs to: the one running a task's synchronous part, else one
 * whose task's microtasks are draining, else the latest run. */
function culprit(): Scheduler {
  return active.find((s) => s.inTask) ?? [...active].reverse().find((s) => s.current) ?? active[active.length - 1]!;
}

function patchAll(): () => void {
  const patches: Patch[] = [];
  const trap = (target: object, key: string, label: string, kind: keyof typeof how): void => {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    patches.push({ target, key, descriptor });
    const original = descriptor?.value as ((...a: unknown[]) => unknown) | undefined;
    Object.defineProperty(target, key, {
      configurable: true,
      writable: true,
      value: function trapped(this: unknown, ...args: unknown[]): unknown {
        // A reference to the trap kept past the end of every run is just the real function again.
        if (active.length === 0 && typeof original === 'function')
          return new.target ? Reflect.construct(original, args, new.target) : original.apply(this, args);
        const scheduler = culprit();
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
  trap(Math, 'random', 'Math.random()', 'Math.random');
  for (const k of ['setTimeout', 'setInterval', 'setImmediate'] as const) trap(globalThis, k, `${k}()`, 'timer');
  trap(AbortSignal, 'timeout', 'AbortSignal.timeout()', 'timer');
  trap(globalThis, 'fetch', 'fetch()', 'network');
  if ('WebSocket' in globalThis) trap(globalThis, 'WebSocket', 'WebSocket', 'network');
  let builtinsPatched = false;
  for (const b of builtins) {
    for (const k of b.keys) {
      // An interceptor (the msw adapter) that already patched this entry point stays in charge.
      if (b.target[k] !== originals.get(`${b.label}.${k}`)) continue;
      trap(b.target, k, `${b.label} ${k}()`, 'network');
      builtinsPatched = true;
    }
  }
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

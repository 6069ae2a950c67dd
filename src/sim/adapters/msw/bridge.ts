import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { http as mswHttp } from 'msw';
import { setupServer } from 'msw/node';
import type { Simulation } from '../../simulation.js';
import { restoreProperty } from '../../traps.js';
import { hold, release, setBridgeClock, withMswIds } from './scope.js';

/** What {@link routeThroughSimulation} returns: an open bridge, closed with {@link MswBridge.close}. */
export interface MswBridge {
  /** The client node whose simulated network the intercepted requests travel on. */
  readonly node: string;
  /** Requests intercepted so far (`fetch` and `node:http`/`node:https` together). */
  readonly requests: number;
  /** True once {@link MswBridge.close} ran. */
  readonly closed: boolean;
  /**
   * Removes the bridge: stops msw (which puts back `fetch`, `node:http`/`node:https` and
   * the fetch classes it patched) and re-syncs named ESM imports of `node:http`. A patch
   * someone else laid over the bridge's since is left in place. Idempotent; call it
   * outside `sim.run()`.
   */
  close(): void;
  /** Same as {@link MswBridge.close}, for `using bridge = routeThroughSimulation(…)`. */
  [Symbol.dispose](): void;
}

/** The symbols @mswjs/interceptors sets on `globalThis` while an msw server listens. */
const mswInstanceSymbols = ['fetch-interceptor', 'client-request-interceptor', 'xhr-interceptor'].map((n) => Symbol.for(n));

/** Every property msw's Node interceptors replace (fetch, node:http/https, XHR) and the bridge wraps. */
const patchedProperties: [object, string][] = [
  [globalThis, 'fetch'],
  [globalThis, 'XMLHttpRequest'],
  [globalThis, 'Request'],
  [globalThis, 'Response'],
  [globalThis, 'Headers'],
  [Headers.prototype, 'set'],
  [Headers.prototype, 'append'],
  [Headers.prototype, 'delete'],
  [http, 'request'],
  [http, 'get'],
  [http, 'ClientRequest'],
  [https, 'request'],
  [https, 'get'],
];

/** The entry points of unmodified code into msw's interception, wrapped so msw's id draw is seeded. */
const entryPoints: [object, string][] = [
  [globalThis, 'fetch'],
  [http, 'request'],
  [http, 'get'],
  [https, 'request'],
  [https, 'get'],
];

let open: MswBridge | undefined;

/**
 * Routes the HTTP traffic of unmodified client code through the simulated network of
 * client node `node`, using msw: a `fetch` the code captured, Node's `http`/`https`
 * `request`/`get` (what axios and most Node HTTP clients use), named imports of them.
 *
 * ```ts
 * import { Simulation } from 'lockstep/sim';
 * import { routeThroughSimulation } from 'lockstep/msw';
 * import { createAxiosStyleClient, server } from './my-app.js';
 *
 * const sim = new Simulation({ seed: 7, server });
 * const bridge = routeThroughSimulation(sim, 'c1');
 * try {
 *   const client = createAxiosStyleClient(); // unmodified: node:http, timers, Date…
 *   await sim.withGlobals('c1', async () => {
 *     client.start();
 *     await sim.run(10_000);
 *   });
 * } finally {
 *   bridge.close();
 * }
 * ```
 *
 * **What it does.** Starts an msw server (`setupServer` from `msw/node`, one catch-all
 * `http.all('*')` handler, `onUnhandledRequest: 'error'`, so nothing ever passes through
 * to the real network). Every request msw intercepts is forwarded to
 * `sim.env(node).fetch` — the node's simulated `fetch` (the current incarnation's) — so
 * latency, loss, faults, offline spells and the trace (`http.request` … `http.response`)
 * apply exactly as for a client written against `env`. The simulated `Response` is
 * handed back; a simulated network failure becomes the error the caller's API reports:
 * `fetch` rejects with `TypeError: fetch failed` (its `cause.code` says `ECONNREFUSED`,
 * `ETIMEDOUT`, `ENETUNREACH`, `ECONNRESET`, `ENOTFOUND`), `node:http` emits `error`
 * with a Node error carrying that `code` (what axios reports).
 *
 * **Determinism.** msw names every intercepted request with a `Math.random` draw. The
 * bridge wraps the entry points (`fetch`, `http.request`/`get`, `https.request`/`get`)
 * so that this one draw comes from a seeded stream of its own (`msw/<node>`): never from
 * the real generator, and never from the client's stream (a bridged client draws the
 * same numbers as it would with `env`). So the bridge works both ways a client runs:
 * - with the node's **globals installed** (`sim.withGlobals(node, …)`), which unmodified
 *   code needs anyway for its timers, clock, `Math.random` and `WebSocket`;
 * - with an injected **`env`** (the kernel's traps armed during runs): then libraries
 *   inside the client that use `node:http`, or a `fetch` captured while the bridge was
 *   open, are bridged — the traps leave an interceptor's `node:http` patch in charge. A
 *   `globalThis.fetch` read *at call time* during such a run is the kernel's trap, not
 *   the bridge.
 * Same seed, same code → same trace, with or without globals.
 *
 * **Ordering.** The `fetch` a piece of code calls is the one it read from
 * `globalThis.fetch`: read after the bridge opened → the bridge's (or, under installed
 * globals, the simulated one: both reach the simulation); read *before* the bridge opened
 * → the real one, which msw cannot see. So open the bridge before creating (or
 * importing) a client that captures `fetch`. Installing the globals before or after
 * opening the bridge both work, and so does restoring them before or after `close()`
 * (which only undoes what is still the bridge's). While msw starts, the bridge hides
 * `globalThis.WebSocket`, so msw's WebSocket interception (which deviates from
 * browsers, see TOOLCHAIN.md) never wraps the simulated `WebSocket`.
 *
 * **One at a time, outside runs.** msw's interceptors are process-wide: one bridge may be
 * open at a time, no other msw server may be listening, and the bridge is opened and
 * closed outside `sim.run()`.
 *
 * **Limits.** WebSocket traffic is not bridged (unmodified code gets the simulated
 * `WebSocket` from the globals). Timeouts Node arms on the socket (`req.setTimeout`,
 * axios' `timeout`) run on the host's real timers, below the globals, so they do not fire
 * at the virtual time they mean: use an `AbortSignal` (`AbortSignal.timeout` is virtual
 * under the globals) or the simulated OS timeout. `XMLHttpRequest` (jsdom, happy-dom) is
 * intercepted by msw too, but only with the globals installed. msw's interception takes a
 * few microtask turns: a request made in a task of the simulation (a timer, `sim.at`, a
 * response handler) leaves at that task's virtual time, but one made by test code outside
 * any task enters the simulation only when the next task runs, so start clients from a
 * task. Each bridged request costs msw's interception on top of the simulated exchange
 * (see docs/adapters/msw.md).
 *
 * @param sim the simulation
 * @param node the client node the traffic belongs to (default `c1`)
 */
export function routeThroughSimulation(sim: Simulation, node = 'c1'): MswBridge {
  sim.node(node); // throws a message naming the nodes when there is no such node
  if (open) {
    throw new Error(
      `lockstep/msw: a bridge to node "${open.node}" is already open; close it before opening another (msw's interceptors are process-wide)`,
    );
  }
  if (sim.scheduler.current) {
    throw new Error(
      'lockstep/msw: open the bridge outside sim.run() (not from a task of the simulation): a run puts back the globals it found when it started',
    );
  }
  if (mswInstanceSymbols.some((s) => (globalThis as Record<symbol, unknown>)[s] !== undefined)) {
    throw new Error(
      "lockstep/msw: another msw server is listening (setupServer().listen()); close it first: msw's interceptors are process-wide, and the bridge must be the only one",
    );
  }

  let requests = 0;
  const server = setupServer(
    mswHttp.all('*', async ({ request }) => {
      requests++;
      // A fetch caller's AbortSignal is on `request`; a node:http caller cancels by
      // destroying its ClientRequest, which must cancel the simulated exchange too.
      const raw = rawClientRequest(request);
      let init: RequestInit | undefined;
      let answered = false;
      if (raw) {
        const cancel = new AbortController();
        raw.once('close', () => {
          if (!answered) cancel.abort();
        });
        init = { signal: cancel.signal };
      }
      try {
        return await sim.env(node).fetch(request, init);
      } catch (error) {
        // A node:http caller hears of a failure on its ClientRequest, as from a real socket.
        raw?.destroy(nodeSystemError(error));
        return new FailedExchange(error);
      } finally {
        answered = true;
      }
    }),
  );
  const before = entryPoints.map(([target, key]) => (target as Record<string, unknown>)[key]);
  withoutGlobalWebSocket(() => server.listen({ onUnhandledRequest: 'error' }));

  const ids = sim.random.stream(`msw/${node}`);
  let closed = false;
  for (const [target, key] of entryPoints) {
    const inner = (target as Record<string, unknown>)[key] as ((...a: unknown[]) => unknown) | undefined;
    const original = before[entryPoints.findIndex(([t, k]) => t === target && k === key)];
    if (typeof inner !== 'function' || typeof original !== 'function') continue;
    // Once closed, a reference captured while the bridge was open calls what msw had covered.
    const entry =
      key === 'fetch'
        ? function (this: unknown, ...args: unknown[]): unknown {
            if (closed) return (original as (...a: unknown[]) => unknown).apply(this, args);
            return (withMswIds(ids, () => inner.apply(this, args)) as Promise<Response>).catch(unwrapFailure);
          }
        : function (this: unknown, ...args: unknown[]): unknown {
            if (closed) return (original as (...a: unknown[]) => unknown).apply(this, args);
            const req = inner.apply(this, args) as http.ClientRequest;
            // msw names the request when its head is first written to the (mock) socket.
            req.once('socket', (socket: { write: (...a: unknown[]) => unknown }) => {
              socket.write = function (this: unknown, ...a: unknown[]): unknown {
                delete (socket as Partial<typeof socket>).write;
                return withMswIds(ids, () => socket.write.apply(this, a));
              };
            });
            return req;
          };
    Object.defineProperty(entry, 'name', { value: inner.name || key });
    Object.defineProperty(target, key, { configurable: true, writable: true, enumerable: true, value: entry });
  }
  syncBuiltinESMExports();
  hold();
  setBridgeClock(sim.env(node).Date);
  const layer = patchedProperties.map(([target, key]) => (target as Record<string, unknown>)[key]);

  const bridge: MswBridge = {
    node,
    get requests() {
      return requests;
    },
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      if (sim.scheduler.current) throw new Error('lockstep/msw: close the bridge outside sim.run() (not from a task of the simulation)');
      closed = true;
      open = undefined;
      // msw puts back what it found when it started; keep whatever was laid over the bridge since.
      const layered = patchedProperties
        .map(([target, key], i) => ({ target, key, descriptor: Object.getOwnPropertyDescriptor(target, key), mine: layer[i] }))
        .filter((p) => (p.target as Record<string, unknown>)[p.key] !== p.mine);
      server.close();
      for (const p of layered) restoreProperty(p.target, p.key, p.descriptor);
      syncBuiltinESMExports();
      setBridgeClock(undefined);
      release();
    },
    [Symbol.dispose]() {
      this.close();
    },
  };
  open = bridge;
  return bridge;
}

/** Runs `fn` with `globalThis.WebSocket` hidden, so msw's WebSocket interceptor finds nothing to patch. */
function withoutGlobalWebSocket(fn: () => void): void {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  if (!descriptor?.configurable) return fn();
  delete (globalThis as { WebSocket?: unknown }).WebSocket;
  try {
    fn();
  } finally {
    Object.defineProperty(globalThis, 'WebSocket', descriptor);
  }
}

/**
 * What the bridge's handler answers when the simulated exchange failed: a network-error
 * response (`type: 'error'`, which msw turns into a failed request rather than a
 * response) that carries the simulated failure, so the `fetch` entry point can hand the
 * caller the very error the simulated `fetch` raised.
 */
class FailedExchange extends Response {
  constructor(readonly failure: unknown) {
    super(null, { status: 500 });
  }
  override get type(): ResponseType {
    return 'error';
  }
}

/** msw rejects a `fetch` answered by a network-error response with `TypeError('Failed to fetch', { cause: response })`. */
function unwrapFailure(error: unknown): never {
  const cause = error instanceof TypeError ? error.cause : undefined;
  throw cause instanceof FailedExchange ? cause.failure : error;
}

/**
 * The `node:http` `ClientRequest` msw built this request from, if it came from one
 * (rather than from `fetch`): @mswjs/interceptors keeps it under a `kRawRequest` symbol.
 */
function rawClientRequest(request: Request): http.ClientRequest | undefined {
  const key = Object.getOwnPropertySymbols(request).find((s) => s.description === 'kRawRequest');
  const raw: unknown = key ? (request as unknown as Record<symbol, unknown>)[key] : undefined;
  return raw instanceof http.ClientRequest ? raw : undefined;
}

const errnos: Record<string, number> = {
  ECONNREFUSED: -111,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  ENETUNREACH: -101,
  ENOTFOUND: -3008,
};

/**
 * A simulated fetch failure (`TypeError: fetch failed`, `cause.code`) as Node's `http`
 * reports a socket failure: an `Error` with the cause's message (`connect ECONNREFUSED
 * lockstep.test`) and its `code`/`errno` (what axios and `req.on('error')` users read).
 */
function nodeSystemError(error: unknown): Error {
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : new Error(String(error));
  const found = (cause as { code?: unknown }).code;
  const code = typeof found === 'string' ? found : 'ECONNRESET';
  return Object.assign(new Error(cause.message), { code, errno: errnos[code] ?? -1 });
}

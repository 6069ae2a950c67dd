import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import type { ClientEnv } from './client-node.js';
import { restoreProperty } from './traps.js';

/** What the bridge needs: the node running now and its `env`. */
export interface NodeHttpRoute {
  /** The client node whose code is running. */
  currentNode(): string;
  /** Its environment (the simulated `fetch`). */
  env(node: string): ClientEnv;
}

/** The part of @mswjs/interceptors' ClientRequest interceptor the bridge uses. */
interface Interceptor {
  apply(): void;
  dispose(): void;
  on(event: 'request', listener: (e: { request: Request; controller: { respondWith(r: Response): void; errorWith(e?: unknown): void } }) => unknown): void;
}

/** The symbol @mswjs/interceptors sets on `globalThis` while its ClientRequest interceptor is applied. */
const interceptorSymbol = Symbol.for('client-request-interceptor');

/**
 * Lets unmodified `node:http`/`node:https` code (axios's default Node adapter, got,
 * needle) reach the simulated network: @mswjs/interceptors' `ClientRequest` interceptor
 * (the one msw uses; a well-kept emulation of Node's socket and HTTP parser) turns each
 * request into a Fetch `Request`, which travels on the simulated `fetch` of the node that
 * made it (latency, loss, faults, trace), and its response — or failure, as a Node system
 * error with `code` — is played back to the `ClientRequest`. Nothing reaches a real socket
 * and nothing waits on a real timer, so it is deterministic.
 *
 * Resolves to `undefined` when @mswjs/interceptors is not installed (it comes with msw;
 * `node:http` then stays trapped with a message saying so) or another interceptor (an msw
 * server) is already in charge. Otherwise resolves to the function that removes it.
 */
export async function installNodeHttpBridge(route: NodeHttpRoute): Promise<(() => void) | undefined> {
  if ((globalThis as Record<symbol, unknown>)[interceptorSymbol]) return undefined;
  let Ctor: new () => Interceptor;
  try {
    const specifier = '@mswjs/interceptors/ClientRequest';
    ({ ClientRequestInterceptor: Ctor } = (await import(specifier)) as { ClientRequestInterceptor: new () => Interceptor });
  } catch {
    return undefined;
  }
  const owners = new WeakMap<object, string>();
  const interceptor = new Ctor();
  interceptor.on('request', async ({ request, controller }) => {
    const raw = rawClientRequest(request);
    const node = (raw && owners.get(raw)) ?? route.currentNode();
    const cancel = new AbortController();
    let answered = false;
    raw?.once('close', () => {
      if (!answered) cancel.abort();
    });
    try {
      const response = await route.env(node).fetch(request, { signal: cancel.signal });
      controller.respondWith(response);
    } catch (error) {
      controller.errorWith(nodeSystemError(error));
    } finally {
      answered = true;
    }
  });
  const entries: [object, string][] = [
    [http, 'request'],
    [http, 'get'],
    [https, 'request'],
    [https, 'get'],
  ];
  const saved = entries.map(([t, k]) => [t, k, Object.getOwnPropertyDescriptor(t, k)] as const);
  interceptor.apply();
  // Which node made a request is known when it is made; the interceptor may hear of it later.
  for (const [target, key] of entries) {
    const inner = (target as Record<string, (...a: unknown[]) => http.ClientRequest>)[key]!;
    Object.defineProperty(target, key, {
      configurable: true,
      writable: true,
      enumerable: true,
      value: function (this: unknown, ...args: unknown[]) {
        const req = inner.apply(this, args);
        owners.set(req, route.currentNode());
        return req;
      },
    });
  }
  syncBuiltinESMExports();
  return () => {
    interceptor.dispose();
    for (const [t, k, d] of saved) restoreProperty(t, k, d);
    syncBuiltinESMExports();
  };
}

/** The `ClientRequest` a request came from (@mswjs/interceptors keeps it under `kRawRequest`). */
function rawClientRequest(request: Request): http.ClientRequest | undefined {
  const key = Object.getOwnPropertySymbols(request).find((s) => s.description === 'kRawRequest');
  const raw: unknown = key ? (request as unknown as Record<symbol, unknown>)[key] : undefined;
  return raw instanceof http.ClientRequest ? raw : undefined;
}

const errnos: Record<string, number> = { ECONNREFUSED: -111, ECONNRESET: -104, ETIMEDOUT: -110, ENETUNREACH: -101, ENOTFOUND: -3008 };

/** A simulated fetch failure as Node's `http` reports a socket failure: message, `code`, `errno`. */
function nodeSystemError(error: unknown): Error {
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : new Error(String(error));
  const found = (cause as { code?: unknown }).code;
  const code = typeof found === 'string' ? found : 'ECONNRESET';
  return Object.assign(new Error(cause.message), { code, errno: errnos[code] ?? -1 });
}

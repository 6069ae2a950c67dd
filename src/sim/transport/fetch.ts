import { liveRules } from '../faults/live-rules.js';
import type { Network } from '../network.js';
import type { Scheduler } from '../scheduler.js';
import type { Trace } from '../trace.js';
import type { HttpReply } from '../server-host.js';
import { responseBodyText, SimHttpRequest, statusText } from './http-types.js';
import { SimResponse } from './sim-response.js';
import { redactToken } from './websocket.js';
import { byteLength } from './ws-connection.js';

/** What the simulated `fetch` of one client node needs from the kernel. */
export interface FetchContext {
  readonly node: string;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly network: Network;
  readonly origin: URL;
  readonly server: { handleHttp(req: SimHttpRequest, reply: (r: HttpReply) => void): void };
  isOnline(): boolean;
  nextId(kind: 'ws' | 'http'): string;
  /** Counts a request; stops the run on a request storm. */
  countRequest(subject: string, url: string): void;
  /** In-flight exchanges of this node, so a crash or going offline can fail them. */
  readonly inflight: Map<string, (reason: string, error: Error) => void>;
}

/** The simulated `fetch` type: the platform's signature. */
export type SimFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Creates the `fetch` of one client node. It returns real `Response` objects after the
 * simulated round trip; a lost request or response means waiting until the signal
 * aborts or the OS-level `requestTimeout` (a `TypeError`, as platforms report network
 * failures); offline and refused connections fail with `TypeError` too.
 */
export function createFetch(ctx: FetchContext): SimFetch {
  return function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    // The request leaves in the same task (and virtual instant) fetch was called in, as on
    // the platform; only a body that can be read asynchronously only (Blob, Request) waits.
    try {
      const parts = readRequest(input, init, ctx.origin);
      return isPromise(parts) ? parts.then((p) => exchange(ctx, p)) : exchange(ctx, parts);
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

interface RequestParts {
  url: URL;
  method: string;
  headers: Headers;
  body: string;
  signal: AbortSignal | undefined;
}

function readRequest(input: string | URL | Request, init: RequestInit | undefined, origin: URL): RequestParts | Promise<RequestParts> {
  if (input instanceof Request) {
    const base = {
      url: new URL(input.url),
      method: (init?.method ?? input.method).toUpperCase(),
      headers: new Headers(init?.headers ?? input.headers),
      signal: init?.signal ?? input.signal,
    };
    const body = init?.body != null ? bodyText(init.body) : input.body ? input.clone().text() : '';
    return isPromise(body) ? body.then((b) => ({ ...base, body: b })) : { ...base, body };
  }
  let url: URL;
  try {
    url = new URL(String(input), origin);
  } catch {
    throw new TypeError(`Failed to parse URL from ${String(input)}`);
  }
  const method = (init?.method ?? 'GET').toUpperCase();
  if ((method === 'GET' || method === 'HEAD') && init?.body != null) throw new TypeError('Request with GET/HEAD method cannot have body.');
  const headers = new Headers(init?.headers);
  if (init?.body instanceof URLSearchParams && !headers.has('content-type'))
    headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  else if (typeof init?.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
  else if (init?.body instanceof Blob && init.body.type && !headers.has('content-type')) headers.set('content-type', init.body.type);
  const signal = init?.signal ?? undefined;
  const body = init?.body == null ? '' : bodyText(init.body);
  return isPromise(body) ? body.then((b) => ({ url, method, headers, body: b, signal })) : { url, method, headers, body, signal };
}

function bodyText(body: BodyInit): string | Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(body);
  if (ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
  if (body instanceof Blob) return body.text();
  throw new TypeError(
    `fetch body of type ${Object.prototype.toString.call(body)} is not supported in a simulation; send a string, URLSearchParams, bytes or a Blob`,
  );
}

function isPromise<T>(v: unknown): v is Promise<T> {
  return !!v && typeof (v as Promise<T>).then === 'function';
}

function networkError(message: string, code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

function exchange(ctx: FetchContext, p: RequestParts): Promise<Response> {
  const { scheduler, trace, network } = ctx;
  const id = ctx.nextId('http');
  const href = p.url.href;
  const bodyBytes = p.body === '' ? 0 : byteLength(p.body);
  // Fields in sorted order: the trace then needs no sort (a hot path).
  trace.record(scheduler.now, 'http.request', {
    bytes: bodyBytes || undefined,
    id,
    method: p.method,
    node: ctx.node,
    url: redactToken(href),
  });
  ctx.countRequest(id, href);
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string, error: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      trace.record(scheduler.now, 'http.fail', { id, reason });
      reject(error);
    };
    const onAbort = (): void => {
      const reason = p.signal!.reason as { name?: string } | undefined;
      // AbortSignal.timeout (env.timeoutSignal) aborts with a TimeoutError: tell it from a deliberate abort.
      fail(
        reason?.name === 'TimeoutError' ? 'signal-timeout' : 'aborted',
        reason ?? new DOMException('This operation was aborted', 'AbortError'),
      );
    };
    const cleanup = (): void => {
      scheduler.cancel(timeout);
      p.signal?.removeEventListener('abort', onAbort);
      ctx.inflight.delete(id);
    };
    if (p.signal?.aborted) {
      settled = true;
      trace.record(scheduler.now, 'http.fail', { id, reason: 'aborted' });
      reject(p.signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
      return;
    }
    p.signal?.addEventListener('abort', onAbort);
    ctx.inflight.set(id, (reason, error) => fail(reason, error));
    const timeout = scheduler.schedule(network.timeouts.requestTimeout, ctx.node, 'net', id, () =>
      fail('timeout', networkError(`no answer within ${network.timeouts.requestTimeout} ms`, 'ETIMEDOUT')),
    );
    if (!ctx.isOnline()) {
      scheduler.schedule(0, ctx.node, 'net', id, () =>
        fail('offline', networkError('network is unreachable (the client is offline)', 'ENETUNREACH')),
      );
      return;
    }
    if (p.url.host !== ctx.origin.host || (p.url.protocol !== 'http:' && p.url.protocol !== 'https:')) {
      scheduler.schedule(0, ctx.node, 'net', id, () =>
        fail('unknown-host', networkError(`getaddrinfo ENOTFOUND ${p.url.host} (the simulated server is ${ctx.origin.host})`, 'ENOTFOUND')),
      );
      return;
    }
    const path = p.url.pathname;
    network.sendDatagram(
      { id, type: 'http.request', node: ctx.node, dir: 'to-server', bytes: 200 + bodyBytes, path, text: p.body },
      (duplicate) => {
        const req = new SimHttpRequest(id, ctx.node, p.method, p.url, p.headers, p.body, duplicate);
        const onReply = (r: HttpReply): void => {
          const text = r.kind === 'response' ? responseBodyText(r.res) : '';
          network.sendDatagram(
            { id, type: 'http.response', node: ctx.node, dir: 'to-client', bytes: 100 + byteLength(text), path, text },
            () => {
              if (settled || !ctx.inflight.has(id)) {
                const reason = !settled
                  ? 'the app that sent it was restarted'
                  : duplicate
                    ? 'duplicate answer'
                    : 'the client stopped waiting';
                trace.record(scheduler.now, 'http.discard', { id, reason });
                return;
              }
              if (r.kind === 'refused') return fail('refused', networkError(`connect ECONNREFUSED ${ctx.origin.host}`, 'ECONNREFUSED'));
              if (r.kind === 'reset') return fail('reset', networkError('socket hang up', 'ECONNRESET'));
              settled = true;
              cleanup();
              const res = r.res;
              trace.record(scheduler.now, 'http.response', {
                bytes: byteLength(text) || undefined,
                id,
                status: res.status,
                via: r.via === 'edge' ? 'edge' : undefined,
              });
              resolve(new SimResponse(text, { status: res.status, statusText: statusText[res.status] ?? '', headers: res.headers }, href));
            },
          );
        };
        // Edge faults of the real-world kinds (request-reset, bad-body, retry-after) stand in front of the server's own edge.
        const rules = liveRules(network);
        const rule = rules.http.length > 0 ? rules.takeHttp(req) : undefined;
        if (rule) rule.handle(req, (reply) => ctx.server.handleHttp(req, reply), onReply);
        else ctx.server.handleHttp(req, onReply);
      },
    );
  });
}

import { describe, expect, it } from 'vitest';
import type { ServerFactory } from '../../src/sim/server-host.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { jsonResponse, type SimHttpRequest } from '../../src/sim/transport/http-types.js';

// The simulated fetch: real Response objects after a simulated round trip. Default link:
// 20 ms each way, so a request sent at t=0 is served at 20 and answered at 40.

interface Seen {
  /** `<t> <METHOD> <path+query> <body>` per request the application handled. */
  requests: string[];
  reqs: SimHttpRequest[];
  /** Server constructions (1 + restarts that lost state). */
  builds: number;
  recovers: number;
}

/**
 * A small API: `/count` reads a counter, `POST /inc` increments it, `/slow` answers after
 * 1 s (server timer), `/echo` returns what it got, `/empty` is a 204, anything else a JSON hello.
 */
function api(seen: Seen): ServerFactory {
  return (env) => {
    seen.builds++;
    let count = 0;
    return {
      recover: () => void seen.recovers++,
      http(req) {
        seen.reqs.push(req);
        seen.requests.push(`${env.now()} ${req.method} ${req.path}${req.url.search} ${req.body}`.trimEnd());
        switch (req.path) {
          case '/count':
            return jsonResponse(200, { count });
          case '/inc':
            count++;
            return jsonResponse(200, { count });
          case '/slow':
            return new Promise((resolve) => env.setTimeout(() => resolve(jsonResponse(200, { slow: true })), 1000));
          case '/echo':
            return {
              status: 200,
              headers: { 'content-type': req.headers.get('content-type') ?? 'none', 'x-method': req.method },
              body: req.body,
            };
          case '/empty':
            return { status: 204 };
          default:
            return jsonResponse(200, { hello: 'world', path: req.path }, { 'x-trace': 'abc' });
        }
      },
    };
  };
}

function setup(opts: Partial<SimulationOptions> = {}) {
  const seen: Seen = { requests: [], reqs: [], builds: 0, recovers: 0 };
  const sim = new Simulation({ seed: 11, server: api(seen), ...opts });
  const env = sim.env('c1');
  return { sim, env, seen };
}

interface Outcome {
  at: number;
  res?: Response;
  error?: unknown;
}

/** Starts `fetch` at virtual time `t` (as a task of c1) and records when and how it settles. */
function fetchAt(sim: Simulation, t: number, input: string | Request, init?: RequestInit): Outcome {
  const out: Outcome = { at: -1 };
  sim.at(t, 'c1', 'fetch', () => {
    sim
      .env('c1')
      .fetch(input, init)
      .then(
        (res) => {
          out.at = sim.now;
          out.res = res;
        },
        (error: unknown) => {
          out.at = sim.now;
          out.error = error;
        },
      );
  });
  return out;
}

function events(sim: Simulation, ev: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === ev);
}

function causeCode(e: unknown): unknown {
  return ((e as Error).cause as { code?: string } | undefined)?.code;
}

describe('fetch: real Response objects', () => {
  it('returns a Response with status, headers, url and a JSON body', async () => {
    const { sim } = setup();
    const o = fetchAt(sim, 0, '/hello');
    await sim.run(100);
    const res = o.res!;
    expect(o.at).toBe(40);
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.statusText).toBe('OK');
    expect(res.url).toBe('http://lockstep.test/hello');
    expect(res.headers).toBeInstanceOf(Headers);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('X-Trace')).toBe('abc');
    expect(res.bodyUsed).toBe(false);
    expect(await res.json()).toEqual({ hello: 'world', path: '/hello' });
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toBeInstanceOf(TypeError);
    expect(() => res.clone()).toThrow(TypeError);
  });

  it('reads bodies as text, arrayBuffer, blob, bytes and stream, once each; clone() gives an independent copy', async () => {
    const { sim } = setup();
    const outs = [0, 1, 2, 3, 4].map(() => fetchAt(sim, 0, '/echo', { method: 'POST', body: 'héllo' }));
    await sim.run(100);
    const [a, b, c, d, e] = outs.map((o) => o.res!);
    const copy = a!.clone();
    expect(await a!.text()).toBe('héllo');
    expect(await copy.text()).toBe('héllo');
    expect(copy.bodyUsed).toBe(true);
    const ab = await b!.arrayBuffer();
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab)]).toEqual([104, 195, 169, 108, 108, 111]);
    const blob = await c!.blob();
    expect(blob.size).toBe(6);
    expect(blob.type).toBe('text/plain;charset=utf-8');
    expect(await blob.text()).toBe('héllo');
    expect(new TextDecoder().decode(await d!.bytes())).toBe('héllo');
    // Reading the body stream disturbs the body, as on the platform.
    const stream = e!.body!;
    expect(stream).toBeInstanceOf(ReadableStream);
    const reader = stream.getReader();
    const chunks: number[] = [];
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      chunks.push(...r.value);
    }
    expect(new TextDecoder().decode(new Uint8Array(chunks))).toBe('héllo');
    expect(e!.bodyUsed).toBe(true);
    reader.releaseLock();
    await expect(e!.text()).rejects.toBeInstanceOf(TypeError);
  });

  it('a locked body cannot be read or cloned', async () => {
    const { sim } = setup();
    const o = fetchAt(sim, 0, '/hello');
    await sim.run(100);
    const res = o.res!;
    res.body!.getReader();
    await expect(res.json()).rejects.toBeInstanceOf(TypeError);
    expect(() => res.clone()).toThrow(TypeError);
  });

  it('a 204 has a null body and reads as empty text', async () => {
    const { sim } = setup();
    const o = fetchAt(sim, 0, '/empty');
    await sim.run(100);
    expect(o.res!.status).toBe(204);
    expect(o.res!.body).toBe(null);
    expect(await o.res!.text()).toBe('');
  });

  it('starts the request in the same virtual instant it is called, even from outside a task', async () => {
    const { sim, env, seen } = setup();
    let at = -1;
    void env.fetch('/hello').then(() => (at = sim.now));
    await sim.run(100);
    expect(seen.requests).toEqual(['20 GET /hello']);
    expect(at).toBe(40);
  });
});

describe('fetch: requests', () => {
  it('resolves relative URLs against env.baseUrl and accepts URL and Request inputs', async () => {
    const { sim, env, seen } = setup();
    expect(env.baseUrl).toBe('http://lockstep.test');
    fetchAt(sim, 0, '/api/items?since=3');
    fetchAt(sim, 1, new URL('/api/u', env.baseUrl).href);
    fetchAt(sim, 2, new Request(`${env.baseUrl}/api/r`, { method: 'PUT', body: 'r-body', headers: { 'x-a': '1' } }));
    await sim.run(100);
    expect(seen.requests).toEqual(['20 GET /api/items?since=3', '21 GET /api/u', '22 PUT /api/r r-body']);
    expect(seen.reqs[0]!.url.href).toBe('http://lockstep.test/api/items?since=3');
    expect(seen.reqs[0]!.query.get('since')).toBe('3');
    expect(seen.reqs[2]!.headers.get('x-a')).toBe('1');
  });

  it('delivers string, URLSearchParams and byte bodies with the platform’s content types', async () => {
    const { sim, seen } = setup();
    const str = fetchAt(sim, 0, '/echo', { method: 'POST', body: 'plain text' });
    const form = fetchAt(sim, 0, '/echo', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y' }) });
    const bytes = fetchAt(sim, 0, '/echo', { method: 'POST', body: new TextEncoder().encode('{"n":1}') });
    const json = fetchAt(sim, 0, '/echo', {
      method: 'post',
      body: JSON.stringify({ k: 'v' }),
      headers: { 'Content-Type': 'application/json', authorization: 'Bearer t' },
    });
    await sim.run(100);
    expect(seen.requests).toEqual([
      '20 POST /echo plain text',
      '20 POST /echo a=1&b=x+y',
      '20 POST /echo {"n":1}',
      '20 POST /echo {"k":"v"}',
    ]);
    expect(str.res!.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(form.res!.headers.get('content-type')).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(bytes.res!.headers.get('content-type')).toBe('none');
    expect(json.res!.headers.get('content-type')).toBe('application/json');
    expect(json.res!.headers.get('x-method')).toBe('POST');
    expect(seen.reqs[3]!.token).toBe('t');
    expect(await bytes.res!.text()).toBe('{"n":1}');
  });

  it('rejects a GET with a body with TypeError', async () => {
    const { sim, seen } = setup();
    const o = fetchAt(sim, 0, '/echo', { method: 'GET', body: 'x' });
    await sim.run(100);
    expect(o.error).toBeInstanceOf(TypeError);
    expect(seen.requests).toEqual([]);
  });

  it('takes one link latency each way', async () => {
    const { sim } = setup({ network: { toServer: { latency: 30 }, toClient: { latency: 70 } } });
    const o = fetchAt(sim, 5, '/hello');
    const p = fetchAt(sim, 5, '/hello');
    await sim.run(1000);
    expect([o.at, p.at]).toEqual([105, 105]);
    const r = setup({ network: { link: { latency: 50 } } });
    const q = fetchAt(r.sim, 0, '/hello');
    await r.sim.run(1000);
    expect(q.at).toBe(100);
    expect(r.seen.requests).toEqual(['50 GET /hello']);
  });

  it('lets concurrent requests complete out of order under latency jitter', async () => {
    const { sim } = setup({ network: { link: { latency: { kind: 'uniform', min: 1, max: 200 } } } });
    const outs = Array.from({ length: 10 }, (_, i) => fetchAt(sim, 0, `/echo?i=${i}`, { method: 'POST', body: String(i) }));
    await sim.run(1000);
    const byArrival = outs.map((o, i) => ({ i, at: o.at })).sort((x, y) => x.at - y.at || x.i - y.i);
    const order = byArrival.map((x) => x.i);
    expect(order).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...order].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Each response belongs to its own request.
    for (const [i, o] of outs.entries()) expect(await o.res!.text()).toBe(String(i));
    for (const o of outs) expect(o.at).toBeGreaterThanOrEqual(2);
    for (const o of outs) expect(o.at).toBeLessThanOrEqual(400);
  });
});

describe('fetch: failures', () => {
  it('a lost request fails with TypeError after requestTimeout; the server never saw it', async () => {
    const { sim, seen } = setup({
      network: { requestTimeout: 5000 },
      faults: [{ kind: 'partition', at: 0, duration: 1000, direction: 'to-server' }],
    });
    const o = fetchAt(sim, 10, '/inc', { method: 'POST' });
    await sim.run(4000);
    expect(o.at).toBe(-1); // still waiting
    await sim.run(10_000);
    expect(o.at).toBe(5010);
    expect(o.error).toBeInstanceOf(TypeError);
    expect(causeCode(o.error)).toBe('ETIMEDOUT');
    expect(seen.requests).toEqual([]);
    expect(events(sim, 'net.drop').map((e) => [e.t, e.envelope, e.reason])).toEqual([[10, 'http.request', 'partition']]);
    expect(events(sim, 'http.fail').map((e) => e.reason)).toEqual(['timeout']);
  });

  it('a lost response (http-timeout phase response): the server acted, the client times out — maybe delivered', async () => {
    const { sim, seen } = setup({
      network: { requestTimeout: 3000 },
      faults: [{ kind: 'http-timeout', at: 0, path: '/inc', phase: 'response', count: 1 }],
    });
    const first = fetchAt(sim, 0, '/inc', { method: 'POST' });
    const check = fetchAt(sim, 4000, '/count');
    await sim.run(10_000);
    expect(first.error).toBeInstanceOf(TypeError);
    expect(first.at).toBe(3000);
    expect(events(sim, 'http.serve').map((e) => [e.id, e.path])).toEqual([
      ['c1/http#1', '/inc'],
      ['c1/http#2', '/count'],
    ]);
    expect(seen.requests).toEqual(['20 POST /inc', '4020 GET /count']);
    expect(await check.res!.json()).toEqual({ count: 1 });
    expect(events(sim, 'net.drop').map((e) => [e.t, e.envelope, e.reason])).toEqual([
      [20, 'http.response', 'http-timeout (fault entry 0)'],
    ]);
  });

  it('a lost request (http-timeout phase request) never reaches the application', async () => {
    const { sim, seen } = setup({ network: { requestTimeout: 3000 }, faults: [{ kind: 'http-timeout', at: 0, method: 'POST' }] });
    const o = fetchAt(sim, 0, '/inc', { method: 'POST' });
    const get = fetchAt(sim, 0, '/count');
    await sim.run(10_000);
    expect(o.error).toBeInstanceOf(TypeError);
    expect(o.at).toBe(3000);
    expect(get.res!.status).toBe(200);
    expect(seen.requests).toEqual(['20 GET /count']);
  });

  it.each([401, 500, 503])('http-status %i is answered by the edge; the server never sees it', async (status) => {
    const { sim, seen } = setup({ faults: [{ kind: 'http-status', at: 0, status, path: '/api/*', count: 2 }] });
    const outs = [0, 1, 2].map((i) => fetchAt(sim, i, '/api/x'));
    const other = fetchAt(sim, 0, '/other');
    await sim.run(1000);
    expect(outs.map((o) => o.res!.status)).toEqual([status, status, 200]);
    expect(outs[0]!.res!.ok).toBe(false);
    expect(outs[0]!.at).toBe(40);
    expect(await outs[0]!.res!.text()).toBe('');
    expect(other.res!.status).toBe(200);
    expect(seen.requests).toEqual(['20 GET /other', '22 GET /api/x']);
    expect(events(sim, 'http.edge').map((e) => [e.id, e.status])).toEqual([
      ['c1/http#1', status],
      ['c1/http#3', status],
    ]);
    expect(events(sim, 'http.response').filter((e) => e.via === 'edge')).toHaveLength(2);
  });

  it('a duplicating proxy delivers the request twice; the client gets one response', async () => {
    const { sim, seen } = setup({ faults: [{ kind: 'duplicate', at: 0, rate: 1 }] });
    const o = fetchAt(sim, 0, '/inc', { method: 'POST', body: 'once' });
    await sim.run(1000);
    expect(await o.res!.json()).toEqual({ count: 1 });
    expect(o.at).toBe(40);
    expect(seen.requests).toEqual(['20 POST /inc once', '40 POST /inc once']);
    expect(seen.reqs.map((r) => r.duplicate)).toEqual([false, true]);
    expect(events(sim, 'net.dup').map((e) => [e.id, e.envelope])).toEqual([['c1/http#1', 'http.request']]);
    expect(events(sim, 'http.discard').map((e) => [e.t, e.id, e.reason])).toEqual([[60, 'c1/http#1', 'duplicate answer']]);
    expect(events(sim, 'http.response')).toHaveLength(1);
  });

  it('AbortController aborts with AbortError (or the given reason); the late response is discarded', async () => {
    const { sim, seen } = setup();
    const ac = new AbortController();
    const o = fetchAt(sim, 0, '/slow', { signal: ac.signal });
    sim.at(500, 'c1', 'abort', () => ac.abort());
    const ac2 = new AbortController();
    const reason = new Error('user left');
    const p = fetchAt(sim, 0, '/hello', { signal: ac2.signal });
    sim.at(10, 'c1', 'abort', () => ac2.abort(reason));
    await sim.run(5000);
    expect(o.at).toBe(500);
    expect(o.error).toBeInstanceOf(DOMException);
    expect((o.error as DOMException).name).toBe('AbortError');
    expect(p.at).toBe(10);
    expect(p.error).toBe(reason);
    expect(seen.requests).toEqual(['20 GET /slow', '20 GET /hello']);
    expect(events(sim, 'http.discard').map((e) => [e.t, e.id])).toEqual([
      [40, 'c1/http#2'],
      [1040, 'c1/http#1'],
    ]);
  });

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const { sim, seen } = setup();
    const o = fetchAt(sim, 3, '/hello', { signal: AbortSignal.abort() });
    await sim.run(1000);
    expect(o.at).toBe(3);
    expect((o.error as DOMException).name).toBe('AbortError');
    expect(seen.requests).toEqual([]);
  });

  it('env.timeoutSignal rejects with TimeoutError on virtual time', async () => {
    const { sim, env } = setup();
    const o: Outcome = { at: -1 };
    sim.at(100, 'c1', 'fetch', () => {
      env.fetch('/slow', { signal: env.timeoutSignal(250) }).then(
        () => (o.at = -2),
        (e: unknown) => {
          o.at = sim.now;
          o.error = e;
        },
      );
    });
    await sim.run(5000);
    expect(o.at).toBe(350);
    expect(o.error).toBeInstanceOf(DOMException);
    expect((o.error as DOMException).name).toBe('TimeoutError');
  });

  it('an offline client rejects with TypeError at once', async () => {
    const { sim, seen } = setup({ faults: [{ kind: 'client-offline', at: 0, duration: 1000 }] });
    const o = fetchAt(sim, 10, '/hello');
    const after = fetchAt(sim, 1001, '/hello');
    await sim.run(2000);
    expect(o.at).toBe(10);
    expect(o.error).toBeInstanceOf(TypeError);
    expect(causeCode(o.error)).toBe('ENETUNREACH');
    expect(after.res!.status).toBe(200);
    expect(seen.requests).toEqual(['1021 GET /hello']);
  });

  it('an unknown host or scheme rejects with TypeError', async () => {
    const { sim, seen } = setup();
    const o = fetchAt(sim, 0, 'http://elsewhere.test/x');
    const f = fetchAt(sim, 0, 'ftp://lockstep.test/x');
    await sim.run(100);
    expect(o.at).toBe(0);
    expect(o.error).toBeInstanceOf(TypeError);
    expect(causeCode(o.error)).toBe('ENOTFOUND');
    expect(f.error).toBeInstanceOf(TypeError);
    expect(seen.requests).toEqual([]);
  });

  it.each([
    ['keep', 1, 1, 1],
    ['lose', 0, 2, 0],
  ] as const)('server restart (state %s): refused during downtime, state kept or lost', async (state, count, builds, recovers) => {
    const { sim, seen } = setup({ faults: [{ kind: 'server-restart', at: 100, downtime: 1000, state }] });
    const inc = fetchAt(sim, 0, '/inc', { method: 'POST' });
    const down = fetchAt(sim, 500, '/count');
    const up = fetchAt(sim, 1200, '/count');
    await sim.run(3000);
    expect(await inc.res!.json()).toEqual({ count: 1 });
    expect(down.at).toBe(540);
    expect(down.error).toBeInstanceOf(TypeError);
    expect(causeCode(down.error)).toBe('ECONNREFUSED');
    expect(events(sim, 'http.refused').map((e) => [e.t, e.id])).toEqual([[520, 'c1/http#2']]);
    expect(await up.res!.json()).toEqual({ count });
    expect(seen.builds).toBe(builds);
    expect(seen.recovers).toBe(recovers);
  });

  it('a server restart resets requests the server was still working on', async () => {
    const { sim } = setup({ faults: [{ kind: 'server-restart', at: 500, downtime: 1000 }] });
    const slow = fetchAt(sim, 0, '/slow');
    await sim.run(5000);
    // Served at 20, due at 1020, but the process died at 500: the connection is reset.
    expect(slow.error).toBeInstanceOf(TypeError);
    expect(causeCode(slow.error)).toBe('ECONNRESET');
    expect(slow.at).toBe(520);
    expect(events(sim, 'http.lost').map((e) => [e.t, e.id])).toEqual([[500, 'c1/http#1']]);
  });
});

import http, { request as namedHttpRequest } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { delay, http as mswHttp, HttpResponse, passthrough, ws } from 'msw';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it } from 'vitest';
import { mswServer, routeThroughSimulation, type MswBridge } from '../../src/sim/adapters/msw.js';
import type { ServerFactory } from '../../src/sim/server-host.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';

// The msw adapter, both directions:
// - routeThroughSimulation: unmodified client code (node:http as axios uses it, a fetch it
//   captured) reaches a client node's simulated network through msw;
// - mswServer: msw handlers act as the simulated server, delay() on virtual time.
// Default link in these tests: 20 ms each way unless a test says otherwise.

/** The host's own globals, read before anything in this file patched them. */
const host = {
  fetch: globalThis.fetch,
  httpRequest: http.request,
  httpGet: http.get,
  ClientRequest: http.ClientRequest,
  httpsRequest: https.request,
  httpsGet: https.get,
  Request: globalThis.Request,
  Response: globalThis.Response,
  Headers: globalThis.Headers,
  headersSet: Headers.prototype.set,
  random: Math.random,
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setImmediate: globalThis.setImmediate,
  Date: globalThis.Date,
  WebSocket: (globalThis as { WebSocket?: unknown }).WebSocket,
  performanceNow: performance.now.bind(performance),
};

let bridge: MswBridge | undefined;
afterEach(() => {
  bridge?.close();
  bridge = undefined;
});

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  data: unknown;
}

/**
 * An axios-style client call: `http.request` looked up when the call is made (axios' Node
 * adapter does `transport.request(options, cb)`), JSON in and out, network failures as
 * the `error` event's Node error (with `code`).
 */
function httpJson(url: string, opts: { method?: string; body?: unknown; request?: typeof http.request } = {}): Promise<HttpResult> {
  const request = opts.request ?? http.request;
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: payload ? { 'content-type': 'application/json', accept: 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const json = String(res.headers['content-type']).includes('json');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, data: json && text ? JSON.parse(text) : text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A small kernel server: `GET /api/items/:id`, `POST /api/items` (201, echoes the JSON body). */
const itemsServer: ServerFactory = (env) => ({
  http(req) {
    const m = /^\/api\/items\/(\w+)$/.exec(req.path);
    if (req.method === 'GET' && m) return jsonResponse(200, { id: m[1], at: env.now() });
    if (req.method === 'POST' && req.path === '/api/items') return jsonResponse(201, { created: req.json() });
    return jsonResponse(404, { error: 'not found' });
  },
});

function events(sim: Simulation, id?: string): TraceEvent[] {
  return sim.trace.events().filter((e) => id === undefined || e.id === id);
}

/** `t ev` lines of one exchange, for compact timeline assertions. */
function timeline(sim: Simulation, id: string): string[] {
  return events(sim, id).map((e) => `${e.t} ${e.ev}`);
}

describe('routeThroughSimulation: unmodified client code reaches the simulated network', () => {
  it('an axios-style node:http client reaches the simulated server, with latency, traced as http.request/http.serve', async () => {
    const sim = new Simulation({ seed: 1, server: itemsServer, network: { link: { latency: 25 } } });
    bridge = routeThroughSimulation(sim, 'c1');
    const seen: { t: number; result: HttpResult }[] = [];
    await sim.withGlobals('c1', async () => {
      sim.at(100, 'c1', 'create item', () => {
        void httpJson('http://lockstep.test/api/items', { method: 'POST', body: { name: 'tea' } }).then((result) =>
          seen.push({ t: sim.now, result }),
        );
      });
      await sim.run(1000);
    });

    expect(seen).toHaveLength(1);
    expect(seen[0]!.t).toBe(150); // 25 ms there, 25 ms back
    expect(seen[0]!.result.status).toBe(201);
    expect(seen[0]!.result.headers['content-type']).toBe('application/json');
    expect(seen[0]!.result.data).toEqual({ created: { name: 'tea' } });
    expect(timeline(sim, 'c1/http#1')).toEqual(['100 http.request', '125 http.serve', '125 http.respond', '150 http.response']);
    const [request, serve] = events(sim, 'c1/http#1');
    expect(request).toMatchObject({ node: 'c1', method: 'POST', url: 'http://lockstep.test/api/items' });
    expect(serve).toMatchObject({ method: 'POST', path: '/api/items', body: '{"name":"tea"}' });
    expect(bridge.requests).toBe(1);
  });

  it('a fetch captured while the bridge was open, before the globals were installed, is bridged', async () => {
    const sim = new Simulation({ seed: 1, server: itemsServer, network: { link: { latency: 30 } } });
    bridge = routeThroughSimulation(sim, 'c1');
    // An unmodified SDK that captures fetch when it is created.
    const createSdk = () => {
      const f = globalThis.fetch;
      return { item: async (id: string) => (await f(`http://lockstep.test/api/items/${id}`)).json() };
    };
    const sdk = createSdk();
    const seen: unknown[] = [];
    await sim.withGlobals('c1', async () => {
      expect(globalThis.fetch).toBe(sim.env('c1').fetch); // the globals' fetch is on top now
      sim.at(200, 'c1', 'load', () => void sdk.item('42').then((data) => seen.push({ t: sim.now, data })));
      await sim.run(1000);
    });

    expect(seen).toEqual([{ t: 260, data: { id: '42', at: 230 } }]);
    expect(timeline(sim, 'c1/http#1')).toEqual(['200 http.request', '230 http.serve', '230 http.respond', '260 http.response']);
    expect(bridge.requests).toBe(1);
  });

  it('named ESM imports of node:http are bridged too (kept in sync with syncBuiltinESMExports)', async () => {
    const sim = new Simulation({ seed: 1, server: itemsServer });
    bridge = routeThroughSimulation(sim, 'c1');
    const seen: HttpResult[] = [];
    await sim.withGlobals('c1', async () => {
      sim.at(
        0,
        'c1',
        'load',
        () => void httpJson('http://lockstep.test/api/items/7', { request: namedHttpRequest }).then((r) => seen.push(r)),
      );
      await sim.run(100);
    });
    expect(seen.map((r) => r.data)).toEqual([{ id: '7', at: 20 }]);
  });

  it('works with an injected env too: the traps leave the bridged node:http and fetch in charge, and msw draws no real random number', async () => {
    const sim = new Simulation({ seed: 1, server: itemsServer });
    bridge = routeThroughSimulation(sim, 'c1');
    const bridged = { request: http.request, fetch: globalThis.fetch };
    const env = sim.env('c1');
    const seen: unknown[] = [];
    const during: Record<string, boolean> = {};
    // A client written against env, whose SDK uses node:http and a fetch captured at creation.
    const sdkFetch = globalThis.fetch;
    env.setTimeout(() => {
      during.httpRequestIsBridged = http.request === bridged.request;
      during.fetchIsBridged = globalThis.fetch === bridged.fetch;
      void httpJson('http://lockstep.test/api/items/1').then((r) => seen.push(r.data));
      void sdkFetch('http://lockstep.test/api/items/2').then(async (r) => seen.push(await r.json()));
    }, 10);
    await sim.run(1000); // no globals: the kernel's traps are armed during the run

    expect(during).toEqual({ httpRequestIsBridged: true, fetchIsBridged: true });
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(
      expect.arrayContaining([
        { id: '1', at: 30 },
        { id: '2', at: 30 },
      ]),
    );
    expect(sim.stopped).toBeUndefined();
    expect(events(sim).filter((e) => e.ev === 'client.random')).toEqual([]);
  });

  it('faults apply: an http-status 503 fault and an offline spell reach both kinds of client as the platform reports them', async () => {
    const sim = new Simulation({
      seed: 1,
      server: itemsServer,
      faults: [
        { kind: 'http-status', at: 0, duration: 500, status: 503 },
        { kind: 'client-offline', at: 1000, duration: 500 },
      ],
    });
    bridge = routeThroughSimulation(sim, 'c1');
    const sdkFetch = globalThis.fetch;
    const seen: string[] = [];
    const both = (label: string) => {
      void httpJson('http://lockstep.test/api/items/1').then(
        (r) => seen.push(`${label} http ${sim.now} ${r.status}`),
        (e: NodeJS.ErrnoException) => seen.push(`${label} http ${sim.now} error ${e.code}: ${e.message}`),
      );
      void sdkFetch('http://lockstep.test/api/items/1').then(
        (r) => seen.push(`${label} fetch ${sim.now} ${r.status}`),
        (e: TypeError & { cause: { code: string } }) => seen.push(`${label} fetch ${sim.now} ${e.name} ${e.message} (${e.cause.code})`),
      );
    };
    await sim.withGlobals('c1', async () => {
      sim.at(100, 'c1', 'during 503', () => both('503'));
      sim.at(1100, 'c1', 'offline', () => both('offline'));
      sim.at(2000, 'c1', 'healed', () => both('healed'));
      await sim.run(3000);
    });

    // Both answers of one instant arrive in the same task; fetch's continuation runs a few
    // microtask turns before node:http's, so compare them in a fixed order.
    expect(seen.sort()).toEqual([
      '503 fetch 140 503',
      '503 http 140 503',
      'healed fetch 2040 200',
      'healed http 2040 200',
      'offline fetch 1100 TypeError fetch failed (ENETUNREACH)',
      'offline http 1100 error ENETUNREACH: network is unreachable (the client is offline)',
    ]);
    expect(events(sim).filter((e) => e.ev === 'http.edge')).toHaveLength(2);
  });

  it('cancellation reaches the simulated exchange: an aborted fetch and a destroyed ClientRequest fail it', async () => {
    const slow: ServerFactory = (env) => ({ http: () => new Promise((r) => env.setTimeout(() => r(jsonResponse(200, {})), 1000)) });
    const sim = new Simulation({ seed: 1, server: slow });
    bridge = routeThroughSimulation(sim, 'c1');
    const sdkFetch = globalThis.fetch;
    const seen: string[] = [];
    await sim.withGlobals('c1', async () => {
      sim.at(100, 'c1', 'start', () => {
        void sdkFetch('http://lockstep.test/a', { signal: AbortSignal.timeout(300) }).catch((e: Error) =>
          seen.push(`fetch ${sim.now} ${e.name}`),
        );
        const req = http.request('http://lockstep.test/b');
        req.on('error', (e: NodeJS.ErrnoException) => seen.push(`http ${sim.now} ${e.code}`));
        req.end();
        setTimeout(() => req.destroy(), 150);
      });
      await sim.run(2000);
    });
    expect(seen).toEqual(['http 250 ECONNRESET', 'fetch 400 TimeoutError']);
    expect(events(sim).filter((e) => e.ev === 'http.fail')).toMatchObject([
      { t: 250, id: 'c1/http#2', reason: 'aborted' },
      { t: 400, id: 'c1/http#1', reason: 'signal-timeout' },
    ]);
  });

  it('is transparent: a bridged client leaves the same trace as the same client on env.fetch', async () => {
    // A polling client with jittered backoff, written once against a fetch-like function.
    const scenario = async (seed: number, mode: 'bridge' | 'env') => {
      const sim = new Simulation({
        seed,
        server: itemsServer,
        network: { link: { latency: { kind: 'lognormal', median: 40, sigma: 0.6 }, loss: 0.15 }, requestTimeout: 2000 },
        faults: [{ kind: 'partition', at: 4000, duration: 1500 }],
      });
      const b = mode === 'bridge' ? routeThroughSimulation(sim, 'c1') : undefined;
      const get =
        mode === 'bridge'
          ? (url: string) => httpJson(url).then((r) => r.data)
          : (url: string) =>
              sim
                .env('c1')
                .fetch(url)
                .then((r) => r.json());
      try {
        await sim.withGlobals('c1', async () => {
          let n = 0;
          const poll = (): void => {
            get(`http://lockstep.test/api/items/${++n}`).then(
              () => setTimeout(poll, 500),
              () => setTimeout(poll, 500 + Math.random() * 1000),
            );
          };
          sim.at(0, 'c1', 'start polling', poll);
          await sim.run(10_000);
        });
      } finally {
        b?.close();
      }
      return sim;
    };
    const bridged = await scenario(5, 'bridge');
    const direct = await scenario(5, 'env');
    expect(bridged.trace.events().filter((e) => e.ev === 'net.drop').length).toBeGreaterThan(0);
    expect(bridged.trace.toJsonl()).toBe(direct.trace.toJsonl());
  });

  it('same seed → same trace hash across two runs; another seed → another hash', async () => {
    const scenario = async (seed: number) => {
      const sim = new Simulation({
        seed,
        server: itemsServer,
        network: { link: { latency: { kind: 'uniform', min: 10, max: 90 }, loss: 0.1, duplicate: 0.1 }, requestTimeout: 1500 },
        faults: [{ kind: 'http-status', at: 3000, duration: 1000, status: 503 }],
      });
      bridge = routeThroughSimulation(sim, 'c1');
      const sdkFetch = globalThis.fetch;
      const outcomes: string[] = [];
      await sim.withGlobals('c1', async () => {
        let n = 0;
        setInterval(
          () => {
            const id = ++n;
            const done = (how: string) => outcomes.push(`${id}:${how}@${Date.now() - sim.startTime}`);
            if (id % 2)
              void httpJson(`http://lockstep.test/api/items/${id}`).then(
                (r) => done(`${r.status}`),
                (e: NodeJS.ErrnoException) => done(e.code!),
              );
            else
              void sdkFetch(`http://lockstep.test/api/items/${id}`).then(
                (r) => done(`${r.status}`),
                (e: TypeError) => done(e.name),
              );
          },
          250 + Math.floor(Math.random() * 100),
        );
        await sim.run(8000);
      });
      bridge.close();
      bridge = undefined;
      return { hash: sim.trace.hash(), outcomes, lines: sim.trace.length };
    };
    const a = await scenario(42);
    const b = await scenario(42);
    const c = await scenario(43);
    expect(a.lines).toBeGreaterThan(100);
    expect(b.hash).toBe(a.hash);
    expect(b.outcomes).toEqual(a.outcomes);
    expect(c.hash).not.toBe(a.hash);
  });

  it('close() restores everything, and a request after close is not intercepted', async () => {
    // A real server on loopback shows where a request goes once the bridge is gone.
    const real = http.createServer((_req, res) => {
      res.setHeader('connection', 'close'); // no keep-alive socket left behind for undici's timers
      res.end('real');
    });
    await new Promise<void>((r) => real.listen(0, '127.0.0.1', r));
    const realUrl = `http://127.0.0.1:${(real.address() as AddressInfo).port}/`;
    try {
      const sim = new Simulation({ seed: 1, server: itemsServer });
      const b = routeThroughSimulation(sim, 'c1');
      const capturedFetch = globalThis.fetch;
      const capturedRequest = http.request;
      expect(capturedFetch).not.toBe(host.fetch);
      expect(capturedRequest).not.toBe(host.httpRequest);
      await sim.withGlobals('c1', async () => {
        sim.at(0, 'c1', 'load', () => void httpJson('http://lockstep.test/api/items/1'));
        await sim.run(100);
      });
      expect(b.requests).toBe(1);

      b.close();
      b.close(); // idempotent
      expect(b.closed).toBe(true);
      expect({
        fetch: globalThis.fetch,
        httpRequest: http.request,
        httpGet: http.get,
        ClientRequest: http.ClientRequest,
        httpsRequest: https.request,
        httpsGet: https.get,
        Request: globalThis.Request,
        Response: globalThis.Response,
        Headers: globalThis.Headers,
        headersSet: Headers.prototype.set,
        random: Math.random,
        setTimeout: globalThis.setTimeout,
        clearTimeout: globalThis.clearTimeout,
        setImmediate: globalThis.setImmediate,
        Date: globalThis.Date,
        WebSocket: (globalThis as { WebSocket?: unknown }).WebSocket,
        performanceNow: host.performanceNow,
      }).toEqual(host);
      expect(namedHttpRequest).toBe(host.httpRequest);

      const lines = sim.trace.length;
      const viaHttp = await httpJson(realUrl);
      const viaCapturedRequest = await httpJson(realUrl, { request: capturedRequest });
      const viaCapturedFetch = await (await capturedFetch(realUrl)).text();
      expect([viaHttp.data, viaCapturedRequest.data, viaCapturedFetch]).toEqual(['real', 'real', 'real']);
      expect(b.requests).toBe(1);
      expect(sim.trace.length).toBe(lines);
      expect(Math.random).toBe(host.random); // the captured entry points did not bring the router back
    } finally {
      real.closeAllConnections();
      await new Promise<void>((r) => real.close(() => r()));
      await new Promise((r) => host.setTimeout(r, 20)); // let undici finish with its sockets before the next run arms the traps
    }
  });

  it('close() keeps what was laid over the bridge since (globals restored out of order)', () => {
    const sim = new Simulation({ seed: 1, server: itemsServer });
    const restore = sim.installGlobals('c1');
    const b = routeThroughSimulation(sim, 'c1'); // msw now wraps the simulated fetch
    restore(); // out of order: the globals go first
    expect(globalThis.fetch).toBe(host.fetch);
    b.close(); // must not bring the (stale) simulated fetch back
    expect(globalThis.fetch).toBe(host.fetch);
    expect(http.request).toBe(host.httpRequest);
    expect(globalThis.setTimeout).toBe(host.setTimeout);
  });

  it('stays consistent across runs: a bridged call before a run and another during it leave working globals behind', async () => {
    const sim = new Simulation({ seed: 1, server: itemsServer });
    bridge = routeThroughSimulation(sim, 'c1');
    const sdkFetch = globalThis.fetch;
    const seen: unknown[] = [];
    // Outside any task (msw's id draw happens here, then the run's traps go over it) …
    void sdkFetch('http://lockstep.test/api/items/1').then((r) => seen.push(r.status));
    // … and inside one, over the traps.
    sim.at(100, 'c1', 'load', () => void httpJson('http://lockstep.test/api/items/2').then((r) => seen.push(r.status)));
    await sim.run(500);
    expect(seen).toEqual([200, 200]);
    expect(() => Math.random()).not.toThrow(); // not the run's (removed) trap
    expect(sim.stopped).toBeUndefined();
    bridge.close();
    bridge = undefined;
    expect(Math.random).toBe(host.random);
    expect(globalThis.setTimeout).toBe(host.setTimeout);
    expect(globalThis.Date).toBe(host.Date);
  });

  it('refuses a second bridge, another listening msw server, a run in progress and an unknown node, with a message', async () => {
    const sim = new Simulation({ seed: 1, server: itemsServer });
    expect(() => routeThroughSimulation(sim, 'c9')).toThrow(/no client node "c9"/);
    bridge = routeThroughSimulation(sim, 'c1');
    expect(() => routeThroughSimulation(sim, 'c1')).toThrow(/already open; close it before opening another/);
    bridge.close();
    bridge = undefined;

    const other = setupServer();
    other.listen({ onUnhandledRequest: 'bypass' });
    try {
      expect(() => routeThroughSimulation(sim, 'c1')).toThrow(/another msw server is listening/);
    } finally {
      other.close();
    }

    let inside: unknown;
    sim.at(10, 'c1', 'open inside', () => {
      try {
        routeThroughSimulation(sim, 'c1');
      } catch (e) {
        inside = e;
      }
    });
    await sim.run(20);
    expect(String(inside)).toMatch(/open the bridge outside sim.run\(\)/);
  });

  it('measures the wall cost per request: bridged fetch and node:http vs plain env.fetch', async () => {
    const n = 400;
    const measure = async (how: 'env.fetch' | 'bridged fetch' | 'bridged node:http') => {
      const sim = new Simulation({ seed: 1, server: itemsServer, guards: { requestStormPerSecond: 10_000 } });
      const b = how === 'env.fetch' ? undefined : routeThroughSimulation(sim, 'c1');
      const sdkFetch = globalThis.fetch;
      const env = sim.env('c1');
      const one = (i: number): Promise<unknown> =>
        how === 'bridged node:http'
          ? httpJson(`http://lockstep.test/api/items/${i}`)
          : (how === 'env.fetch' ? env.fetch : sdkFetch)(`http://lockstep.test/api/items/${i}`).then((r) => r.json());
      let done = 0;
      const loop = (i: number): void => void one(i).then(() => (++done < n ? loop(i + 1) : undefined));
      env.setTimeout(() => loop(0), 0);
      const t0 = host.performanceNow();
      await sim.run(n * 40 + 100);
      const ms = host.performanceNow() - t0;
      b?.close();
      expect(done).toBe(n);
      return ms / n;
    };
    await measure('bridged fetch'); // warm up both paths
    await measure('bridged node:http');
    const plain = await measure('env.fetch');
    const fetchCost = await measure('bridged fetch');
    const httpCost = await measure('bridged node:http');
    console.log(
      `wall ms per request (${n} sequential, one process): env.fetch ${plain.toFixed(3)}, bridged fetch ${fetchCost.toFixed(3)} (${(fetchCost / plain).toFixed(1)}×), bridged node:http ${httpCost.toFixed(3)} (${(httpCost / plain).toFixed(1)}×)`,
    );
    expect(fetchCost).toBeGreaterThan(0);
  });
});

describe('mswServer: msw handlers act as the simulated server', () => {
  const handlers = [
    mswHttp.get('/api/items/:id', ({ params }) => HttpResponse.json({ id: params.id, name: `item ${String(params.id)}` })),
    mswHttp.post('/api/items/:list', async ({ request, params }) => {
      const body = (await request.json()) as { name: string };
      return HttpResponse.json({ list: params.list, created: body.name }, { status: 201, headers: { 'x-created': '1' } });
    }),
    mswHttp.get('/api/slow', async () => {
      await delay(500);
      return HttpResponse.json({ slow: true });
    }),
    mswHttp.get('/api/stamp', () => HttpResponse.json({ now: new Date().toISOString(), ms: Date.now(), r: Math.random() })),
    mswHttp.get('/api/gone', () => HttpResponse.error()),
    mswHttp.get('/api/upstream', () => passthrough()),
  ];

  function setup(opts: Partial<SimulationOptions> = {}) {
    const sim = new Simulation({ seed: 3, server: mswServer(handlers), ...opts });
    return { sim, env: sim.env('c1') };
  }

  it('serves GET and POST with path params and JSON bodies', async () => {
    const { sim, env } = setup();
    const seen: unknown[] = [];
    env.setTimeout(async () => {
      const a = await env.fetch('/api/items/42');
      seen.push([a.status, a.headers.get('content-type'), await a.json()]);
      const b = await env.fetch('/api/items/groceries', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'tea' }),
      });
      seen.push([b.status, b.headers.get('x-created'), await b.json()]);
    }, 0);
    await sim.run(1000);
    expect(seen).toEqual([
      [200, 'application/json', { id: '42', name: 'item 42' }],
      [201, '1', { list: 'groceries', created: 'tea' }],
    ]);
    expect(events(sim).filter((e) => e.ev === 'http.respond')).toMatchObject([
      { t: 20, id: 'c1/http#1', status: 200 },
      { t: 60, id: 'c1/http#2', status: 201 },
    ]);
  });

  it('delay(500) takes 500 ms of virtual time on the server clock (with an env, and under a client’s globals)', async () => {
    for (const globals of [false, true]) {
      const { sim, env } = setup({
        // Everything of c1 is suspended while it is backgrounded (150–630 ms); the server's
        // timers are not: had delay() used a c1 timer, the answer would leave at 630.
        faults: [{ kind: 'app-background', at: 150, duration: 480, timers: 'suspend' }],
      });
      const seen: unknown[] = [];
      const go = async () => {
        sim.at(100, 'c1', 'load', () => void env.fetch('/api/slow').then(async (r) => seen.push([sim.now, await r.json()])));
        await sim.run(1000);
      };
      if (globals) await sim.withGlobals('c1', go);
      else await go();
      expect(timeline(sim, 'c1/http#1')).toEqual(['100 http.request', '120 http.serve', '620 http.respond', '640 http.response']);
      expect(seen).toEqual([[640, { slow: true }]]);
      expect(sim.stopped).toBeUndefined();
    }
  });

  it('a delay() that spans two runs resumes on the server clock; the host globals are left as they were', async () => {
    const { sim, env } = setup();
    let answered: number | undefined;
    sim.at(100, 'c1', 'load', () => void env.fetch('/api/slow').then(() => (answered = sim.now)));
    await sim.run(300); // served at 120, asleep until 620
    // Between the runs the kernel's traps are gone; what the server scope still covers
    // while the delay is pending (Date, clearTimeout) passes every call through unchanged.
    expect({ random: Math.random, setTimeout: globalThis.setTimeout }).toEqual({ random: host.random, setTimeout: host.setTimeout });
    expect(Date.now()).toBeGreaterThan(Date.UTC(2025, 0, 1));
    expect(new Date(0)).toBeInstanceOf(host.Date);
    await sim.run(700);
    expect(answered).toBe(640);
    expect(timeline(sim, 'c1/http#1')).toEqual(['100 http.request', '120 http.serve', '620 http.respond', '640 http.response']);
    expect({ random: Math.random, setTimeout: globalThis.setTimeout, Date: globalThis.Date }).toEqual({
      random: host.random,
      setTimeout: host.setTimeout,
      Date: host.Date,
    });
  });

  it('unhandled requests get 404 and a server.log line; passthrough and HttpResponse.error() are logged', async () => {
    const { sim, env } = setup({ network: { requestTimeout: 3000 } });
    const seen: string[] = [];
    env.setTimeout(() => {
      void env.fetch('/api/nothing-here').then((r) => seen.push(`nothing-here ${r.status}`));
      void env.fetch('/api/upstream').then((r) => seen.push(`upstream ${r.status}`));
      void env.fetch('/api/gone').catch((e: TypeError & { cause: { code: string } }) => seen.push(`gone ${sim.now} ${e.cause.code}`));
    }, 0);
    await sim.run(5000);
    expect(seen).toEqual(['nothing-here 404', 'upstream 404', 'gone 3000 ETIMEDOUT']);
    expect(events(sim).filter((e) => e.ev === 'server.log')).toMatchObject([
      { t: 20, msg: 'msw: no handler for GET /api/nothing-here', id: 'c1/http#1', method: 'GET', path: '/api/nothing-here' },
      { t: 20, msg: 'msw: passthrough() for GET /api/upstream: there is no real server behind the simulated one', id: 'c1/http#2' },
      { t: 20, msg: 'msw: HttpResponse.error() for GET /api/gone: the request gets no answer', id: 'c1/http#3' },
    ]);
  });

  it("handlers' Date and Math.random are the server's: virtual clock, seeded stream", async () => {
    const stamp = async () => {
      const { sim, env } = setup({ startTime: Date.UTC(2030, 0, 1) });
      let body: { now: string; ms: number; r: number } | undefined;
      sim.at(1000, 'c1', 'stamp', () => void env.fetch('/api/stamp').then(async (r) => (body = await r.json())));
      await sim.run(2000);
      return body!;
    };
    const a = await stamp();
    const b = await stamp();
    expect(a.now).toBe('2030-01-01T00:00:01.020Z');
    expect(a.ms).toBe(Date.UTC(2030, 0, 1) + 1020);
    expect(a.r).toBeGreaterThanOrEqual(0);
    expect(b).toEqual(a);
    expect(Date).toBe(host.Date); // outside the server scope nothing changed
    expect(Math.random).toBe(host.random);
  });

  it('serves ws.link() handlers: connection, messages, broadcast, delay() and close over the simulated socket', async () => {
    const chat = ws.link('ws://lockstep.test/ws/chat/:room');
    const wsHandlers = [
      chat.addEventListener('connection', ({ client, params }) => {
        client.send(`welcome to ${String(params.room)}`);
        client.addEventListener('message', async (event) => {
          if (event.data === 'slow') {
            await delay(300);
            client.send('late');
          } else if (event.data === 'bye') client.close();
          else chat.broadcast(`echo:${String(event.data)}`);
        });
      }),
    ];
    const sim = new Simulation({ seed: 1, server: mswServer(wsHandlers) });
    const env = sim.env('c1');
    const seen: string[] = [];
    env.setTimeout(() => {
      const socket = new env.WebSocket('/ws/chat/general', ['chat.v1']);
      socket.onopen = () => {
        seen.push(`${sim.now} open ${socket.protocol}`);
        socket.send('hi');
        socket.send('slow');
      };
      socket.onmessage = (e) => {
        seen.push(`${sim.now} ${String(e.data)}`);
        if (e.data === 'late') socket.send('bye');
      };
      socket.onclose = (e) => seen.push(`${sim.now} close ${e.code}`);
      const refused = new env.WebSocket('/ws/elsewhere');
      refused.onclose = (e) => seen.push(`${sim.now} refused ${e.code}`);
    }, 0);
    await sim.run(2000);
    expect(seen).toEqual(['40 open chat.v1', '40 welcome to general', '40 refused 1006', '80 echo:hi', '380 late', '420 close 1005']);
    expect(events(sim).filter((e) => e.ev === 'server.log')).toMatchObject([{ msg: 'msw: no WebSocket handler for /ws/elsewhere' }]);
  });

  it('same seed → same trace hash across two runs', async () => {
    const run = async (seed: number) => {
      const { sim, env } = setup({
        seed,
        network: { link: { latency: { kind: 'uniform', min: 5, max: 80 }, loss: 0.1 }, requestTimeout: 1000 },
      });
      let n = 0;
      env.setInterval(() => {
        const path = ['/api/items/1', '/api/slow', '/api/stamp'][n++ % 3]!;
        env.fetch(path).then(
          (r) => r.text(),
          () => undefined,
        );
      }, 200);
      await sim.run(6000);
      return sim.trace.hash();
    };
    expect(await run(8)).toBe(await run(8));
    expect(await run(9)).not.toBe(await run(8));
  });
});

describe('both directions: an unmodified client against msw handlers', () => {
  it('node:http → bridge → simulated network → mswServer, delay() included', async () => {
    const sim = new Simulation({
      seed: 1,
      server: mswServer([
        mswHttp.get('http://lockstep.test/api/items/:id', async ({ params }) => {
          await delay(100);
          return HttpResponse.json({ id: params.id });
        }),
      ]),
    });
    bridge = routeThroughSimulation(sim, 'c1');
    const seen: unknown[] = [];
    await sim.withGlobals('c1', async () => {
      sim.at(0, 'c1', 'load', () => void httpJson('http://lockstep.test/api/items/9').then((r) => seen.push([sim.now, r.status, r.data])));
      await sim.run(1000);
    });
    expect(seen).toEqual([[140, 200, { id: '9' }]]);
  });
});

// The code samples of docs/adapters/msw.md, as they appear there (imports aside).
describe('docs/adapters/msw.md', () => {
  it('sample 1: msw handlers as the simulated server', async () => {
    const handlers = [
      mswHttp.get('/api/items/:id', ({ params }) => HttpResponse.json({ id: params.id })),
      mswHttp.post('/api/items', async ({ request }) => {
        await delay(500); // 500 ms of virtual time, on the server's clock
        return HttpResponse.json(await request.json(), { status: 201 });
      }),
    ];

    const sim = new Simulation({ seed: 1, server: mswServer(handlers) });
    const env = sim.env('c1');
    const seen: unknown[] = [];
    sim.at(0, 'c1', 'create an item', async () => {
      const res = await env.fetch('/api/items', { method: 'POST', body: JSON.stringify({ name: 'tea' }) });
      seen.push([sim.now, res.status, await res.json()]);
    });
    await sim.run(1000);

    expect(seen).toEqual([[540, 201, { name: 'tea' }]]); // 20 ms there, 500 ms delay(), 20 ms back
  });

  it('sample 2: an unmodified client through the simulated network, against msw handlers', async () => {
    // Client code as it is: node:http (what axios uses in Node), global timers and clock.
    function getJson(url: string): Promise<{ status: number; body: string }> {
      return new Promise((resolve, reject) => {
        http
          .get(url, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
    }
    function startPolling(log: string[]): void {
      setInterval(() => {
        getJson('http://lockstep.test/api/status').then(
          (r) => log.push(`${performance.now()} ${r.status} ${r.body}`),
          (e: NodeJS.ErrnoException) => log.push(`${performance.now()} ${e.code}`),
        );
      }, 1000);
    }

    async function simulate(seed: number) {
      const sim = new Simulation({
        seed,
        server: mswServer([mswHttp.get('/api/status', () => HttpResponse.json({ ok: true }))]),
        faults: [
          { kind: 'http-status', at: 1500, duration: 1000, status: 503 },
          { kind: 'client-offline', at: 3500, duration: 1000 },
        ],
      });
      const bridge = routeThroughSimulation(sim, 'c1');
      const log: string[] = [];
      try {
        await sim.withGlobals('c1', async () => {
          sim.at(0, 'c1', 'start the client', () => startPolling(log));
          await sim.run(5500);
        });
      } finally {
        bridge.close();
      }
      return { log, hash: sim.trace.hash() };
    }

    const first = await simulate(7);
    expect(first.log).toEqual(['1040 200 {"ok":true}', '2040 503 ', '3040 200 {"ok":true}', '4000 ENETUNREACH', '5040 200 {"ok":true}']);
    expect((await simulate(7)).hash).toBe(first.hash); // same seed, same trace
  });

  it('sample 3: ws.link() handlers', async () => {
    const chat = ws.link('ws://lockstep.test/chat');
    const handlers = [
      chat.addEventListener('connection', ({ client }) => {
        client.addEventListener('message', (event) => chat.broadcast(`${client.id}: ${String(event.data)}`));
      }),
    ];

    const sim = new Simulation({ seed: 1, server: mswServer(handlers), clients: ['c1', 'c2'] });
    const heard: string[] = [];
    for (const node of ['c1', 'c2']) {
      const env = sim.env(node);
      const socket = new env.WebSocket('/chat');
      socket.onmessage = (e) => heard.push(`${node} heard "${String(e.data)}" at ${sim.now}`);
      if (node === 'c1') socket.onopen = () => socket.send('hello');
    }
    await sim.run(1000);

    expect(heard).toEqual(['c1 heard "c1/ws#1: hello" at 80', 'c2 heard "c1/ws#1: hello" at 80']);
  });
});

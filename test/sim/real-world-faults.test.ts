import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { faultPlanArbitrary, realWorldFaultArbitraries } from '../../src/conformance/fault-arbitraries.js';
import { captivePortalPage } from '../../src/sim/faults/bad-body.js';
import { healAll } from '../../src/sim/faults/heal.js';
import type { FaultPlan } from '../../src/sim/faults/plan.js';
import { validateFaultPlan } from '../../src/sim/faults/validate.js';
import type { ServerFactory } from '../../src/sim/server-host.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';
import type { ServerSocket } from '../../src/sim/transport/server-socket.js';
import type { SimWebSocket } from '../../src/sim/transport/websocket.js';

// The real-world fault kinds (docs/fault-plan.md): which side sees what, when.
// Default link: 20 ms each way; closeTimeout 5000 ms.

interface World {
  sim: Simulation;
  /** `<t> <what>` lines from the server application. */
  server: string[];
  sockets: ServerSocket[];
  /** `<t> <what>` lines from client sockets and requests. */
  client: string[];
}

/** Server: `/ws` and `/other` accept WebSockets; HTTP `/inc` counts, `/count` reads the counter, anything else is 200 `{path}`. */
function world(faults: FaultPlan, opts: Partial<SimulationOptions> = {}): World {
  const w = { server: [], sockets: [], client: [] } as unknown as World;
  const factory: ServerFactory = (env) => {
    let count = 0;
    return {
      http(req) {
        w.server.push(`${env.now()} http ${req.method} ${req.path}`);
        if (req.path === '/inc') return jsonResponse(200, { count: ++count });
        if (req.path === '/count') return jsonResponse(200, { count });
        return jsonResponse(200, { path: req.path });
      },
      upgrade(req) {
        if (req.path !== '/ws' && req.path !== '/other') return 404;
      },
      connection(socket) {
        w.sockets.push(socket);
        w.server.push(`${env.now()} open ${socket.id}`);
        socket.on('message', (d) => w.server.push(`${env.now()} msg ${socket.id} ${String(d).slice(0, 12)}`));
        socket.on('close', (code, reason, clean) =>
          w.server.push(`${env.now()} close ${socket.id} ${code}${reason ? ` ${reason}` : ''} ${clean}`),
        );
      },
    };
  };
  w.sim = new Simulation({ seed: 3, server: factory, faults, ...opts });
  return w;
}

/** Opens a socket on `node` at `t`, logging its events; `reconnectAfter` reopens that long after each close. */
function connectAt(w: World, t: number, path = '/ws', node = 'c1', reconnectAfter?: number): { ws?: SimWebSocket } {
  const ref: { ws?: SimWebSocket } = {};
  const open = (): void => {
    const ws = new (w.sim.env(node).WebSocket)(path);
    ref.ws = ws;
    ws.onopen = () => w.client.push(`${w.sim.now} open ${ws.simId}`);
    ws.onmessage = (e) => w.client.push(`${w.sim.now} msg ${ws.simId} ${String(e.data).slice(0, 12)}`);
    ws.onerror = () => w.client.push(`${w.sim.now} error ${ws.simId}`);
    ws.onclose = (e) => {
      w.client.push(`${w.sim.now} close ${ws.simId} ${e.code}${e.reason ? ` ${e.reason}` : ''} ${e.wasClean}`);
      if (reconnectAfter !== undefined) w.sim.env(node).setTimeout(open, reconnectAfter);
    };
  };
  w.sim.at(t, node, 'connect', open);
  return ref;
}

/** Fetches `path` at `t`; logs `<t> res <path> <status> <retry-after> <content-type> <body>` or `<t> fail <path> <name>`. */
function fetchAt(w: World, t: number, path: string, node = 'c1'): void {
  w.sim.at(t, node, 'fetch', () => {
    w.sim
      .env(node)
      .fetch(path)
      .then(
        async (r) => {
          const body = await r.text();
          const ra = r.headers.get('retry-after');
          w.client.push(
            `${w.sim.now} res ${path} ${r.status}${ra ? ` retry-after=${ra}` : ''} ${r.headers.get('content-type')} ${body.slice(0, 15)}`,
          );
        },
        (e: Error) => w.client.push(`${w.sim.now} fail ${path} ${e.name} ${(e.cause as { code?: string } | undefined)?.code}`),
      );
  });
}

function events(sim: Simulation, ev: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === ev);
}
const strip = ({ seq: _s, ...rest }: TraceEvent) => rest;

describe('idle-timeout', () => {
  it('the intermediary tells the client (1006) and not the server, whose end is left half-open', async () => {
    const w = world([{ kind: 'idle-timeout', at: 0, idle: 5000 }]);
    const ref = connectAt(w, 0);
    w.sim.at(3000, 'c1', 'send', () => ref.ws!.send('ping'));
    w.sim.at(9000, 'server', 'send', () => w.sockets[0]!.send('late'));
    w.sim.at(10_000, 'server', 'close', () => w.sockets[0]!.close(1000));
    await w.sim.run(20_000);
    // The last frame arrived at 3020: the intermediary forgets the socket at 8020.
    expect(w.client).toEqual(['40 open c1/ws#1', '8020 error c1/ws#1', '8020 close c1/ws#1 1006 false']);
    expect(w.server).toEqual(['20 open c1/ws#1', '3020 msg c1/ws#1 ping', '15000 close c1/ws#1 1006 false']);
    expect(events(w.sim, 'ws.reset').map(strip)).toEqual([
      { t: 8020, ev: 'ws.reset', id: 'c1/ws#1', reason: 'idle-timeout (fault entry 0): no frame for 5000 ms', side: 'client' },
    ]);
    expect(events(w.sim, 'net.drop').map((e) => [e.t, e.envelope, e.reason])).toEqual([
      [9000, 'ws.frame', 'half-open'],
      [10_000, 'ws.close', 'half-open'],
    ]);
  });

  it('counts from the entry start for sockets already open, follows frames either way, and ends with its window', async () => {
    const w = world([
      { kind: 'idle-timeout', at: 1000, idle: 2000, node: 'c1', duration: 10_000 },
      { kind: 'idle-timeout', at: 0, idle: 500, duration: 400 },
    ]);
    connectAt(w, 0);
    w.sim.at(2500, 'server', 'send', () => w.sockets[0]!.send('push'));
    connectAt(w, 12_000, '/other');
    await w.sim.run(30_000);
    // Open since 40, idle clock from 1000; the push arrived at 2520: closed at 4520. The second
    // socket opens after the window: never closed. The 400 ms window closed nothing.
    expect(w.client).toEqual([
      '40 open c1/ws#1',
      '2520 msg c1/ws#1 push',
      '4520 error c1/ws#1',
      '4520 close c1/ws#1 1006 false',
      '12040 open c1/ws#2',
    ]);
    expect(events(w.sim, 'ws.reset')).toHaveLength(1);
  });
});

describe('server-close', () => {
  it('a clean closing handshake with the code and reason, on matching sockets only', async () => {
    const w = world([
      { kind: 'server-close', at: 1000, code: 4001, reason: 'kicked', path: '/ws' },
      { kind: 'server-close', at: 2000, code: 1001 },
    ]);
    connectAt(w, 0);
    connectAt(w, 0, '/other');
    await w.sim.run(5000);
    expect(w.client).toEqual(['40 open c1/ws#1', '40 open c1/ws#2', '1020 close c1/ws#1 4001 kicked true', '2020 close c1/ws#2 1001 true']);
    expect(w.server).toEqual(['20 open c1/ws#1', '20 open c1/ws#2', '1040 close c1/ws#1 4001 kicked true', '2040 close c1/ws#2 1001 true']);
    expect(events(w.sim, 'ws.closing').map(strip)).toEqual([
      { t: 1000, ev: 'ws.closing', code: 4001, entry: 0, id: 'c1/ws#1', reason: 'kicked', side: 'server' },
      { t: 2000, ev: 'ws.closing', code: 1001, entry: 1, id: 'c1/ws#2', side: 'server' },
    ]);
  });
});

describe('flapping', () => {
  it('drops every socket `after` ms after it opens, repeatedly, until the window ends', async () => {
    const w = world([{ kind: 'flapping', at: 0, duration: 10_000, after: 2000 }]);
    connectAt(w, 0, '/ws', 'c1', 1000);
    await w.sim.run(20_000);
    expect(w.client).toEqual([
      '40 open c1/ws#1',
      '2040 error c1/ws#1',
      '2040 close c1/ws#1 1006 false',
      '3080 open c1/ws#2',
      '5080 error c1/ws#2',
      '5080 close c1/ws#2 1006 false',
      '6120 open c1/ws#3',
      '8120 error c1/ws#3',
      '8120 close c1/ws#3 1006 false',
      // Opened at 9160: its drop (11160) falls after the window and is cancelled.
      '9160 open c1/ws#4',
    ]);
    expect(w.server.filter((l) => l.includes('close'))).toEqual([
      '2040 close c1/ws#1 1006 false',
      '5080 close c1/ws#2 1006 false',
      '8120 close c1/ws#3 1006 false',
    ]);
    expect(events(w.sim, 'ws.reset').map((e) => [e.t, e.id, e.reason])).toEqual([
      [2040, 'c1/ws#1', 'flapping (fault entry 0): dropped 2000 ms after opening'],
      [5080, 'c1/ws#2', 'flapping (fault entry 0): dropped 2000 ms after opening'],
      [8120, 'c1/ws#3', 'flapping (fault entry 0): dropped 2000 ms after opening'],
    ]);
  });
});

describe('request-reset, retry-after, bad-body', () => {
  it('request-reset: fetch rejects with a TypeError after one round trip; the server never sees the request', async () => {
    const w = world([{ kind: 'request-reset', at: 0, path: '/a', method: 'GET', count: 1 }]);
    fetchAt(w, 100, '/a');
    fetchAt(w, 200, '/a');
    await w.sim.run(1000);
    expect(w.client).toEqual(['140 fail /a TypeError ECONNRESET', '240 res /a 200 application/json {"path":"/a"}']);
    expect(w.server).toEqual(['220 http GET /a']);
    expect(events(w.sim, 'http.edge').map(strip)).toEqual([{ t: 120, ev: 'http.edge', entry: 0, id: 'c1/http#1', reset: true }]);
    expect(events(w.sim, 'http.fail').map((e) => [e.t, e.id, e.reason])).toEqual([[140, 'c1/http#1', 'reset']]);
  });

  it('retry-after: the edge answers 429 or 503 with Retry-After, inside its window only', async () => {
    const w = world([
      { kind: 'retry-after', at: 0, duration: 1000, status: 429, seconds: 30, path: '/api/*' },
      { kind: 'retry-after', at: 2000, duration: 1000, status: 503, seconds: 0 },
    ]);
    fetchAt(w, 100, '/api/x');
    fetchAt(w, 100, '/other');
    fetchAt(w, 1100, '/api/x');
    fetchAt(w, 2100, '/other');
    await w.sim.run(5000);
    expect(w.client).toEqual([
      '140 res /api/x 429 retry-after=30 null ',
      '140 res /other 200 application/json {"path":"/other',
      '1140 res /api/x 200 application/json {"path":"/api/x',
      '2140 res /other 503 retry-after=0 null ',
    ]);
    expect(w.server).toEqual(['120 http GET /other', '1120 http GET /api/x']);
    expect(events(w.sim, 'http.edge').map(strip)).toEqual([
      { t: 120, ev: 'http.edge', entry: 0, id: 'c1/http#1', retryAfter: 30, status: 429 },
      { t: 2120, ev: 'http.edge', entry: 1, id: 'c1/http#4', retryAfter: 0, status: 503 },
    ]);
    expect(events(w.sim, 'http.response').map((e) => [e.id, e.status, e.via])).toEqual([
      ['c1/http#1', 429, 'edge'],
      ['c1/http#2', 200, undefined],
      ['c1/http#3', 200, undefined],
      ['c1/http#4', 503, 'edge'],
    ]);
  });

  it('bad-body html: a captive portal answers 200 text/html; the server never sees the request; json() throws', async () => {
    const w = world([{ kind: 'bad-body', at: 0, body: 'html', count: 1 }]);
    let parse = '';
    w.sim.at(100, 'c1', 'fetch', () => {
      void w.sim
        .env('c1')
        .fetch('/inc')
        .then((r) => r.json())
        .catch((e: Error) => (parse = `${w.sim.now} ${e.name}`));
    });
    fetchAt(w, 200, '/count');
    await w.sim.run(1000);
    expect(parse).toBe('140 SyntaxError');
    expect(w.client).toEqual(['240 res /count 200 application/json {"count":0}']);
    expect(w.server).toEqual(['220 http GET /count']);
    expect(events(w.sim, 'http.edge').map(strip)).toEqual([
      { t: 120, ev: 'http.edge', body: 'html', entry: 0, id: 'c1/http#1', status: 200 },
    ]);
    expect(events(w.sim, 'http.response')[0]).toMatchObject({
      t: 140,
      status: 200,
      via: 'edge',
      bytes: Buffer.byteLength(captivePortalPage),
    });
  });

  it('bad-body truncated: the server acted; its body arrives cut in half with its status and headers', async () => {
    const w = world([{ kind: 'bad-body', at: 0, body: 'truncated', path: '/inc' }]);
    fetchAt(w, 100, '/inc');
    fetchAt(w, 200, '/count');
    await w.sim.run(1000);
    expect(w.client).toEqual(['140 res /inc 200 application/json {"cou', '240 res /count 200 application/json {"count":1}']);
    expect(w.server).toEqual(['120 http GET /inc', '220 http GET /count']);
    expect(events(w.sim, 'http.edge').map(strip)).toEqual([
      { t: 120, ev: 'http.edge', body: 'truncated', bytes: 5, entry: 0, id: 'c1/http#1', status: 200 },
    ]);
  });

  it('stand in front of http-status: retry-after answers first; bad-body truncated cuts what http-status answers', async () => {
    const w = world([
      { kind: 'http-status', at: 0, status: 500, path: '/a' },
      { kind: 'retry-after', at: 0, status: 503, seconds: 5, path: '/a' },
      { kind: 'http-status', at: 0, status: 502, path: '/b' },
      { kind: 'bad-body', at: 0, body: 'truncated', path: '/b' },
    ]);
    fetchAt(w, 100, '/a');
    fetchAt(w, 200, '/b');
    await w.sim.run(1000);
    expect(w.client).toEqual(['140 res /a 503 retry-after=5 null ', '240 res /b 502 null ']);
    expect(w.server).toEqual([]);
    expect(events(w.sim, 'http.edge').map(strip)).toEqual([
      { t: 120, ev: 'http.edge', entry: 1, id: 'c1/http#1', retryAfter: 5, status: 503 },
      { t: 220, ev: 'http.edge', entry: 2, id: 'c1/http#2', status: 502 },
      { t: 220, ev: 'http.edge', body: 'truncated', bytes: 0, entry: 3, id: 'c1/http#2', status: 502 },
    ]);
  });
});

describe('message-too-big', () => {
  const big = 'x'.repeat(200);

  it('to-server: the server refuses the frame and closes 1009; the client sees a clean close 1009', async () => {
    const w = world([{ kind: 'message-too-big', at: 0, limit: 100, direction: 'to-server' }]);
    const ref = connectAt(w, 0);
    w.sim.at(50, 'c1', 'small', () => ref.ws!.send('small'));
    w.sim.at(100, 'c1', 'big', () => ref.ws!.send(big));
    w.sim.at(100, 'server', 'big', () => w.sockets[0]!.send(big));
    await w.sim.run(1000);
    expect(w.server).toEqual(['20 open c1/ws#1', '70 msg c1/ws#1 small', '160 close c1/ws#1 1009 Message Too Big true']);
    expect(w.client).toEqual(['40 open c1/ws#1', '120 msg c1/ws#1 xxxxxxxxxxxx', '140 close c1/ws#1 1009 Message Too Big true']);
    expect(events(w.sim, 'net.drop').map(strip)).toEqual([
      {
        t: 120,
        ev: 'net.drop',
        dir: 'to-server',
        envelope: 'ws.frame',
        id: 'c1/ws#1',
        n: 1,
        reason: 'message-too-big (fault entry 0): 200 bytes > limit 100',
      },
    ]);
    expect(events(w.sim, 'ws.closing').map(strip)).toEqual([
      { t: 120, ev: 'ws.closing', bytes: 200, code: 1009, entry: 0, id: 'c1/ws#1', reason: 'Message Too Big', side: 'server' },
    ]);
  });

  it('to-client: the client implementation refuses it: error, then close 1009 once the server echoes', async () => {
    const w = world([{ kind: 'message-too-big', at: 0, limit: 100, direction: 'to-client' }]);
    const ref = connectAt(w, 0);
    w.sim.at(100, 'server', 'big', () => w.sockets[0]!.send(big));
    w.sim.at(100, 'c1', 'big', () => ref.ws!.send(big));
    await w.sim.run(1000);
    expect(w.client).toEqual(['40 open c1/ws#1', '160 error c1/ws#1', '160 close c1/ws#1 1009 Message Too Big true']);
    expect(w.server).toEqual(['20 open c1/ws#1', '120 msg c1/ws#1 xxxxxxxxxxxx', '140 close c1/ws#1 1009 Message Too Big true']);
    expect(events(w.sim, 'ws.closing').map((e) => [e.t, e.side, e.code, e.entry])).toEqual([[120, 'client', 1009, 0]]);
  });
});

describe('slow-consumer', () => {
  it('the server closes 1013 once its unread backlog exceeds the bound; the close queues behind the backlog', async () => {
    const w = world([
      { kind: 'delay-spike', at: 100, extra: 5000, direction: 'to-client' },
      { kind: 'slow-consumer', at: 0, backlog: 250 },
    ]);
    connectAt(w, 0);
    const frame = 'y'.repeat(100);
    for (const t of [200, 300, 400, 500]) w.sim.at(t, 'server', 'send', () => w.sockets[0]!.send(frame));
    await w.sim.run(20_000);
    // 300 unread bytes after the third send: the server starts closing at 400 (the fourth send is
    // discarded). No echo within closeTimeout: the server gives up at 5400; the client reads the
    // backlog, then the close frame.
    expect(w.server).toEqual(['20 open c1/ws#1', '5400 close c1/ws#1 1006 false']);
    expect(w.client).toEqual([
      '40 open c1/ws#1',
      '5220 msg c1/ws#1 yyyyyyyyyyyy',
      '5320 msg c1/ws#1 yyyyyyyyyyyy',
      '5420 msg c1/ws#1 yyyyyyyyyyyy',
      '5420 close c1/ws#1 1013 Try Again Later true',
    ]);
    expect(events(w.sim, 'ws.closing').map(strip)).toEqual([
      { t: 400, ev: 'ws.closing', backlog: 300, code: 1013, entry: 1, id: 'c1/ws#1', reason: 'Try Again Later', side: 'server' },
    ]);
    expect(events(w.sim, 'ws.discard').map((e) => [e.t, e.side])).toEqual([[500, 'server']]);
  });

  it('a suspended app builds a backlog too; a client that keeps up is never closed', async () => {
    const w = world([
      { kind: 'app-background', at: 1000, duration: 10_000, node: 'c1' },
      { kind: 'slow-consumer', at: 0, backlog: 1000 },
    ]);
    connectAt(w, 0);
    connectAt(w, 0, '/ws', 'c2');
    for (let t = 100; t < 5000; t += 100) w.sim.at(t, 'server', 'send', () => w.sockets.forEach((s) => s.send('z'.repeat(100))));
    await w.sim.run(20_000);
    const closing = events(w.sim, 'ws.closing');
    expect(closing.map((e) => [e.t, e.id, e.code, e.backlog])).toEqual([[2000, 'c1/ws#1', 1013, 1100]]);
  }, 10_000);
});

describe('heal lifts the real-world kinds', () => {
  it('a heal cancels pending flapping drops and idle timers and lifts edge rules', async () => {
    const w = world(
      [
        { kind: 'flapping', at: 0, duration: 100_000, after: 2000 },
        { kind: 'idle-timeout', at: 0, idle: 3000 },
        { kind: 'retry-after', at: 0, status: 503, seconds: 5 },
      ],
      { clients: ['c1'] },
    );
    connectAt(w, 0);
    w.sim.at(1000, 'sim', 'heal', () => healAll(w.sim));
    fetchAt(w, 1100, '/x');
    await w.sim.run(10_000);
    expect(w.client).toEqual(['40 open c1/ws#1', '1140 res /x 200 application/json {"path":"/x"}']);
  });
});

describe('realWorldFaultArbitraries', () => {
  it('draws valid entries of every real-world kind that a simulation runs', async () => {
    const arbs = realWorldFaultArbitraries(fc, { duration: 60_000, maxWindow: 30_000, node: fc.constantFrom(undefined, 'c1') });
    expect(arbs).toHaveLength(8);
    const plans = fc.sample(faultPlanArbitrary(fc, arbs, 60_000), { numRuns: 40, seed: 7 });
    const kinds = new Set(plans.flat().map((e) => e.kind));
    expect([...kinds].sort()).toEqual([
      'bad-body',
      'flapping',
      'idle-timeout',
      'message-too-big',
      'request-reset',
      'retry-after',
      'server-close',
      'slow-consumer',
    ]);
    for (const plan of plans) {
      const w = world(validateFaultPlan(plan));
      connectAt(w, 0, '/ws', 'c1', 1000);
      for (let t = 500; t < 60_000; t += 5000) fetchAt(w, t, '/inc');
      await w.sim.run(70_000);
      expect(w.sim.clientErrors).toEqual([]);
    }
  }, 30_000);
});

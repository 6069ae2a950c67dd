import { describe, expect, it } from 'vitest';
import type { ServerFactory } from '../../src/sim/server-host.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';
import type { ServerSocket } from '../../src/sim/transport/server-socket.js';
import type { SimWebSocket } from '../../src/sim/transport/websocket.js';

// Each fault kind does what DESIGN.md "Fidelity" says it means on a real network.
// Default link: 20 ms each way.

interface World {
  sim: Simulation;
  /** `<t> <what>` lines from the server application. */
  server: string[];
  sockets: ServerSocket[];
  /** `<t> <what>` lines from client sockets and requests. */
  client: string[];
  builds: number;
  recovers: number;
  ticks: number;
}

/**
 * Server: `/ws` and `/other` accept WebSockets (logging frames and closes); HTTP `/inc`
 * counts, `/count` reads the counter, anything else is 200 `{path}`. A server interval
 * counts `ticks` every 100 ms.
 */
function world(opts: Partial<SimulationOptions> = {}, withTicker = false): World {
  const w = { server: [], sockets: [], client: [], builds: 0, recovers: 0, ticks: 0 } as unknown as World;
  const factory: ServerFactory = (env) => {
    w.builds++;
    let count = 0;
    const tick = () => env.setInterval(() => w.ticks++, 100);
    if (withTicker) tick();
    return {
      recover() {
        w.recovers++;
        if (withTicker) tick();
      },
      http(req) {
        w.server.push(`${env.now()} http ${req.method} ${req.path}${req.duplicate ? ' dup' : ''}`);
        if (req.path === '/inc') return jsonResponse(200, { count: ++count });
        if (req.path === '/count') return jsonResponse(200, { count });
        if (req.path === '/slow') return new Promise((resolve) => env.setTimeout(() => resolve(jsonResponse(200, {})), 300));
        return jsonResponse(200, { path: req.path });
      },
      upgrade(req) {
        if (req.path !== '/ws' && req.path !== '/other') return 404;
      },
      connection(socket) {
        w.sockets.push(socket);
        w.server.push(`${env.now()} open ${socket.id}`);
        socket.on('message', (d) => w.server.push(`${env.now()} msg ${socket.id} ${String(d)}`));
        socket.on('close', (code, _reason, clean) => w.server.push(`${env.now()} close ${socket.id} ${code} ${clean}`));
      },
    };
  };
  w.sim = new Simulation({ seed: 3, server: factory, ...opts });
  return w;
}

/** Opens a socket on c1 at time `t` and logs its events into `w.client`. */
function connectAt(w: World, t: number, path = '/ws', node = 'c1'): { ws?: SimWebSocket } {
  const ref: { ws?: SimWebSocket } = {};
  w.sim.at(t, node, 'connect', () => {
    const ws = new (w.sim.env(node).WebSocket)(path);
    ref.ws = ws;
    ws.onopen = () => w.client.push(`${w.sim.now} open ${ws.simId}`);
    ws.onmessage = (e) => w.client.push(`${w.sim.now} msg ${ws.simId} ${String(e.data)}`);
    ws.onerror = () => w.client.push(`${w.sim.now} error ${ws.simId}`);
    ws.onclose = (e) => w.client.push(`${w.sim.now} close ${ws.simId} ${e.code} ${e.wasClean}`);
  });
  return ref;
}

/** Fetches `path` on `node` at time `t`; logs `<t> res <path> <status>` or `<t> fail <path> <name>`. */
function fetchAt(w: World, t: number, path: string, node = 'c1', init?: RequestInit): void {
  w.sim.at(t, node, 'fetch', () => {
    w.sim
      .env(node)
      .fetch(path, init)
      .then(
        (r) => w.client.push(`${w.sim.now} res ${path} ${r.status}`),
        (e: Error) => w.client.push(`${w.sim.now} fail ${path} ${e.name}`),
      );
  });
}

function events(sim: Simulation, ev: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === ev);
}

const seq = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('partition', () => {
  it('both ways: HTTP is lost; WebSocket frames stall and arrive once, in order, after the heal', async () => {
    const w = world({
      network: { requestTimeout: 2000 },
      faults: [{ kind: 'partition', at: 100, duration: 1000 }],
    });
    const ref = connectAt(w, 0);
    for (const [i, t] of [200, 300, 400].entries()) {
      w.sim.at(t, 'c1', 'send', () => ref.ws!.send(`up${i}`));
      w.sim.at(t, 'server', 'send', () => w.sockets[0]!.send(`down${i}`));
    }
    fetchAt(w, 500, '/lost');
    fetchAt(w, 1200, '/after');
    await w.sim.run(5000);
    expect(w.server).toEqual([
      '20 open c1/ws#1',
      '1120 msg c1/ws#1 up0',
      '1120 msg c1/ws#1 up1',
      '1120 msg c1/ws#1 up2',
      '1220 http GET /after',
    ]);
    expect(w.client).toEqual([
      '40 open c1/ws#1',
      '1120 msg c1/ws#1 down0',
      '1120 msg c1/ws#1 down1',
      '1120 msg c1/ws#1 down2',
      '1240 res /after 200',
      '2500 fail /lost TypeError',
    ]);
    expect(events(w.sim, 'net.drop').map((e) => [e.t, e.envelope, e.reason])).toEqual([[500, 'http.request', 'partition']]);
    expect(events(w.sim, 'net.dup')).toEqual([]);
    expect(events(w.sim, 'ws.recv')).toHaveLength(6);
  });

  it('one way to-server: client frames stall, server frames flow; requests are lost', async () => {
    const w = world({ faults: [{ kind: 'partition', at: 100, duration: 1000, direction: 'to-server' }] });
    const ref = connectAt(w, 0);
    w.sim.at(200, 'c1', 'send', () => ref.ws!.send('up'));
    w.sim.at(200, 'server', 'send', () => w.sockets[0]!.send('down'));
    fetchAt(w, 300, '/x');
    await w.sim.run(3000);
    expect(w.client.slice(0, 2)).toEqual(['40 open c1/ws#1', '220 msg c1/ws#1 down']);
    expect(w.server).toEqual(['20 open c1/ws#1', '1120 msg c1/ws#1 up']);
    expect(events(w.sim, 'net.drop').map((e) => [e.dir, e.envelope])).toEqual([['to-server', 'http.request']]);
  });

  it('one way to-client: the server acts on requests but the responses are lost', async () => {
    const w = world({ network: { requestTimeout: 1000 }, faults: [{ kind: 'partition', at: 0, duration: 2000, direction: 'to-client' }] });
    fetchAt(w, 10, '/inc');
    fetchAt(w, 2500, '/count');
    await w.sim.run(4000);
    expect(w.server).toEqual(['30 http GET /inc', '2520 http GET /count']);
    expect(w.client).toEqual(['1010 fail /inc TypeError', '2540 res /count 200']);
    expect(events(w.sim, 'net.drop').map((e) => [e.t, e.dir, e.envelope, e.reason])).toEqual([
      [30, 'to-client', 'http.response', 'partition'],
    ]);
  });

  it('a node partition leaves other clients alone', async () => {
    const w = world({ clients: ['c1', 'c2'], network: { requestTimeout: 1000 }, faults: [{ kind: 'partition', at: 0, node: 'c1' }] });
    fetchAt(w, 10, '/a', 'c1');
    fetchAt(w, 10, '/b', 'c2');
    await w.sim.run(2000);
    expect(w.client).toEqual(['50 res /b 200', '1010 fail /a TypeError']);
  });
});

describe('drop', () => {
  it('loses HTTP envelopes with the given rate, only inside its window', async () => {
    const w = world({ network: { requestTimeout: 1000 }, faults: [{ kind: 'drop', at: 0, duration: 10_000, rate: 0.5 }] });
    for (let i = 0; i < 100; i++) fetchAt(w, i * 50, `/r${i}`);
    for (let i = 0; i < 20; i++) fetchAt(w, 10_000 + i * 50, `/late${i}`);
    await w.sim.run(20_000);
    const drops = events(w.sim, 'net.drop');
    expect(drops.every((e) => e.reason === 'drop (fault entry 0)' && e.t < 10_000)).toBe(true);
    const ok = w.client.filter((l) => l.includes(' res /r')).length;
    const failed = w.client.filter((l) => l.includes(' fail /r')).length;
    expect(ok + failed).toBe(100);
    // Both directions are hit: a request survives with p=0.5, its response with p=0.5.
    expect(ok).toBeGreaterThan(10);
    expect(ok).toBeLessThan(45);
    expect(drops.some((e) => e.envelope === 'http.request')).toBe(true);
    expect(drops.some((e) => e.envelope === 'http.response')).toBe(true);
    expect(w.client.filter((l) => l.includes(' res /late')).length).toBe(20);
  });

  it('on a WebSocket delays frames by retransmission but never loses or reorders them', async () => {
    const w = world({ network: { retransmitTimeout: 100 }, faults: [{ kind: 'drop', at: 0, rate: 0.5 }] });
    const ref = connectAt(w, 0);
    const sentAt = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      w.sim.at(5000 + i * 500, 'c1', 'send', () => {
        sentAt.set(`up${i}`, w.sim.now);
        ref.ws!.send(`up${i}`);
      });
    }
    await w.sim.run(200_000);
    const got = w.server.filter((l) => l.includes(' msg '));
    expect(got.map((l) => l.split(' ').at(-1))).toEqual(seq(100, 'up'));
    const delays = got.map((l) => Number(l.split(' ')[0]) - sentAt.get(l.split(' ').at(-1)!)!);
    expect(Math.min(...delays)).toBe(20);
    expect(Math.max(...delays)).toBeGreaterThanOrEqual(320); // 100 + 200 ms: two retransmissions
    // Each delay is the latency plus k doubling retransmission timeouts, or the frame waited
    // behind the one before it (head-of-line) and arrived with it.
    const allowed = new Set(Array.from({ length: 9 }, (_, k) => 20 + (2 ** k - 1) * 100));
    const arrivals = got.map((l) => Number(l.split(' ')[0]));
    delays.forEach((d, i) => expect(allowed.has(d) || arrivals[i] === arrivals[i - 1]).toBe(true));
    expect(delays.filter((d) => d > 20).length).toBeGreaterThan(25);
    expect(delays.filter((d) => d === 20).length).toBeGreaterThan(25);
    expect(events(w.sim, 'net.drop').filter((e) => e.envelope !== 'http.request' && e.envelope !== 'http.response')).toEqual([]);
    expect(w.client.filter((l) => l.includes('close'))).toEqual([]);
  });
});

describe('delay-spike', () => {
  it('adds its extra delay to every delivery in its window and direction', async () => {
    const w = world({
      faults: [
        { kind: 'delay-spike', at: 1000, duration: 1000, extra: 500 },
        { kind: 'delay-spike', at: 3000, duration: 1000, extra: 300, direction: 'to-client' },
      ],
    });
    fetchAt(w, 0, '/before');
    fetchAt(w, 1000, '/during');
    fetchAt(w, 3000, '/oneway');
    fetchAt(w, 5000, '/after');
    const ref = connectAt(w, 0);
    w.sim.at(1100, 'c1', 'send', () => ref.ws!.send('spiked'));
    await w.sim.run(8000);
    expect(w.client.filter((l) => l.includes('res'))).toEqual([
      '40 res /before 200',
      '2040 res /during 200', // 520 out, and the response leaves at 1520, inside the window: 520 back
      '3340 res /oneway 200',
      '5040 res /after 200',
    ]);
    expect(w.server).toContain('1620 msg c1/ws#1 spiked');
  });
});

describe('duplicate', () => {
  it('duplicates HTTP requests only (never WebSocket frames or responses), inside its window', async () => {
    const w = world({ faults: [{ kind: 'duplicate', at: 0, duration: 1000, rate: 1 }] });
    const ref = connectAt(w, 0);
    w.sim.at(100, 'c1', 'send', () => ref.ws!.send('once'));
    fetchAt(w, 100, '/inc');
    fetchAt(w, 2000, '/inc');
    await w.sim.run(3000);
    expect(w.server).toEqual([
      '20 open c1/ws#1',
      '120 msg c1/ws#1 once',
      '120 http GET /inc',
      '140 http GET /inc dup',
      '2020 http GET /inc',
    ]);
    expect(w.client.filter((l) => l.includes('res'))).toEqual(['140 res /inc 200', '2040 res /inc 200']);
    expect(events(w.sim, 'net.dup').map((e) => e.envelope)).toEqual(['http.request']);
  });
});

describe('ws-refuse, ws-half-open, ws-reset', () => {
  it('ws-refuse refuses upgrades in its window (and on its path) with the status', async () => {
    const w = world({ faults: [{ kind: 'ws-refuse', at: 0, duration: 1000, status: 429, path: '/ws' }] });
    connectAt(w, 0, '/ws');
    connectAt(w, 0, '/other');
    connectAt(w, 1000, '/ws');
    await w.sim.run(2000);
    expect(w.client).toEqual(['40 error c1/ws#1', '40 close c1/ws#1 1006 false', '40 open c1/ws#2', '1040 open c1/ws#3']);
    expect(events(w.sim, 'ws.refuse').map((e) => [e.id, e.status])).toEqual([['c1/ws#1', 429]]);
  });

  it('ws-half-open to-server: the client’s frames vanish, the server’s still arrive, nobody is told', async () => {
    const w = world({ faults: [{ kind: 'ws-half-open', at: 100, direction: 'to-server' }] });
    const ref = connectAt(w, 0);
    w.sim.at(200, 'c1', 'send', () => ref.ws!.send('lost'));
    w.sim.at(200, 'server', 'send', () => w.sockets[0]!.send('arrives'));
    await w.sim.run(60_000);
    expect(w.client).toEqual(['40 open c1/ws#1', '220 msg c1/ws#1 arrives']);
    expect(w.server).toEqual(['20 open c1/ws#1']);
    expect(events(w.sim, 'net.drop').map((e) => [e.dir, e.reason])).toEqual([['to-server', 'half-open']]);
    expect(ref.ws!.readyState).toBe(1);
    expect(w.sockets[0]!.readyState).toBe(1);
  });

  it('ws-reset resets only matching live connections; both ends see 1006', async () => {
    const w = world({ clients: ['c1', 'c2'], faults: [{ kind: 'ws-reset', at: 100, path: '/ws', node: 'c1' }] });
    connectAt(w, 0, '/ws');
    connectAt(w, 0, '/other');
    connectAt(w, 0, '/ws', 'c2');
    const closedEarly = connectAt(w, 0, '/ws');
    w.sim.at(50, 'c1', 'close', () => closedEarly.ws!.close());
    await w.sim.run(1000);
    expect(w.client.filter((l) => l.includes('close') || l.includes('error'))).toEqual([
      '90 close c1/ws#3 1005 true',
      '100 error c1/ws#1',
      '100 close c1/ws#1 1006 false',
    ]);
    expect(w.server.filter((l) => l.includes('close'))).toEqual(['70 close c1/ws#3 1005 true', '100 close c1/ws#1 1006 false']);
    expect(events(w.sim, 'ws.reset').map((e) => e.id)).toEqual(['c1/ws#1']);
  });
});

describe('http-status and http-timeout', () => {
  it('match method and path; http-timeout request vs response phase differ in whether the server acted', async () => {
    const w = world({
      network: { requestTimeout: 1000 },
      faults: [
        { kind: 'http-status', at: 0, status: 500, method: 'POST' },
        { kind: 'http-timeout', at: 0, path: '/req', phase: 'request' },
        { kind: 'http-timeout', at: 0, path: '/resp', phase: 'response' },
      ],
    });
    fetchAt(w, 0, '/x', 'c1', { method: 'POST' });
    fetchAt(w, 0, '/req');
    fetchAt(w, 0, '/resp');
    fetchAt(w, 0, '/fine');
    await w.sim.run(3000);
    expect(w.server).toEqual(['20 http GET /resp', '20 http GET /fine']);
    expect(w.client).toEqual(['40 res /x 500', '40 res /fine 200', '1000 fail /req TypeError', '1000 fail /resp TypeError']);
  });
});

describe('server-restart', () => {
  it('crash (1006): sockets drop, refused while down, server timers cancelled, state kept and recover() called', async () => {
    const w = world({ network: { requestTimeout: 5000 }, faults: [{ kind: 'server-restart', at: 1000, downtime: 1000 }] }, true);
    connectAt(w, 0);
    fetchAt(w, 500, '/inc');
    connectAt(w, 1500); // refused while down
    fetchAt(w, 3000, '/count');
    connectAt(w, 3000);
    let ticksAtCrash = -1;
    let ticksAtUp = -1;
    w.sim.at(1000, 'sim', 'probe', () => (ticksAtCrash = w.ticks));
    w.sim.at(2000, 'sim', 'probe', () => (ticksAtUp = w.ticks));
    await w.sim.run(2500);
    const ticksAt2500 = w.ticks;
    await w.sim.run(1500);
    expect(w.client).toEqual([
      '40 open c1/ws#1',
      '540 res /inc 200',
      '1020 error c1/ws#1',
      '1020 close c1/ws#1 1006 false',
      '1540 error c1/ws#2',
      '1540 close c1/ws#2 1006 false',
      '3040 res /count 200',
      '3040 open c1/ws#3',
    ]);
    expect(events(w.sim, 'ws.fail').map((e) => [e.id, e.status])).toEqual([['c1/ws#2', 0]]);
    expect(w.builds).toBe(1);
    expect(w.recovers).toBe(1);
    // Timers died with the process: nothing ticked while down; recover() re-armed them.
    expect(ticksAtCrash).toBe(9);
    expect(ticksAtUp).toBe(9);
    expect(ticksAt2500).toBe(14);
    expect(w.sockets[0]!.readyState).toBe(3);
  });

  it('graceful (1012) with lost state: clients see a clean 1012, the app is rebuilt', async () => {
    const w = world({ faults: [{ kind: 'server-restart', at: 1000, downtime: 500, closeCode: 1012, state: 'lose' }] }, true);
    connectAt(w, 0);
    fetchAt(w, 500, '/inc');
    let countAfter = '';
    w.sim.at(2000, 'c1', 'fetch', () => {
      void w.sim
        .env('c1')
        .fetch('/count')
        .then(async (r) => (countAfter = await r.text()));
    });
    await w.sim.run(3000);
    expect(w.client.slice(0, 3)).toEqual(['40 open c1/ws#1', '540 res /inc 200', '1020 close c1/ws#1 1012 true']);
    expect(countAfter).toBe('{"count":0}');
    expect(w.builds).toBe(2);
    expect(w.recovers).toBe(0);
    expect(
      events(w.sim, 'ws.close')
        .filter((e) => e.side === 'client')
        .map((e) => e.reason),
    ).toEqual(['Service Restart']);
  });
});

describe('client-offline', () => {
  it('sockets close: the client sees 1006 at once, the server hears nothing; in-flight fetches fail; lifecycle events fire', async () => {
    const w = world({ faults: [{ kind: 'client-offline', at: 1000, duration: 2000 }] });
    const ref = connectAt(w, 0);
    const life: string[] = [];
    const env = w.sim.env('c1');
    env.lifecycle.addEventListener('offline', () => life.push(`${w.sim.now} offline ${env.isOnline()}`));
    env.lifecycle.addEventListener('online', () => life.push(`${w.sim.now} online ${env.isOnline()}`));
    fetchAt(w, 990, '/inflight');
    fetchAt(w, 1500, '/offline');
    await w.sim.run(5000);
    expect(w.client).toEqual([
      '40 open c1/ws#1',
      '1000 fail /inflight TypeError',
      '1000 error c1/ws#1',
      '1000 close c1/ws#1 1006 false',
      '1500 fail /offline TypeError',
    ]);
    expect(life).toEqual(['1000 offline false', '3000 online true']);
    expect(ref.ws!.readyState).toBe(3);
    // The request reached the server; its response was lost to the offline device.
    expect(w.server).toEqual(['20 open c1/ws#1', '1010 http GET /inflight']);
    expect(w.sockets[0]!.readyState).toBe(1);
  });

  it('sockets stall: nothing moves while offline, then frames arrive in order', async () => {
    const w = world({ faults: [{ kind: 'client-offline', at: 1000, duration: 2000, sockets: 'stall' }] });
    const ref = connectAt(w, 0);
    w.sim.at(1500, 'c1', 'send', () => ref.ws!.send('a'));
    w.sim.at(1600, 'c1', 'send', () => ref.ws!.send('b'));
    w.sim.at(1500, 'server', 'send', () => w.sockets[0]!.send('x'));
    await w.sim.run(5000);
    expect(w.client).toEqual(['40 open c1/ws#1', '3020 msg c1/ws#1 x']);
    expect(w.server).toEqual(['20 open c1/ws#1', '3020 msg c1/ws#1 a', '3020 msg c1/ws#1 b']);
  });
});

describe('app-background', () => {
  it('suspend: the client’s timers and deliveries wait for the foreground', async () => {
    const w = world({ faults: [{ kind: 'app-background', at: 500, duration: 5000 }] });
    const env = w.sim.env('c1');
    const fired: string[] = [];
    env.lifecycle.addEventListener('background', () => fired.push(`${w.sim.now} background ${env.isForeground()}`));
    env.lifecycle.addEventListener('foreground', () => fired.push(`${w.sim.now} foreground ${env.isForeground()}`));
    w.sim.at(0, 'c1', 'arm', () => {
      env.setTimeout(() => fired.push(`${w.sim.now} timeout 1000`), 1000);
      env.setTimeout(() => fired.push(`${w.sim.now} timeout 200`), 200);
      env.setTimeout(() => fired.push(`${w.sim.now} timeout 6000`), 6000);
    });
    connectAt(w, 0);
    w.sim.at(1000, 'server', 'push', () => w.sockets[0]!.send('while asleep'));
    await w.sim.run(10_000);
    expect(fired).toEqual(['200 timeout 200', '500 background false', '5500 timeout 1000', '5500 foreground true', '6000 timeout 6000']);
    expect(w.client).toEqual(['40 open c1/ws#1', '5500 msg c1/ws#1 while asleep']);
  });

  it('throttle: timers are aligned to throttleMs while in the background', async () => {
    const w = world({ faults: [{ kind: 'app-background', at: 1000, duration: 4000, timers: 'throttle', throttleMs: 1000 }] });
    const env = w.sim.env('c1');
    const fired: number[] = [];
    w.sim.at(0, 'c1', 'arm', () => env.setInterval(() => fired.push(w.sim.now), 300));
    await w.sim.run(6000);
    expect(fired.filter((t) => t <= 1000)).toEqual([300, 600, 900]);
    // In the background every firing lands on a multiple of 1000 ms.
    const background = fired.filter((t) => t > 1000 && t <= 5000);
    expect(background.length).toBeGreaterThan(0);
    expect(background.every((t) => t % 1000 === 0)).toBe(true);
    expect(background.length).toBeLessThanOrEqual(4);
    expect(fired.filter((t) => t > 5000).length).toBeGreaterThanOrEqual(3);
  });

  it('closeSocketsAfter: the OS closes the sockets; the server learns at once, the app when it runs again', async () => {
    const w = world({ faults: [{ kind: 'app-background', at: 1000, duration: 4000, closeSocketsAfter: 1000 }] });
    const ref = connectAt(w, 0);
    await w.sim.run(3000);
    expect(w.server).toEqual(['20 open c1/ws#1', '2020 close c1/ws#1 1006 false']);
    expect(ref.ws!.readyState).toBe(1); // the app is asleep: it has not been told yet
    await w.sim.run(3000);
    expect(w.client).toEqual(['40 open c1/ws#1', '5000 error c1/ws#1', '5000 close c1/ws#1 1006 false']);
  });
});

describe('hold and release', () => {
  it('a held WebSocket frame holds the frames behind it (TCP head-of-line)', async () => {
    const w = world({
      faults: [
        { kind: 'hold', at: 0, name: 'h', match: { envelope: 'ws.frame', direction: 'to-client', type: 'b' } },
        { kind: 'release', at: 1000, name: 'h' },
      ],
    });
    connectAt(w, 0);
    w.sim.at(100, 'server', 'send', () => {
      for (const type of ['a', 'b', 'c']) w.sockets[0]!.send(JSON.stringify({ type }));
    });
    w.sim.at(200, 'server', 'send', () => w.sockets[0]!.send(JSON.stringify({ type: 'd' })));
    await w.sim.run(3000);
    expect(w.client.map((l) => l.replace(/\{"type":"(\w)"\}/, '$1'))).toEqual([
      '40 open c1/ws#1',
      '120 msg c1/ws#1 a',
      '1020 msg c1/ws#1 b',
      '1020 msg c1/ws#1 c',
      '1020 msg c1/ws#1 d',
    ]);
    expect(events(w.sim, 'net.hold').map((e) => [e.t, e.n, e.name])).toEqual([[100, 1, 'h']]);
    expect(events(w.sim, 'net.release').map((e) => [e.t, e.n])).toEqual([[1000, 1]]);
  });

  it('a held HTTP response lets a later request overtake it', async () => {
    const w = world({
      faults: [{ kind: 'hold', at: 0, name: 'slow', match: { envelope: 'http.response', path: '/first' }, duration: 1000 }],
    });
    fetchAt(w, 0, '/first');
    fetchAt(w, 10, '/second');
    await w.sim.run(3000);
    // Caught when the server answered at 20, held for 1000 ms, then 20 ms on the wire.
    expect(w.client).toEqual(['50 res /second 200', '1040 res /first 200']);
  });

  it('a timed hold counts its duration from the moment it catches the envelope', async () => {
    const w = world({ faults: [{ kind: 'hold', at: 0, name: 'h', match: { envelope: 'ws.frame', contains: 'late' }, duration: 500 }] });
    const ref = connectAt(w, 0);
    w.sim.at(2000, 'c1', 'send', () => ref.ws!.send('late'));
    await w.sim.run(5000);
    expect(w.server).toEqual(['20 open c1/ws#1', '2520 msg c1/ws#1 late']);
    expect(events(w.sim, 'net.release').map((e) => e.t)).toEqual([2500]);
  });

  it('holds the nth match only', async () => {
    const w = world({
      faults: [
        { kind: 'hold', at: 0, name: 'h', match: { envelope: 'http.request', nth: 2 } },
        { kind: 'release', at: 500, name: 'h' },
      ],
    });
    for (const [i, t] of [0, 10, 20].entries()) fetchAt(w, t, `/r${i}`);
    await w.sim.run(2000);
    expect(w.client).toEqual(['40 res /r0 200', '60 res /r2 200', '540 res /r1 200']);
  });
});

describe('ws-intermediary (opt-in buggy proxy)', () => {
  it('drops single frames, traced as intermediary', async () => {
    const w = world({ faults: [{ kind: 'ws-intermediary', at: 100, duration: 1000, drop: 1 }] });
    const ref = connectAt(w, 0);
    w.sim.at(200, 'c1', 'send', () => ref.ws!.send('gone'));
    w.sim.at(2000, 'c1', 'send', () => ref.ws!.send('kept'));
    await w.sim.run(3000);
    expect(w.server).toEqual(['20 open c1/ws#1', '2020 msg c1/ws#1 kept']);
    const drops = events(w.sim, 'net.drop');
    expect(drops.map((e) => [e.envelope, e.intermediary, e.reason])).toEqual([['ws.frame', true, 'ws-intermediary (fault entry 0)']]);
    // The dropped frame did leave the client.
    expect(ref.ws!.bufferedAmount).toBe(0);
    expect(w.client).toEqual(['40 open c1/ws#1']);
  });

  it('duplicates single frames, traced as intermediary', async () => {
    const w = world({ faults: [{ kind: 'ws-intermediary', at: 100, duplicate: 1 }] });
    const ref = connectAt(w, 0);
    w.sim.at(200, 'c1', 'send', () => ref.ws!.send('twice'));
    w.sim.at(200, 'server', 'send', () => w.sockets[0]!.send('double'));
    await w.sim.run(3000);
    expect(w.server.filter((l) => l.includes('msg'))).toEqual(['220 msg c1/ws#1 twice', '220 msg c1/ws#1 twice']);
    expect(w.client.filter((l) => l.includes('msg'))).toEqual(['220 msg c1/ws#1 double', '220 msg c1/ws#1 double']);
    expect(events(w.sim, 'net.dup').map((e) => [e.dir, e.intermediary])).toEqual([
      ['to-server', true],
      ['to-client', true],
    ]);
    expect(ref.ws!.bufferedAmount).toBe(0);
  });

  it('reorders single frames, traced as intermediary', async () => {
    const w = world({ faults: [{ kind: 'ws-intermediary', at: 100, reorder: 0.5 }] });
    connectAt(w, 0);
    w.sim.at(200, 'server', 'send', () => {
      for (let i = 0; i < 20; i++) w.sockets[0]!.send(`m${i}`);
    });
    await w.sim.run(3000);
    const got = w.client.filter((l) => l.includes('msg')).map((l) => l.split(' ').at(-1)!);
    expect([...got].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(seq(20, 'm'));
    expect(got).not.toEqual(seq(20, 'm'));
    const reordered = events(w.sim, 'net.reorder');
    expect(reordered.length).toBeGreaterThan(0);
    expect(reordered.every((e) => e.intermediary === true)).toBe(true);
    // Every frame marked late arrives after at least one frame sent behind it.
    for (const e of reordered) {
      const name = `m${e.n as number}`;
      expect(got.indexOf(name)).toBeGreaterThan(got.findIndex((g) => Number(g.slice(1)) > (e.n as number)));
    }
  });
});

describe('app restart (sim.restartClient)', () => {
  it('kills timers, sockets and requests; storage survives; the server sees 1006; the old app stays inert', async () => {
    const w = world();
    const old = w.sim.env('c1');
    const heard: string[] = [];
    old.lifecycle.addEventListener('offline', () => heard.push('old offline'));
    w.sim.at(0, 'c1', 'setup', () => {
      old.storage.setItem('outbox', '["m1"]');
      old.setTimeout(() => heard.push('old timer'), 1000);
    });
    connectAt(w, 0);
    w.sim.at(500, 'sim', 'restart', () => w.sim.restartClient('c1'));
    await w.sim.run(600);
    const fresh = w.sim.env('c1');
    expect(fresh).not.toBe(old);
    expect(fresh.storage.getItem('outbox')).toBe('["m1"]');
    // Old code is inert: its timers and fetches never run, its sockets never connect.
    old.setTimeout(() => heard.push('old timer 2'), 10);
    void old.fetch('/x').then(() => heard.push('old fetch 2'));
    const zombie = new old.WebSocket('/ws');
    zombie.onopen = () => heard.push('zombie open');
    zombie.onclose = () => heard.push('zombie close');
    zombie.close();
    fetchAt(w, 700, '/fresh');
    await w.sim.run(5000);
    expect(heard).toEqual([]);
    expect(w.server).toEqual(['20 open c1/ws#1', '520 close c1/ws#1 1006 false', '720 http GET /fresh']);
    expect(w.client).toEqual(['40 open c1/ws#1', '740 res /fresh 200']);
    expect(zombie.readyState).toBe(0);
    // The idle check is not kept busy by the dead app's timers.
    await w.sim.runUntilIdle(w.sim.now + 1);
  });

  it('an old app’s lifecycle listeners and late responses do not reach it after a restart', async () => {
    const w = world({ faults: [{ kind: 'client-offline', at: 2000, duration: 100 }] });
    const old = w.sim.env('c1');
    const heard: string[] = [];
    old.lifecycle.addEventListener('offline', () => heard.push('old offline'));
    w.sim.at(0, 'c1', 'fetch', () => {
      // Answered 300 ms after it arrives: the response leaves at 320, after the restart.
      void old.fetch('/slow').then(() => heard.push('old fetch resolved'));
    });
    w.sim.at(100, 'sim', 'restart', () => w.sim.restartClient('c1'));
    await w.sim.run(1000);
    const fresh = w.sim.env('c1');
    fresh.lifecycle.addEventListener('offline', () => heard.push(`new offline ${w.sim.now}`));
    await w.sim.run(2000);
    expect(heard).toEqual(['new offline 2000']);
    expect(events(w.sim, 'http.discard').map((e) => [e.t, e.reason])).toEqual([[340, 'the app that sent it was restarted']]);
  });
});

describe('latency distributions', () => {
  /** One-way client→server delays of `n` requests, 100 sent at once every second. */
  async function oneWay(network: SimulationOptions['network'], n = 300): Promise<number[]> {
    const w = world({ network });
    const sentAt = (i: number) => Math.floor(i / 100) * 1000;
    for (let i = 0; i < n; i++) fetchAt(w, sentAt(i), `/l${i}`);
    await w.sim.run(10_000);
    return events(w.sim, 'http.serve').map((e) => e.t - sentAt(Number((e.path as string).slice(2))));
  }

  it('fixed: every envelope takes exactly the latency', async () => {
    expect(new Set(await oneWay({ link: { latency: 35 } }, 20))).toEqual(new Set([35]));
    expect(new Set(await oneWay({ link: { latency: { kind: 'fixed', ms: 12 } } }, 20))).toEqual(new Set([12]));
  });

  it('uniform: spread over [min, max]', async () => {
    const d = await oneWay({ link: { latency: { kind: 'uniform', min: 10, max: 90 } } });
    expect(Math.min(...d)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...d)).toBeLessThanOrEqual(90);
    expect(Math.min(...d)).toBeLessThan(15);
    expect(Math.max(...d)).toBeGreaterThan(85);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    expect(Math.abs(mean - 50)).toBeLessThan(6);
  });

  it('lognormal: clustered near the median with a tail, capped at max', async () => {
    const d = (await oneWay({ link: { latency: { kind: 'lognormal', median: 40, sigma: 0.6, max: 100 } } }, 400)).sort((a, b) => a - b);
    const median = d[Math.floor(d.length / 2)]!;
    expect(median).toBeGreaterThan(34);
    expect(median).toBeLessThan(46);
    expect(d.at(-1)).toBe(100); // the cap is hit
    expect(d.filter((x) => x === 100).length).toBeGreaterThan(1);
    expect(d[0]!).toBeLessThan(20);
    expect(d[0]!).toBeGreaterThan(0);
  });

  it('bandwidth: serialization delay queues envelopes behind each other', async () => {
    const w = world({ network: { toServer: { bandwidth: 10_000 } } });
    const body = 'x'.repeat(800); // + 200 bytes of request line and headers = 1000 bytes = 100 ms
    for (let i = 0; i < 3; i++) fetchAt(w, 0, `/b${i}`, 'c1', { method: 'POST', body });
    await w.sim.run(1000);
    expect(events(w.sim, 'http.serve').map((e) => e.t)).toEqual([120, 220, 320]);
    expect(w.client).toEqual(['140 res /b0 200', '240 res /b1 200', '340 res /b2 200']);
  });

  it('bandwidth on a WebSocket: frames queue and bufferedAmount drains as they leave', async () => {
    const w = world({ network: { toServer: { bandwidth: 1000 } } });
    const ref = connectAt(w, 0);
    await w.sim.run(1000); // the 200-byte upgrade took a while
    const t0 = w.sim.now;
    // The 221-byte upgrade took 221 ms to serialize: open at 221 + 20 + 20.
    expect(w.client).toEqual(['261 open c1/ws#1']);
    const ws = ref.ws!;
    for (const c of 'abc') ws.send(c.repeat(100));
    const seen: number[] = [];
    for (const dt of [0, 50, 100, 150, 200, 250, 300]) w.sim.at(t0 + dt, 'sim', 'probe', () => seen.push(ws.bufferedAmount));
    await w.sim.run(1000);
    expect(seen).toEqual([300, 300, 200, 200, 100, 100, 0]);
    expect(w.server.filter((l) => l.includes('msg')).map((l) => Number(l.split(' ')[0]) - t0)).toEqual([120, 220, 320]);
  });
});

describe('determinism', () => {
  /** A busy run: jittery lossy link, every kind of windowed fault, traffic both ways. */
  async function busy(seed: number): Promise<string> {
    const w = world({
      seed,
      network: { link: { latency: { kind: 'lognormal', median: 30, sigma: 0.5, max: 300 }, loss: 0.1, duplicate: 0.1, reorder: 0.1 } },
      faults: [
        { kind: 'partition', at: 300, duration: 400 },
        { kind: 'drop', at: 800, duration: 500, rate: 0.3 },
        { kind: 'ws-intermediary', at: 1500, duration: 500, duplicate: 0.2, reorder: 0.2, drop: 0.2 },
      ],
    });
    const ref = connectAt(w, 0);
    for (let i = 0; i < 40; i++) {
      fetchAt(w, i * 50 + 5, `/r${i}`);
      w.sim.at(i * 50 + 7, 'c1', 'send', () => ref.ws?.readyState === 1 && ref.ws.send(`u${i}`));
      w.sim.at(i * 50 + 9, 'server', 'send', () => w.sockets[0]?.send(`d${i}`));
    }
    await w.sim.run(120_000);
    return w.sim.trace.hash();
  }

  it('the same seed gives the same trace bytes; another seed a different trace', async () => {
    const a = await busy(99);
    expect(await busy(99)).toBe(a);
    expect(await busy(100)).not.toBe(a);
  });
});

describe('server-restart during another restart’s downtime', () => {
  it('starts the downtime over: the server comes back once, after the later downtime, and recovers once', async () => {
    const { Simulation } = await import('../../src/sim/simulation.js');
    let recovered = 0;
    const sim = new Simulation({
      seed: 1,
      faults: [
        { kind: 'server-restart', at: 1000, downtime: 3000, state: 'keep' },
        { kind: 'server-restart', at: 2000, downtime: 3000, state: 'keep' },
      ],
      server: () => ({ http: () => ({ status: 200 }), recover: () => void recovered++ }),
    });
    await sim.run(10_000);
    const ups = sim.trace.events().filter((e) => e.ev === 'server.up');
    expect(ups.map((e) => e.t)).toEqual([5000]);
    expect(recovered).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { installRoutedGlobals, type GlobalsRouter } from '../../src/sim/routed-globals.js';
import { defaultStartTime, Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';

// The `--globals` router (src/sim/routed-globals.ts) and its browser profile
// (src/sim/browser-profile.ts), installed as the conformance runner installs them.

const server: SimulationOptions['server'] = (env) => ({
  http: (req) => jsonResponse(200, { path: req.path, serverNow: env.Date.now() }),
  connection: (s) => s.on('message', (d) => s.send(`echo:${String(d)}`)),
});

/** A simulation with the router in place; `done()` restores every global. */
function routed(opts: Partial<SimulationOptions> = {}): { sim: Simulation; router: GlobalsRouter; done: () => void } {
  const sim = new Simulation({ seed: 3, server, clients: ['c1', 'c2'], ...opts });
  const restoreKernel = sim.installGlobals(sim.clientNames()[0]);
  const router = installRoutedGlobals(sim);
  return {
    sim,
    router,
    done: () => {
      router.restore();
      restoreKernel();
    },
  };
}

const hour = 3_600_000;

describe('the globals router', () => {
  it('resumes an awaited fetch in the node that started it, with that node’s Date', async () => {
    const { sim, router, done } = routed({ clock: { nodes: { c2: { skew: hour } } } });
    const seen: string[] = [];
    try {
      for (const node of ['c1', 'c2'])
        router.enter(node, () =>
          setTimeout(async () => {
            const r = await fetch('/api/whoami');
            const body = (await r.json()) as { path: string };
            // Whichever node's delivery ran last, this continuation is the starter's.
            seen.push(`${node}: running as ${router.currentNode()}, ${body.path}, clock +${Date.now() - defaultStartTime - performance.now()}`);
          }, 100),
        );
      await sim.run(1000);
    } finally {
      done();
    }
    expect(seen.sort()).toEqual([`c1: running as c1, /api/whoami, clock +0`, `c2: running as c2, /api/whoami, clock +${hour}`]);
    expect(sim.trace.events().filter((e) => e.ev === 'http.request').map((e) => e.node)).toEqual(['c1', 'c2']);
  });

  it('serves each node’s timers its own Date and its own seeded Math.random stream', async () => {
    /** c2's draws, with or without c1 drawing first: the streams must not share state. */
    const drawsOfC2 = async (c1Draws: number): Promise<{ c2: number[]; c1: number[]; dates: number[]; random: unknown[] }> => {
      const { sim, router, done } = routed({ clock: { nodes: { c2: { skew: -5000 } } } });
      const out = { c2: [] as number[], c1: [] as number[], dates: [] as number[], random: [] as unknown[] };
      try {
        router.enter('c1', () => setTimeout(() => out.c1.push(...Array.from({ length: c1Draws }, () => Math.random())), 10));
        router.enter('c2', () =>
          setTimeout(() => {
            out.c2.push(Math.random(), Math.random(), Math.random());
            out.dates.push(Date.now(), new Date().getTime());
          }, 20),
        );
        await sim.run(100);
      } finally {
        done();
      }
      out.random = sim.trace.events().filter((e) => e.ev === 'client.random').map((e) => ({ t: e.t, node: e.node, draws: e.draws }));
      return out;
    };
    const alone = await drawsOfC2(0);
    const after = await drawsOfC2(4);
    expect(after.c2).toEqual(alone.c2);
    expect(after.c1).toHaveLength(4);
    expect(after.c1.slice(0, 3)).not.toEqual(after.c2);
    expect(alone.dates).toEqual([defaultStartTime + 20 - 5000, defaultStartTime + 20 - 5000]);
    expect(after.random).toEqual([
      { t: 10, node: 'c1', draws: 4 },
      { t: 20, node: 'c2', draws: 3 },
    ]);
  });

  it('gives an app restarted on a node a new world: the old timers and listeners are dead, storage stays, the session does not', async () => {
    const { sim, router, done } = routed({ faults: [{ kind: 'client-offline', node: 'c1', at: 2000, duration: 500 }] });
    const fired: string[] = [];
    try {
      router.enter('c1', () => {
        localStorage.setItem('token', 'kept');
        sessionStorage.setItem('draft', 'lost');
        setTimeout(() => fired.push('old timer'), 1500);
        addEventListener('offline', () => fired.push('old offline listener'));
      });
      await sim.run(1000);
      sim.restartClient('c1');
      router.enter('c1', () => {
        fired.push(`new app: token=${localStorage.getItem('token')} draft=${sessionStorage.getItem('draft')}`);
        setTimeout(() => fired.push(`new timer at ${performance.now()}`), 500);
        addEventListener('offline', () => fired.push(`new offline listener, onLine=${navigator.onLine}`));
      });
      // c2 has its own session, also while c1's is alive.
      router.enter('c2', () => fired.push(`c2: token=${localStorage.getItem('token')} draft=${sessionStorage.getItem('draft')}`));
      await sim.run(2000);
    } finally {
      done();
    }
    expect(fired).toEqual(['new app: token=kept draft=null', 'c2: token=null draft=null', 'new timer at 1500', 'new offline listener, onLine=false']);
  });
});

describe('the browser profile', () => {
  it('localStorage and sessionStorage follow the Web Storage API, values as strings', async () => {
    const { sim, router, done } = routed();
    try {
      router.enter('c1', () => {
        for (const s of [localStorage, sessionStorage]) {
          expect(s.length).toBe(0);
          expect(s.getItem('missing')).toBeNull();
          expect(s.key(0)).toBeNull();
          s.setItem('n', 42 as unknown as string);
          s.setItem('o', { a: 1 } as unknown as string);
          s.setItem('b', null as unknown as string);
          expect([s.getItem('n'), s.getItem('o'), s.getItem('b')]).toEqual(['42', '[object Object]', 'null']);
          s.setItem('n', '43');
          expect(s.length).toBe(3);
          expect([0, 1, 2].map((i) => s.key(i)).sort()).toEqual(['b', 'n', 'o']);
          expect(s.key(3)).toBeNull();
          s.removeItem('o');
          s.removeItem('never-set');
          expect(s.length).toBe(2);
          // Named access, as browsers allow it.
          (s as unknown as Record<string, unknown>).token = 7;
          expect(s.getItem('token')).toBe('7');
          expect('token' in s).toBe(true);
          expect(Object.keys(s).sort()).toEqual(['b', 'n', 'token']);
          delete (s as unknown as Record<string, unknown>).token;
          expect(s.getItem('token')).toBeNull();
          s.clear();
          expect(s.length).toBe(0);
        }
        localStorage.setItem('persisted', 'yes');
      });
    } finally {
      done();
    }
    // localStorage is the node's storage: traced, and there for the next app instance.
    expect(sim.node('c1').storage.getItem('persisted')).toBe('yes');
    expect(sim.trace.events().filter((e) => e.ev === 'storage.set' && e.key === 'persisted')).toMatchObject([{ node: 'c1', value: 'yes' }]);
    expect(sim.node('c2').storage.getItem('persisted')).toBeNull();
  });

  it('navigator.onLine with online/offline events on window, per node', async () => {
    const { sim, router, done } = routed({ faults: [{ kind: 'client-offline', node: 'c2', at: 1000, duration: 2000 }] });
    const seen: string[] = [];
    try {
      for (const node of ['c1', 'c2'])
        router.enter(node, () => {
          seen.push(`${node} at start: onLine=${navigator.onLine}`);
          window.addEventListener('offline', (e) => seen.push(`${node} ${e.type} at ${performance.now()}: onLine=${navigator.onLine}`));
          addEventListener('online', (e) => seen.push(`${node} ${e.type} at ${performance.now()}: onLine=${navigator.onLine}`));
        });
      await sim.run(5000);
    } finally {
      done();
    }
    expect(seen).toEqual(['c1 at start: onLine=true', 'c2 at start: onLine=true', 'c2 offline at 1000: onLine=false', 'c2 online at 3000: onLine=true']);
  });

  it.each(['suspend', 'throttle'] as const)('document.visibilityState and visibilitychange follow app-background (timers: %s), on document and window', async (timers) => {
    const { sim, router, done } = routed({ faults: [{ kind: 'app-background', node: 'c1', at: 1000, duration: 2000, timers }] });
    const seen: string[] = [];
    try {
      router.enter('c1', () => {
        seen.push(`start: ${document.visibilityState} hidden=${document.hidden}`);
        document.addEventListener('visibilitychange', () => seen.push(`document at ${performance.now()}: ${document.visibilityState} hidden=${document.hidden}`));
        window.addEventListener('visibilitychange', () => seen.push(`window: ${document.visibilityState}`));
      });
      router.enter('c2', () => document.addEventListener('visibilitychange', () => seen.push('c2 must not hear c1’s')));
      await sim.run(5000);
    } finally {
      done();
    }
    expect(seen).toEqual(['start: visible hidden=false', 'document at 1000: hidden hidden=true', 'window: hidden', 'document at 3000: visible hidden=false', 'window: visible']);
  });

  it('location is the simulated server’s origin, and relative URLs built from it reach the server', async () => {
    const { sim, router, done } = routed();
    let body: unknown;
    try {
      router.enter('c1', () => {
        expect(location.origin).toBe(sim.origin.origin);
        expect(location.href).toBe(`${sim.origin.origin}/`);
        expect([location.protocol, location.host, location.pathname, String(location)]).toEqual([sim.origin.protocol, sim.origin.host, '/', `${sim.origin.origin}/`]);
        void fetch(new URL('/api/items?x=1', location.href)).then(async (r) => (body = await r.json()));
      });
      await sim.run(1000);
    } finally {
      done();
    }
    expect(body).toMatchObject({ path: '/api/items' });
  });

  it('restores every global it put in place', () => {
    const g = globalThis as Record<string, unknown>;
    const keys = ['window', 'self', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage', 'addEventListener', 'Date', 'fetch', 'setTimeout'];
    const before = keys.map((k) => Object.getOwnPropertyDescriptor(g, k));
    const random = Math.random;
    const uuid = crypto.randomUUID;
    const { router, done } = routed();
    router.enter('c2', () => expect(typeof localStorage.getItem).toBe('function'));
    done();
    expect(keys.map((k) => Object.getOwnPropertyDescriptor(g, k))).toEqual(before);
    expect(Math.random).toBe(random);
    expect(crypto.randomUUID).toBe(uuid);
  });
});

// The wall clock first: nothing may install simulated globals before it is captured.
import { wallNow } from './lib/wall-clock.js';
import FakeTimers from '@sinonjs/fake-timers';
import { installFakeClock, jsonResponse, Simulation } from '../src/sim/index.js';
import { bareEnv, BareScheduler, type BareEnv } from './lib/bare.js';
import { median } from './lib/stats.js';

/**
 * `npx tsx bench/fake-timers-clock.ts`: should a simulation run on a team's installed
 * fake clock (@sinonjs/fake-timers, which `vi.useFakeTimers()` is), or should lockstep's
 * own clock offer that API (`installFakeClock`)? Both are measured on the poll-hour
 * workload of bench/workloads/poll-hour.ts (one simulated hour: a fetch + json poll every
 * 3 s, a refused WebSocket retried every 60 s), driven the way a fake-timers test drives it,
 * one `tickAsync(hour)`:
 *
 * - kernel: the simulation on its own queue, client on `env` (`sim.run(hour)`);
 * - kernel, fake-clock API: the same with installed globals, `installFakeClock(sim).tickAsync(hour)`;
 * - bare on own heap: bench/lib/bare.ts's world (the least machinery: no trace, no link
 *   model) on its binary heap;
 * - bare on fake-timers: the same world with @sinonjs/fake-timers as its event queue,
 *   `clock.tickAsync(hour)` — what "the simulation runs on the installed fake clock" costs
 *   at the very least, before any of the kernel's work is added.
 *
 * BENCH_RUNS (default 7) timed runs of each after 3 warm-ups, alternating; medians printed.
 */

const HOUR = 3_600_000;
const messages = Array.from({ length: 5 }, (_, i) => ({ id: `m${i + 1}`, text: `message number ${i + 1}` }));

interface Counts {
  polls: number;
  wsAttempts: number;
}

/** The poll-hour client (bench/workloads/poll-hour.ts), on whatever world it is given. */
function startClient(env: Pick<BareEnv, 'setInterval' | 'setTimeout'> & { fetch(url: string): Promise<{ json(): Promise<unknown> }>; WebSocket: new (url: string) => { onclose: ((ev: unknown) => unknown) | null } }): Counts {
  const c: Counts = { polls: 0, wsAttempts: 0 };
  env.setInterval(() => {
    void env.fetch('/api/messages?conversation=conv-1').then(async (r) => {
      await r.json();
      c.polls++;
    });
  }, 3000);
  const connect = (): void => {
    c.wsAttempts++;
    const ws = new env.WebSocket('/ws/conversations/conv-1');
    ws.onclose = () => void env.setTimeout(connect, 60_000);
  };
  connect();
  return c;
}

const kernelServer = () => ({
  http: (req: { path: string }) => (req.path === '/api/messages' ? jsonResponse(200, { messages }) : { status: 404 }),
  connection: () => {},
});

const impls: Record<string, () => Promise<Counts>> = {
  async kernel() {
    const sim = new Simulation({ seed: 1, server: kernelServer, faults: [{ kind: 'ws-refuse', at: 0, status: 503 }] });
    const c = startClient(sim.env('c1') as never);
    await sim.run(HOUR);
    return c;
  },
  async 'kernel, fake-clock API'() {
    const sim = new Simulation({ seed: 1, server: kernelServer, faults: [{ kind: 'ws-refuse', at: 0, status: 503 }] });
    const clock = installFakeClock(sim);
    try {
      const c = startClient(globalThis as never);
      await clock.tickAsync(HOUR);
      return c;
    } finally {
      clock.uninstall();
    }
  },
  async 'bare on own heap'() {
    const s = new BareScheduler();
    const c = startClient(bareWorld(s));
    await s.runUntil(HOUR);
    return c;
  },
  async 'bare on fake-timers'() {
    const clock = FakeTimers.withGlobal(globalThis).createClock(0, 1_000_000);
    // bare.ts's world only needs schedule/scheduleAt/now from its queue: here fake-timers is the queue.
    const queue = {
      get now() {
        return clock.now;
      },
      scheduleAt(at: number, fn: () => void) {
        return queue.schedule(at - clock.now, fn);
      },
      schedule(delay: number, fn: () => void) {
        const task = { cancelled: false };
        clock.setTimeout(() => task.cancelled || fn(), Math.max(0, delay));
        return task;
      },
    };
    const c = startClient(bareWorld(queue as unknown as BareScheduler));
    await clock.tickAsync(HOUR);
    return c;
  },
};

function bareWorld(s: BareScheduler): BareEnv {
  return bareEnv(s, {
    http: (req) => (req.path === '/api/messages' ? { status: 200, body: JSON.stringify({ messages }) } : { status: 404, body: '' }),
    upgrade: () => 503,
  });
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const times = new Map<string, number[]>(Object.keys(impls).map((k) => [k, []]));
  for (let round = -3; round < runs; round++) {
    for (const [name, run] of Object.entries(impls)) {
      const t = wallNow();
      const c = await run();
      const ms = wallNow() - t;
      // Every world must do the whole hour's work, or its time means nothing.
      if (c.polls < 1195 || c.wsAttempts < 55) throw new Error(`${name}: only ${c.polls} polls and ${c.wsAttempts} WebSocket attempts in the hour`);
      if (round >= 0) times.get(name)!.push(ms);
    }
  }
  const kernel = median(times.get('kernel')!);
  console.log(`poll-hour, one tickAsync(1 h); median of ${runs} runs (wall ms), Node ${process.version}`);
  for (const [name, ms] of times) {
    const m = median(ms);
    console.log(`  ${name.padEnd(24)} ${m.toFixed(1).padStart(8)} ms   ${(HOUR / m).toFixed(0).padStart(7)}× real time   ${(m / kernel).toFixed(2)}× kernel`);
  }
}

await main();

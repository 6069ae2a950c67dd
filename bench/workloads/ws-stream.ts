import { Simulation } from '../../src/sim/index.js';
import { bareEnv, BareScheduler, bareTimers } from '../lib/bare.js';
import { countsLine, fmt, kbToMb, median, spread, traceLine } from '../lib/stats.js';
import type { Figure, MemoryResult, RunOutcome, Workload } from '../lib/types.js';

/**
 * (b, c) 50,000 WebSocket frames server → client: on connection the server sends
 * `{"type":"event","i":n}` frames in chunks of 1,000 per server timer tick (4 ms apart);
 * the client parses each one with `JSON.parse` in `onmessage` and counts them.
 *
 * Chunks rather than one burst: on the default link (unlimited bandwidth) a single burst
 * of 50,000 frames arrives at one virtual instant and trips the kernel's zero-delay-loop
 * guard (`guards.sameInstantLimit`, 20,000 events per instant) after 19,999 frames.
 */

export const FRAMES = 50_000;
const CHUNK = 1_000;
/** ms between chunks: the kernel clamps nested timers to ≥ 4 ms (HTML rules), so the baseline uses 4 ms too. */
const TICK = 4;
const HORIZON = 600_000;

interface MiniSocket {
  onmessage: ((ev: any) => unknown) | null;
}
interface StreamEnv {
  WebSocket: new (url: string) => MiniSocket;
}
interface ServerSide {
  setTimeout(fn: () => void, ms: number): unknown;
}

/** The server: a burst of frames, CHUNK per timer tick. */
function streamTo(socket: { send(data: string): void }, timers: ServerSide): void {
  let i = 0;
  const tick = (): void => {
    const end = Math.min(i + CHUNK, FRAMES);
    for (; i < end; i++) socket.send(JSON.stringify({ type: 'event', i }));
    if (i < FRAMES) timers.setTimeout(tick, TICK);
  };
  tick();
}

/** The client: parse and count. The same code runs on the kernel and on the baseline. */
function startClient(env: StreamEnv): { frames: number; sum: number } {
  const stats = { frames: 0, sum: 0 };
  const ws = new env.WebSocket('/ws/events');
  ws.onmessage = (e: { data: string }) => {
    const m = JSON.parse(e.data) as { type: string; i: number };
    if (m.type === 'event') {
      stats.frames++;
      stats.sum += m.i;
    }
  };
  return stats;
}

async function kernel(): Promise<RunOutcome> {
  const sim = new Simulation({
    seed: 1,
    server: (env) => ({ connection: (socket) => streamTo(socket, env) }),
  });
  const stats = startClient(sim.env('c1'));
  await sim.runUntilIdle(HORIZON);
  return {
    simMs: sim.now,
    events: sim.scheduler.executed,
    trace: () => ({ length: sim.trace.length, hash: sim.trace.hash() }),
    counts: { ...stats },
  };
}

async function baseline(): Promise<RunOutcome> {
  const s = new BareScheduler();
  const serverTimers = bareTimers(s);
  const env = bareEnv(s, { connection: (socket) => streamTo(socket, serverTimers) });
  const stats = startClient(env);
  await s.runUntil(Infinity);
  return { simMs: s.now, events: s.executed, counts: { ...stats } };
}

const mb = (r: MemoryResult[], f: (m: MemoryResult) => number): number => kbToMb(median(r.map(f)));

export const workload: Workload = {
  name: 'ws-stream',
  title: `${fmt(FRAMES)} WebSocket frames server → client ({"type":"event","i":n}, ${fmt(CHUNK)} per server tick), JSON.parse + count`,
  impls: { kernel, baseline },

  verify(d, impl) {
    const { frames, sum } = d.counts;
    if (frames !== FRAMES || sum !== (FRAMES * (FRAMES - 1)) / 2)
      throw new Error(`${impl}: the client counted ${frames} frames (index sum ${sum}), expected ${FRAMES}`);
  },

  async measure(ctx) {
    const t = await ctx.time(this.name);
    const memK = await ctx.memory(this.name, 'kernel');
    const memB = await ctx.memory(this.name, 'baseline');
    const k = t.impls.kernel!;
    const b = t.impls.baseline!;
    const km = median(k.ms);
    const bm = median(b.ms);
    const kd = k.details[0]!;
    const bd = b.details[0]!;
    const peak = (r: MemoryResult[]): number => mb(r, (m) => m.maxRssKb);
    const growth = (r: MemoryResult[]): number => mb(r, (m) => m.maxRssKb - m.rssBeforeKb);
    const figures: Figure[] = [
      { label: `kernel: wall time, ${fmt(FRAMES)} frames`, value: km, unit: 'ms', digits: 1, target: { op: '<=', value: 250 } },
      { label: 'kernel: peak RSS (fresh process)', value: peak(memK), unit: 'MB', digits: 1, target: { op: '<=', value: 150 } },
      { label: 'kernel: RSS growth during the run', value: growth(memK), unit: 'MB', digits: 1 },
      { label: 'baseline: wall time', value: bm, unit: 'ms', digits: 1 },
      { label: 'baseline: peak RSS (fresh process)', value: peak(memB), unit: 'MB', digits: 1 },
      { label: 'baseline: RSS growth during the run', value: growth(memB), unit: 'MB', digits: 1 },
      { label: 'kernel / baseline wall time', value: km / bm, unit: '×', digits: 2, target: { op: '<=', value: 1.5 } },
      { label: 'kernel / baseline cpu time', value: median(k.cpuMs) / median(b.cpuMs), unit: '×', digits: 2 },
    ];
    const memLine = (r: MemoryResult[]): string => {
      const before = fmt(
        mb(r, (m) => m.rssBeforeKb),
        1,
      );
      const sampled = fmt(
        mb(r, (m) => m.rssSampledPeakKb),
        1,
      );
      const runMs = fmt(median(r.map((m) => m.ms)), 1);
      const runCpu = fmt(median(r.map((m) => m.cpuMs)), 1);
      return (
        `peak RSS (maxRSS) of ${r.length} fresh processes: ${r.map((m) => fmt(kbToMb(m.maxRssKb), 1)).join(', ')} MB; ` +
        `median rss before the run ${before} MB, sampled peak ${sampled} MB; cold run ${runMs} ms wall, ${runCpu} ms cpu`
      );
    };
    const details = [
      `kernel:   ${spread(k)}`,
      `          ${traceLine(k.details)}`,
      `          ${fmt(kd.events)} events (${fmt((km * 1000) / kd.events, 2)} µs/event), virtual ${fmt(kd.simMs)} ms; ${countsLine(kd)}`,
      `          ${memLine(memK)}`,
      `baseline: ${spread(b)}`,
      `          ${fmt(bd.events)} events (${fmt((bm * 1000) / bd.events, 2)} µs/event), virtual ${fmt(bd.simMs)} ms; ${countsLine(bd)}`,
      `          ${memLine(memB)}`,
    ];
    return { figures, details };
  },
};

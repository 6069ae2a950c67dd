// The wall clock first: nothing may install simulated globals before it is captured.
import { realClearInterval, realSetInterval, wallNow } from './lib/wall-clock.js';
import { RESULT_MARK } from './lib/child.js';
import type { ImplName, ImplTiming, MemoryResult, RunDetail, RunFn, RunOutcome, TimingResult, Workload } from './lib/types.js';

/**
 * A bench child process: runs one workload in a fresh process so that its timings and
 * memory are its own. Started by bench/run.ts as
 *
 *   node --expose-gc --import tsx bench/worker.ts time <workload> [runs] [warmup] [impl]
 *   node --expose-gc --import tsx bench/worker.ts mem  <workload> <impl>
 *
 * and prints one line `@@bench@@ <json>` with the result (TimingResult or MemoryResult).
 */

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function load(name: string): Promise<Workload> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad workload name "${name}"`);
  const mod = (await import(`./workloads/${name}.js`)) as { workload?: Workload };
  if (!mod.workload) throw new Error(`bench/workloads/${name}.ts does not export a workload`);
  return mod.workload;
}

/** Hashes the trace (outside the timed region). */
function summarize(o: RunOutcome): RunDetail {
  const { trace, ...rest } = o;
  return trace ? { ...rest, trace: trace() } : rest;
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/**
 * How each timed run is prepared (BENCH_SETTLE, default `none`):
 * - `none`: runs back to back, as a test suite runs many simulations in one process. A
 *   run pays for the young garbage it makes; old-generation garbage is collected by an
 *   occasional mark-compact that lands in whichever run triggers it (the median filters
 *   it out, the mean in the details does not).
 * - `steady`: collect the heap, one untimed run of the same implementation, then the
 *   timed run: no run ever pays for the other implementation's garbage.
 * - `gc`: collect the heap right before the timed run: a first simulation in a fresh heap.
 * A forced full GC makes V8 shrink its heap limits, so the allocation of the next run
 * starts concurrent marking early (cpu time well above wall time): with `steady` and `gc`
 * the kernel, which allocates far more than the baseline, measured ~1.3–2× slower than
 * with `none` on this machine (2 cores, Node 20).
 */
type Settle = 'steady' | 'gc' | 'none';
const settle = (process.env.BENCH_SETTLE ?? 'none') as Settle;
if (!['steady', 'gc', 'none'].includes(settle)) throw new Error(`BENCH_SETTLE must be steady, gc or none; found "${settle}"`);

/** One timed run, prepared as `settle` says. */
async function timed(w: Workload, impl: ImplName, fn: RunFn): Promise<{ ms: number; cpu: number; detail: RunDetail }> {
  if (settle !== 'none') gc();
  if (settle === 'steady') w.verify(summarize(await fn()), impl);
  const c0 = process.cpuUsage();
  const t0 = wallNow();
  const outcome = await fn();
  const ms = wallNow() - t0;
  const cpu = cpuMs(c0);
  const detail = summarize(outcome);
  w.verify(detail, impl);
  return { ms, cpu, detail };
}

/** Warm-up, then `runs` rounds; each round runs every implementation, alternating the order. */
async function time(w: Workload, runs: number, warmup: number, only?: ImplName): Promise<TimingResult> {
  const impls = (Object.entries(w.impls) as [ImplName, RunFn][]).filter(([impl]) => !only || impl === only);
  for (let i = 0; i < warmup; i++) for (const [impl, fn] of impls) await timed(w, impl, fn);
  const out: Partial<Record<ImplName, ImplTiming>> = {};
  for (const [impl] of impls) out[impl] = { ms: [], cpuMs: [], details: [] };
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? impls : [...impls].reverse();
    for (const [impl, fn] of order) {
      const { ms, cpu, detail } = await timed(w, impl, fn);
      out[impl]!.ms.push(ms);
      out[impl]!.cpuMs.push(cpu);
      out[impl]!.details.push(detail);
    }
  }
  return { workload: w.name, warmup, settle, impls: out, maxRssKb: process.resourceUsage().maxRSS };
}

/** One cold run, with rss sampled every 2 ms; the peak is the process's maxRSS. */
async function memory(w: Workload, impl: ImplName): Promise<MemoryResult> {
  const fn = w.impls[impl];
  if (!fn) throw new Error(`workload ${w.name} has no ${impl} implementation`);
  gc();
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  const sampler = realSetInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  const c0 = process.cpuUsage();
  const t0 = wallNow();
  const outcome = await fn();
  const ms = wallNow() - t0;
  const cpu = cpuMs(c0);
  peak = Math.max(peak, process.memoryUsage.rss());
  realClearInterval(sampler);
  const detail = summarize(outcome);
  w.verify(detail, impl);
  return {
    workload: w.name,
    impl,
    rssBeforeKb: rssBefore / 1024,
    rssSampledPeakKb: peak / 1024,
    maxRssKb: process.resourceUsage().maxRSS,
    ms,
    cpuMs: cpu,
    detail,
  };
}

async function main(): Promise<void> {
  const [mode, name, a, b, c] = process.argv.slice(2);
  const w = await load(name ?? '');
  let result: TimingResult | MemoryResult;
  if (mode === 'time') result = await time(w, Number(a ?? 5), Number(b ?? 1), c as ImplName | undefined);
  else if (mode === 'mem') result = await memory(w, (a ?? 'kernel') as ImplName);
  else throw new Error(`usage: worker.ts time|mem <workload> …; got mode "${mode}"`);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

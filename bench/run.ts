// The wall clock first: nothing may install simulated globals before it is captured.
import { wallNow } from './lib/wall-clock.js';
import os from 'node:os';
import { memoryInChild, timeInChild } from './lib/child.js';
import { fmt } from './lib/stats.js';
import type { BenchContext, Figure, MemoryResult, Workload } from './lib/types.js';
import { workload as pollHour } from './workloads/poll-hour.js';
import { workload as wsStream } from './workloads/ws-stream.js';
import { workload as eventSync50k } from './workloads/event-sync-50k.js';
import { workload as liveSupportScale } from './workloads/live-support-scale.js';
import { workload as propertyChat } from './workloads/property-chat.js';
import { workload as propertyMealLog } from './workloads/property-meal-log.js';
import { workload as propertyEventSync } from './workloads/property-event-sync.js';
import { workload as propertyLiveSupport } from './workloads/property-live-support.js';
import { workload as checkAll } from './workloads/check-all.js';

/**
 * `npm run bench`: measures throughput — property runs per second per protocol with 1
 * worker and one per core, `npm start`'s wall time — and the simulation kernel, and
 * prints issue #18's table: every figure with its target, ratios beside absolutes, and
 * the load average before and after (a busy machine inflates wall times; the details
 * give cpu times too). Not a test: it exits 0 whether targets are met or missed, and
 * non-zero only when a workload could not run (crashed, or did not do its full work).
 *
 * Each workload runs in fresh child processes (bench/worker.ts): one for timings
 * (warm-up, then rounds alternating its implementations — kernel and baseline, or 1 and
 * N workers — so their ratio is measured in one process), and, where it reports memory,
 * more for peak RSS of a cold run.
 *
 * To add a workload: write bench/workloads/<name>.ts exporting `workload: Workload`
 * (its implementations, a `verify` of its counts, and `measure` returning figures), then
 * add it to this list. BENCH_ONLY=name,name runs only those workloads.
 */
const workloads: Workload[] = [
  // In the order of issue #18's table.
  propertyChat, // lockstep check --protocol chat --runs N, 1 worker and one per core
  propertyMealLog,
  propertyEventSync,
  propertyLiveSupport,
  checkAll, // npm start
  pollHour, // (a), (d)
  wsStream, // (b), (c), (d)
  eventSync50k, // 50,000-event sync with a mid-stream drop and REST fallback
  liveSupportScale, // 200 widgets and 10 dashboards for 10 simulated minutes
];

/** Timed runs per figure (the median is reported) and untimed warm-up runs before them; BENCH_RUNS / BENCH_WARMUP override. */
const RUNS = positive(process.env.BENCH_RUNS, 5);
// Five warm-up runs: the figures describe the steady state a conformance run lives in
// (a thousand simulations in one process), not the JIT's first minutes.
const WARMUP = positive(process.env.BENCH_WARMUP, 5);

function positive(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, found "${v}"`);
  return n;
}

let settleMode = '';

const ctx: BenchContext = {
  runs: RUNS,
  warmup: WARMUP,
  time: async (name, only) => {
    const r = await timeInChild(name, only?.runs ?? RUNS, only?.warmup ?? WARMUP);
    settleMode = r.settle;
    return r;
  },
  async memory(name, impl, times) {
    const out: MemoryResult[] = [];
    for (let i = 0; i < (times ?? RUNS); i++) out.push(await memoryInChild(name, impl));
    return out;
  },
};

const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const busy = (): boolean => os.loadavg()[0]! > os.availableParallelism() * 0.5;

interface Row {
  workload: string;
  figure: Figure;
}

function target(f: Figure): string {
  if (!f.target) return '';
  return `${f.target.op === '>=' ? '≥' : '≤'} ${fmt(f.target.value, f.target.value < 100 ? undefined : 0)}${f.unit === '×' ? '×' : ` ${f.unit}`}`;
}

function status(f: Figure): string {
  if (!f.target) return '';
  const ok = f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value;
  return ok ? 'PASS' : 'MISS';
}

function value(f: Figure): string {
  const v = fmt(f.value, f.digits);
  return f.unit === '×' ? `${v}×` : `${v} ${f.unit}`;
}

function table(rows: Row[]): string {
  const head = ['workload', 'figure', 'value', 'target', 'status'];
  const cells = rows.map((r) => [r.workload, r.figure.label, value(r.figure), target(r.figure), status(r.figure)]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((s, i) => (i === 2 || i === 3 ? s.padStart(width[i]!) : s.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const started = wallNow();
  const cpus = os.cpus();
  console.log('lockstep bench');
  console.log(
    `node ${process.version} (${process.platform} ${process.arch}), ${os.availableParallelism()} cores` +
      `${cpus[0] ? ` (${cpus[0].model.trim()})` : ''}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM`,
  );
  console.log(
    `each figure: median of ${RUNS} runs after ${WARMUP} warm-up run${WARMUP === 1 ? '' : 's'}; every workload runs in fresh child processes`,
  );
  console.log(
    `load average before: ${loadavg()}` +
      (busy() ? '  (BUSY: other processes compete for the cores; wall times are inflated, compare the cpu times in the details)' : ''),
  );
  console.log('');

  const rows: Row[] = [];
  const details: string[] = [];
  const failures: string[] = [];
  const only = process.env.BENCH_ONLY?.split(',').map((n) => n.trim());
  const unknown = only?.filter((n) => !workloads.some((w) => w.name === n)) ?? [];
  if (unknown.length)
    throw new Error(`BENCH_ONLY names no workload "${unknown.join('", "')}" (expected some of ${workloads.map((w) => w.name).join(', ')})`);
  for (const w of workloads.filter((x) => !only || only.includes(x.name))) {
    process.stderr.write(`running ${w.name} …\n`);
    try {
      const t0 = wallNow();
      const r = await w.measure(ctx);
      for (const figure of r.figures) rows.push({ workload: w.name, figure });
      details.push(`${w.name}: ${w.title}  [measured in ${fmt((wallNow() - t0) / 1000, 1)} s]`, ...r.details.map((d) => `  ${d}`), '');
    } catch (e) {
      failures.push(`${w.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  console.log(table(rows));
  console.log('\ndetails');
  console.log(details.join('\n'));
  const missed = rows.filter((r) => status(r.figure) === 'MISS');
  const targets = rows.filter((r) => r.figure.target).length;
  console.log(
    `${targets - missed.length} of ${targets} targets met${missed.length ? `; missed: ${missed.map((r) => `${r.workload} ${r.figure.label}`).join('; ')}` : ''}`,
  );
  console.log(`timed runs prepared with BENCH_SETTLE=${settleMode} (see bench/worker.ts)`);
  console.log(
    `bench took ${fmt((wallNow() - started) / 1000, 1)} s; load average after: ${loadavg()}` +
      (busy() ? '  (BUSY: the figures above are slower than on a quiet machine)' : ''),
  );
  if (failures.length) {
    console.log(`\nWORKLOAD FAILURES (the figures above are incomplete):\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wallNow } from '../lib/wall-clock.js';
import { fmt } from '../lib/stats.js';
import type { Figure, RunOutcome, Workload } from '../lib/types.js';

/**
 * `npm start` as a user runs it: `node bin/lockstep.js check --all --report DIR` — the
 * four protocols' reference clients, their scenarios and 1,000 property runs each, one
 * worker per core, from the checkout's TypeScript sources through tsx (so it includes
 * tsx's start-up and the reports). Timed from outside, as a fresh process; its cpu time
 * (all its threads) comes from bash's `times`.
 *
 * One run (37 s on a quiet machine when the issue was filed): the bench has no room for a
 * median of several. BENCH_START_RUNS=K (< 1000) scales it down: then it also runs
 * `--runs 0` (scenarios only) and extrapolates linearly to 1,000 runs, and says so.
 */

const FULL = 1000;
const K = Number(process.env.BENCH_START_RUNS || FULL);
if (!Number.isInteger(K) || K <= 0 || K > FULL)
  throw new Error(`BENCH_START_RUNS must be a whole number in 1 … ${FULL}, found "${process.env.BENCH_START_RUNS}"`);
const scaled = K < FULL;
const root = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../..' : '../..', import.meta.url));

/** Runs `lockstep check --all --runs runs` in a fresh process: wall ms, cpu ms of the process and its threads, exit code. */
function cli(runs: number): Promise<{ ms: number; cpuMs: number; code: number }> {
  const dir = mkdtempSync(join(os.tmpdir(), 'lockstep-bench-start-'));
  const cmd = `"${process.execPath}" bin/lockstep.js check --all --runs ${runs} --report "${join(dir, 'main')}" >/dev/null 2>"${join(dir, 'stderr')}"; rc=$?; times; exit $rc`;
  return new Promise((resolve, reject) => {
    const t0 = wallNow();
    const child = spawn('bash', ['-c', cmd], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = wallNow() - t0;
      rmSync(dir, { recursive: true, force: true });
      // `times` prints the shell's, then its children's user and system time: `0m12.345s 0m0.678s`.
      const children = out.trim().split('\n').at(-1) ?? '';
      const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      resolve({ ms, cpuMs: secs.length === 2 ? (secs[0]! + secs[1]!) * 1000 : NaN, code: code ?? -1 });
    });
  });
}

async function start(): Promise<RunOutcome> {
  const full = await cli(K);
  const counts: Record<string, number> = { runs: K, exitCode: full.code, cpuMs: Math.round(full.cpuMs) };
  if (scaled) {
    const base = await cli(0);
    counts.scenariosOnlyMs = Math.round(base.ms);
    counts.scenariosOnlyCpuMs = Math.round(base.cpuMs);
    counts.extrapolatedMs = Math.round(base.ms + ((full.ms - base.ms) * FULL) / K);
    counts.extrapolatedCpuMs = Math.round(base.cpuMs + ((full.cpuMs - base.cpuMs) * FULL) / K);
  }
  return { simMs: 0, events: 0, counts: { ...counts, wallMs: Math.round(full.ms) } };
}

export const workload: Workload = {
  name: 'check-all',
  title: `npm start: node bin/lockstep.js check --all --report DIR (4 protocols, scenarios + ${scaled ? `${K} runs each, EXTRAPOLATED to ${FULL}` : `${FULL} runs each`}; ${os.availableParallelism()} workers by default)`,
  impls: { cli: start },

  verify(d) {
    // 0 pass, 3 inconclusive, 1 a reference client failed (reported below); 2 or a crash means it did not run.
    if (![0, 1, 3].includes(d.counts.exitCode!)) throw new Error(`lockstep check --all exited ${d.counts.exitCode}`);
  },

  async measure(ctx) {
    const t = await ctx.time(this.name, { runs: 1, warmup: 0 });
    const c = t.impls.cli!.details[0]!.counts;
    const wall = scaled ? c.extrapolatedMs! : c.wallMs!;
    const cpu = scaled ? c.extrapolatedCpuMs! : c.cpuMs!;
    const figures: Figure[] = [
      {
        label: `wall time, 4 protocols × (scenarios + ${FULL} runs)${scaled ? ` (extrapolated from ${K})` : ''}`,
        value: wall / 1000,
        unit: 's',
        digits: 1,
        target: { op: '<=', value: 15 },
      },
      { label: "wall / the issue's 37 s", value: wall / 37_000, unit: '×', digits: 2 },
      // Far less disturbed than wall time by other processes: the work itself, all threads.
      { label: `cpu time, all threads${scaled ? ' (extrapolated)' : ''}`, value: cpu / 1000, unit: 's', digits: 1 },
    ];
    const details = [
      `one run (fresh process): wall ${fmt(c.wallMs! / 1000, 1)} s, cpu ${fmt(c.cpuMs! / 1000, 1)} s (all threads; cpu / wall ${fmt(c.cpuMs! / c.wallMs!, 2)}), exit code ${c.exitCode}${c.exitCode === 1 ? ' (a reference client FAILED: its property runs stopped early, the time is too short)' : ''}`,
      ...(scaled
        ? [
            `scaled down to ${K} runs per protocol: scenarios only (--runs 0) took ${fmt(c.scenariosOnlyMs! / 1000, 1)} s wall, ${fmt(c.scenariosOnlyCpuMs! / 1000, 1)} s cpu; ` +
              `extrapolated linearly to ${FULL} runs: ${fmt(c.extrapolatedMs! / 1000, 1)} s wall, ${fmt(c.extrapolatedCpuMs! / 1000, 1)} s cpu ` +
              `(the extrapolation multiplies the noise of the difference by ${fmt(FULL / K, 0)}: use K ≥ 100)`,
          ]
        : []),
      `cpu time / ${os.availableParallelism()} cores = ${fmt(cpu / 1000 / os.availableParallelism(), 1)} s: the wall time on a quiet machine if every core were busy all along`,
    ];
    return { figures, details };
  },
};

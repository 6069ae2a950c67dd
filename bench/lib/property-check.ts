import { wallNow } from './wall-clock.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkClient, scenarioFilesOf } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';
import { countsLine, fmt, median, spread } from './stats.js';
import type { Figure, RunOutcome, Workload } from './types.js';

/**
 * Property runs per second of one protocol's reference client, measured as
 * `lockstep check --protocol P --runs N --workers W` spends them: `checkClient` with the
 * shipped scenarios and N property runs, with 1 worker thread and with one per core
 * (the CLI's default), fresh worker threads each time (a check starts cold, so do these).
 * Printing and report files are left out; everything else a check does is in.
 */

/** Property runs per check (BENCH_PROPERTY_RUNS overrides): small enough that the bench stays within minutes. */
export const PROPERTY_RUNS = whole(process.env.BENCH_PROPERTY_RUNS, 250);
/** Timed checks per worker count (BENCH_PROPERTY_ROUNDS overrides; the median is reported). */
const ROUNDS = whole(process.env.BENCH_PROPERTY_ROUNDS, 3);
// The checkout's scenarios: compiled into .bench-build/, lockstep's own package root would be .bench-build/.
const scenarioRoot = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../../scenarios' : '../../scenarios', import.meta.url));

/** One worker per core, as `lockstep check` defaults to (src/cli/commands/check.ts caps it at 16). */
export const CORES = Math.max(1, Math.min(os.availableParallelism(), 16));
const many = `${CORES}-workers`;

function whole(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, found "${v}"`);
  return n;
}

/** What the issue (#18) measured and asks for, per protocol: runs per second of scenarios + 1,000 runs, one core. */
export interface PropertyTargets {
  /** The "now" figure, runs/s. */
  now: number;
  /** Runs/s with 1 worker. */
  perCore: number;
  /** Whether the issue also sets runs/s with one worker per core: the per-core target × the speed-up target (chat only). */
  allCores?: boolean;
}

/** Speed-up of one worker per core over one worker: 0.9 per core (the 1.8× on 2 cores). */
const speedupTarget = 0.9 * CORES;

async function check(protocol: string, workers: number): Promise<RunOutcome> {
  const client = await resolveClient('reference', protocol);
  const failureDir = mkdtempSync(join(os.tmpdir(), 'lockstep-bench-'));
  const scenarioFiles = scenarioFilesOf(protocol, scenarioRoot);
  if (!scenarioFiles.length) throw new Error(`no scenario files in ${join(scenarioRoot, protocol)}`);
  const scenarioCount = scenarioFiles.length;
  const t0 = wallNow();
  let scenariosDone = t0;
  let split = false;
  try {
    const r = await checkClient(
      {
        client,
        runs: PROPERTY_RUNS,
        seed: 1,
        failureDir,
        scenarioFiles,
        workers,
        onProgress: (done) => {
          // Scenarios run first, then the property runs: the first call after the last scenario marks the split.
          if (!split && done === scenarioCount) {
            split = true;
            scenariosDone = wallNow();
          }
        },
      },
      protocols,
    );
    const end = wallNow();
    return {
      simMs: 0,
      events: r.runs.length,
      counts: {
        scenarios: r.scenarios.length,
        propertyRuns: r.property?.runs ?? 0,
        counterexample: r.property?.counterexample ? 1 : 0,
        exitCode: r.exitCode,
        scenarioPhaseMs: Math.round(scenariosDone - t0),
        propertyPhaseMs: Math.round(end - scenariosDone),
      },
    };
  } finally {
    rmSync(failureDir, { recursive: true, force: true });
  }
}

/** A workload measuring `protocol`'s runs per second with 1 worker and with one per core. */
export function propertyWorkload(protocol: string, targets: PropertyTargets): Workload {
  const runs = (workers: number) => (): Promise<RunOutcome> => check(protocol, workers);
  return {
    name: `property-${protocol}`,
    title: `${protocol}: lockstep check --protocol ${protocol} --runs ${PROPERTY_RUNS} (shipped scenarios + ${PROPERTY_RUNS} property runs), 1 worker and ${CORES} workers`,
    impls: { '1-worker': runs(1), [many]: runs(CORES) },

    verify(d, impl) {
      const c = d.counts;
      // A counterexample stops the runs early: the rate would not be that of N runs.
      if (c.propertyRuns !== PROPERTY_RUNS || c.counterexample)
        throw new Error(
          `${impl}: ${c.propertyRuns} of ${PROPERTY_RUNS} property runs executed${c.counterexample ? ' (a counterexample stopped them: the reference client fails)' : ''}`,
        );
      if (c.exitCode !== 0 && c.exitCode !== 3) throw new Error(`${impl}: the check of the reference client exited ${c.exitCode}`);
    },

    async measure(ctx) {
      const t = await ctx.time(this.name, { runs: ROUNDS, warmup: 0 });
      const one = t.impls['1-worker']!;
      const all = t.impls[many]!;
      const d = one.details[0]!;
      const total = d.counts.scenarios! + PROPERTY_RUNS;
      const rate = (ms: number): number => (total * 1000) / ms;
      const r1 = rate(median(one.ms));
      const rN = rate(median(all.ms));
      const figures: Figure[] = [
        {
          label: `runs/s, 1 worker (${d.counts.scenarios} scenarios + ${PROPERTY_RUNS} runs)`,
          value: r1,
          unit: '/s',
          digits: 0,
          target: { op: '>=', value: targets.perCore },
        },
        {
          label: `runs/s, ${CORES} workers`,
          value: rN,
          unit: '/s',
          digits: 0,
          ...(targets.allCores ? { target: { op: '>=' as const, value: targets.perCore * speedupTarget } } : {}),
        },
        { label: `speed-up, ${CORES} workers / 1`, value: rN / r1, unit: '×', digits: 2, target: { op: '>=', value: speedupTarget } },
        // What one busy core would do: far less disturbed than wall time by other processes on the machine.
        { label: 'runs per cpu-second, 1 worker (all threads)', value: rate(median(one.cpuMs)), unit: '/s', digits: 0 },
      ];
      // Load-independent view: runs per cpu-second (all threads of the child), and a projection to the 1,000 runs.
      const line = (name: string, tm: typeof one): string[] => {
        const cpu = median(tm.cpuMs);
        const scen = median(tm.details.map((x) => x.counts.scenarioPhaseMs!));
        const prop = median(tm.details.map((x) => x.counts.propertyPhaseMs!));
        const projected = ((d.counts.scenarios! + 1000) * 1000) / (scen + (prop * 1000) / PROPERTY_RUNS);
        return [
          `${name}: ${spread(tm)}`,
          `  ${fmt(rate(median(tm.ms)), 0)} runs/s wall (${fmt(rate(median(tm.ms)) / targets.now, 2)}× the issue's ${targets.now}/s); ${fmt(rate(cpu), 0)} runs per cpu-second; ` +
            `scenario phase ${fmt(scen, 0)} ms (incl. worker start), property phase ${fmt(prop, 0)} ms (${fmt((PROPERTY_RUNS * 1000) / prop, 0)} property runs/s); ` +
            `projected to ${d.counts.scenarios} scenarios + 1,000 runs: ${fmt(projected, 0)} runs/s`,
          `  ${countsLine(tm.details[0]!)}`,
        ];
      };
      return {
        figures,
        details: [...line('1 worker', one), ...line(`${CORES} workers`, all), `timing child peak RSS: ${fmt(t.maxRssKb / 1024, 1)} MB`],
      };
    },
  };
}

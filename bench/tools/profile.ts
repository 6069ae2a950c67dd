// The wall clock first: nothing may install simulated globals before it is captured.
import { wallNow } from '../lib/wall-clock.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { join } from 'node:path';
import { checkClient } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';
import type { Workload } from '../lib/types.js';

/**
 * Profiles lockstep's own work, in this thread: a CPU profile and an allocation profile
 * (V8's sampling heap profiler, counting garbage as well as what survives — where the
 * allocation goes, not only what is retained).
 *
 *   npx tsc -p tsconfig.bench.json
 *   node .bench-build/bench/tools/profile.js check chat 300 /tmp/prof       # property runs, in-process (--workers 0)
 *   node .bench-build/bench/tools/profile.js check chat 300 /tmp/prof 1     # the same through 1 worker thread
 *   node .bench-build/bench/tools/profile.js workload live-support-scale 1 /tmp/prof
 *   npx tsx bench/tools/cpuprofile-top.ts /tmp/prof/cpu.cpuprofile
 *   npx tsx bench/tools/heapprofile-top.ts /tmp/prof/alloc.heapprofile
 *
 * PROFILE_SEED (default 1) chooses the property runs' seed.
 * `check P N`: one untimed warm-up check of N/4 runs (no scenarios), then the profiled
 * check: N property runs, no scenarios (the steady state of a long check). With a worker
 * count, the profile is the main thread's (drawing, message passing, aggregation); run
 * with `node --cpu-prof --cpu-prof-dir DIR` to get the worker threads' profiles too.
 * `workload W N`: N runs of the bench workload's kernel implementation.
 */

const [mode, what, n = '1', out = '/tmp/lockstep-prof', workers = '0'] = process.argv.slice(2);
const runs = Number(n);

async function profiled(label: string, fn: () => Promise<void>): Promise<void> {
  mkdirSync(out, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('HeapProfiler.enable');
  // Collected objects count too: the allocation rate is what costs, most of it dies young.
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  await session.post('Profiler.start');
  const c0 = process.cpuUsage();
  const t0 = wallNow();
  await fn();
  const ms = wallNow() - t0;
  const cpu = process.cpuUsage(c0);
  const { profile } = await session.post('Profiler.stop');
  const { profile: heap } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  writeFileSync(join(out, 'cpu.cpuprofile'), JSON.stringify(profile));
  writeFileSync(join(out, 'alloc.heapprofile'), JSON.stringify(heap));
  console.log(
    `${label}: ${ms.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms cpu (profiler on); profiles in ${out}/cpu.cpuprofile and ${out}/alloc.heapprofile`,
  );
}

async function check(protocol: string): Promise<void> {
  const client = await resolveClient('reference', protocol);
  const failureDir = mkdtempSync(join(os.tmpdir(), 'lockstep-prof-'));
  const o = { client, seed: Number(process.env.PROFILE_SEED ?? 1), failureDir, scenarioFiles: [] as string[], workers: Number(workers) };
  try {
    await checkClient({ ...o, runs: Math.max(1, Math.floor(runs / 4)), seed: 2 }, protocols);
    await profiled(`${protocol}: ${runs} property runs, ${o.workers ? `${o.workers} worker(s)` : 'in-process'}`, async () => {
      const r = await checkClient({ ...o, runs }, protocols);
      const cx = r.property?.counterexample;
      if (cx)
        console.log(
          `NOTE: a counterexample at run ${cx.foundAt} (${cx.failed.join(', ')}): ${r.property?.runs} runs, then ${cx.shrinks} shrink steps are in the profile`,
        );
    });
  } finally {
    rmSync(failureDir, { recursive: true, force: true });
  }
}

async function workload(name: string): Promise<void> {
  const mod = (await import(new URL(`../workloads/${name}.js`, import.meta.url).href)) as { workload: Workload };
  const run = mod.workload.impls.kernel;
  if (!run) throw new Error(`${name} has no kernel implementation`);
  await profiled(`${name}: ${runs} kernel run(s)`, async () => {
    for (let i = 0; i < runs; i++) mod.workload.verify({ ...(await run()), trace: undefined }, 'kernel');
  });
}

if (mode === 'check') await check(what ?? 'chat');
else if (mode === 'workload') await workload(what ?? 'live-support-scale');
else throw new Error(`usage: profile.js check <protocol> <runs> [out] [workers] | workload <name> <runs> [out]; got "${mode}"`);

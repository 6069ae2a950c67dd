import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { coveredKinds } from '../fixtures/fault-plans.js';
import { runSeed } from '../fixtures/determinism-worker.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const worker = 'test/fixtures/determinism-worker.ts';
const SEEDS = 200;

interface WorkerResult {
  hashes: Record<string, string>;
  stats: { events: number; stopped: Record<string, number>; kinds: Record<string, number> };
}

/** Runs the worker in a fresh Node process. */
function runWorker(args: string[], env: Record<string, string>): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${worker} ${args.join(' ')} exited with ${code}:\n${err}`));
      try {
        const statsLine = err.trim().split('\n').at(-1)!;
        resolve({ hashes: JSON.parse(out) as Record<string, string>, stats: JSON.parse(statsLine) as WorkerResult['stats'] });
      } catch (e) {
        reject(new Error(`${worker}: unreadable output (${(e as Error).message}):\n${out}\n${err}`));
      }
    });
  });
}

describe('determinism across processes', () => {
  it(`${SEEDS} seeds with random fault plans give identical trace hashes in two separate Node processes`, async () => {
    // Two processes in parallel, one running the seeds backwards under another time zone
    // and locale: neither order, nor the host's clock settings may change a single byte.
    const [a, b] = await Promise.all([
      runWorker(['0', String(SEEDS - 1)], { TZ: 'UTC', LANG: 'C' }),
      runWorker(['0', String(SEEDS - 1), '--reverse'], { TZ: 'Pacific/Chatham', LANG: 'de_DE.UTF-8' }),
    ]);
    expect(Object.keys(a.hashes)).toHaveLength(SEEDS);
    for (const h of Object.values(a.hashes)) expect(h).toMatch(/^[0-9a-f]{64}$/);
    const differing = Object.keys(a.hashes).filter((seed) => a.hashes[seed] !== b.hashes[seed]);
    expect(differing, 'seeds whose traces differ between the two processes').toEqual([]);
    expect(b.hashes).toEqual(a.hashes);
    // Different seeds give different traces.
    expect(new Set(Object.values(a.hashes)).size).toBe(SEEDS);
    // The plans covered every fault kind, and the runs did real work.
    for (const kind of [...coveredKinds, 'release']) expect(a.stats.kinds[kind] ?? 0, `fault kind ${kind}`).toBeGreaterThan(10);
    expect(a.stats.events / SEEDS).toBeGreaterThan(300);
    expect(b.stats).toEqual(a.stats);

    // The same seeds run in this process (vitest's module loader instead of tsx) agree too.
    for (const seed of [0, 1, 137]) expect((await runSeed(seed)).hash).toBe(a.hashes[seed]);
  });

  it('the seed reaches the network and the clients, not only the first trace line', async () => {
    // Same fault plan and actions for every seed: only the seed's streams differ.
    const { Simulation } = await import('../../src/sim/simulation.js');
    const { createDemoClient } = await import('../../src/sim/demo/demo-client.js');
    const { demoServer } = await import('../../src/sim/demo/demo-server.js');
    const bodies = new Set<string>();
    for (let seed = 0; seed < 5; seed++) {
      const sim = new Simulation({
        seed,
        clients: ['c1', 'c2'],
        server: demoServer,
        faults: [{ kind: 'ws-reset', at: 30_000 }],
        network: { link: { latency: { kind: 'lognormal', median: 40, sigma: 0.6 } } },
      });
      createDemoClient(sim.env('c1'));
      createDemoClient(sim.env('c2'));
      await sim.run(60_000);
      bodies.add(sim.trace.rawLines().slice(1).join('\n'));
    }
    expect(bodies.size).toBe(5);
  });
});

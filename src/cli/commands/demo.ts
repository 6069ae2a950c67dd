import { performance } from 'node:perf_hooks';
import { createDemoClient } from '../../sim/demo/demo-client.js';
import { demoServer } from '../../sim/demo/demo-server.js';
import { FaultPlanError } from '../../sim/faults/validate.js';
import { Simulation } from '../../sim/simulation.js';
import { SimulationStopped } from '../../sim/stopped.js';
import { flagHelp, intFlag, limits, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { readFaultPlanFile } from '../fault-plan-file.js';
import { writeFileAtomic } from '../../conformance/atomic-write.js';
import { checkTraceFile } from '../output-file.js';

const flags: Record<string, FlagSpec> = {
  seed: { value: true, help: 'seed of the run (default 1)' },
  duration: { value: true, help: 'virtual milliseconds to simulate (default 300000)' },
  faults: { value: true, help: 'a fault plan file (YAML or JSON)' },
  trace: { value: true, help: 'write the trace (JSON Lines) to this file' },
  force: { value: false, help: 'overwrite the --trace file if it exists' },
  help: { value: false, help: 'show this help' },
};

/** Help text of `lockstep demo`. */
export const demoHelp = `lockstep demo [options]

Runs the kernel demo: a client with a WebSocket, heartbeat, backoff, fallback polling
and an outbox, against a small server, under a fault plan; prints what happened and the
trace hash (the same seed always gives the same hash).

${flagHelp(flags)}`;

/** `lockstep demo`: returns the exit code. */
export async function demoCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'demo');
  if (args.flags.has('help')) {
    out(demoHelp);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`lockstep demo: unexpected argument "${args.positionals[0]}" (demo takes options only)`);
  const seed = intFlag(args, 'seed', 1, 'demo', limits.seed);
  const duration = intFlag(args, 'duration', 300_000, 'demo', limits.duration);
  const faultsFile = stringFlag(args, 'faults');
  const faults = faultsFile
    ? readFaultPlanFile(faultsFile, 'demo')
    : [
        { kind: 'partition', at: 30_000, duration: 20_000 },
        { kind: 'server-restart', at: 90_000, downtime: 3_000 },
        { kind: 'ws-half-open', at: 150_000 },
        { kind: 'client-offline', at: 200_000, duration: 15_000 },
      ];
  let sim: Simulation;
  try {
    sim = new Simulation({
      seed,
      server: demoServer,
      faults,
      faultsSource: faultsFile ?? 'built-in demo plan',
      network: { link: { latency: { kind: 'lognormal', median: 40, sigma: 0.4 } } },
    });
  } catch (e) {
    if (e instanceof FaultPlanError) throw new UsageError(e.message);
    throw e;
  }
  const traceFile = stringFlag(args, 'trace');
  if (traceFile) checkTraceFile(traceFile, args.flags.has('force'), 'demo');
  const client = createDemoClient(sim.env('c1'));
  for (let t = 20_000; t < duration; t += 60_000) sim.at(t, 'c1', 'user.send', () => client.send(`message at ${t / 1000}s`));
  const started = performance.now();
  let stopped: SimulationStopped | undefined;
  try {
    await sim.run(duration);
  } catch (e) {
    if (!(e instanceof SimulationStopped)) throw e;
    stopped = e;
  }
  const wall = performance.now() - started;
  const counts = new Map<string, number>();
  for (const e of sim.trace.events()) counts.set(e.ev, (counts.get(e.ev) ?? 0) + 1);
  const snap = client.snapshot();
  out(`seed ${seed}: ${duration / 1000} s simulated in ${wall.toFixed(1)} ms wall (${Math.round(duration / wall)}× real time)`);
  out(`faults: ${sim.faults.map((f) => `${f.kind}@${f.at}`).join(', ') || 'none'}`);
  out(`client sees ${snap.items.length} items; socket ${snap.socket}; polling ${snap.polling ? 'on' : 'off'}`);
  out(`trace: ${sim.trace.length} steps — ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`trace sha256 ${sim.trace.hash()}`);
  if (traceFile) {
    writeFileAtomic(traceFile, sim.trace.toJsonl());
    out(`trace written to ${traceFile}`);
  }
  if (stopped) {
    out(`stopped: ${stopped.message}`);
    return 1;
  }
  return 0;
}

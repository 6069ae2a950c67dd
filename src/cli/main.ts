import { PoolStartError } from '../conformance/isolation/pool.js';
import { ClientSpecError } from '../conformance/registry.js';
import { ScenarioError } from '../conformance/scenario.js';
import { FaultPlanError } from '../sim/faults/validate.js';
import { UsageError } from './args.js';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { judgeCommand } from './commands/judge.js';
import { listCommand } from './commands/list.js';
import { mergeCommand } from './commands/merge.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { toolVersion } from './version.js';

const usage = `lockstep — deterministic network simulator and conformance harness

Usage:
  lockstep check  [--protocol P|--all] [--client MODULE|zoo:P/VARIANT] [--runs N] [--seed S] [--report DIR] [--shard i/n]
  lockstep merge  DIR... --report OUT
  lockstep run    SCENARIO.yaml... [--client ...] [--seed S] [--trace FILE]
  lockstep replay FAILURE.json
  lockstep list   [--protocol P]
  lockstep demo   [--seed S] [--duration MS] [--faults FILE] [--trace FILE]
  lockstep serve  --protocol P [--scenario FILE] [--fault-plan FILE] [--port N] [--trace FILE]
  lockstep judge  TRACE.jsonl --protocol P [--scenario FILE] [--report DIR]
  lockstep check  --real --protocol P --client-cmd "COMMAND" --scenario FILE [--report DIR]
  lockstep --version
  lockstep <command> --help

Exit codes: 0 success, 1 a requirement failed or the client misbehaved (a guard, an error,
a hang), 2 bad input, 3 inconclusive (a MUST requirement was never exercised).`;

/** Runs the CLI; returns the exit code. Bad input is a message and exit 2, never a stack trace. */
export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case 'help':
        out(usage);
        return 0;
      case '--version':
        out(toolVersion());
        return 0;
      case 'check':
        return await checkCommand(rest, out);
      case 'merge':
        return await mergeCommand(rest, out);
      case 'run':
        return await runCommand(rest, out);
      case 'replay':
        return await replayCommand(rest, out);
      case 'list':
        return await listCommand(rest, out);
      case 'demo':
        return await demoCommand(rest, out);
      case 'serve':
        return await serveCommand(rest, out);
      case 'judge':
        return await judgeCommand(rest, out);
      default:
        throw new UsageError(`lockstep: unknown command "${command}"\n\n${usage}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof FaultPlanError || e instanceof ClientSpecError || e instanceof PoolStartError) {
      err(e.message);
      return 2;
    }
    err(`lockstep ${command}: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

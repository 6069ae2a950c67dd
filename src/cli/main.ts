import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { demoCommand } from './commands/demo.js';

const usage = `lockstep — deterministic network simulator and conformance harness

Usage:
  lockstep demo [--seed S] [--duration MS] [--faults FILE] [--trace FILE]
  lockstep --version
  lockstep <command> --help

Exit codes: 0 success, 1 a run failed (a requirement or a guard), 2 bad input.`;

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
      case '--version': {
        const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
        out(pkg.version);
        return 0;
      }
      case 'demo':
        return await demoCommand(rest, out);
      default:
        throw new UsageError(`lockstep: unknown command "${command}"\n\n${usage}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return 2;
    }
    err(`lockstep ${command}: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.argv[1]?.endsWith('bin/lockstep.js')) {
  process.exitCode = await main(process.argv.slice(2));
}

import { readFailureRecord } from '../../conformance/failure-record.js';
import { runFailed } from '../../conformance/property.js';
import { protocols, resolveClient } from '../../conformance/registry.js';
import { runScenario } from '../../conformance/runner.js';
import { parseArgs, UsageError, flagHelp, type FlagSpec } from '../args.js';
import { findingLine } from '../print.js';
import { formatTimeline } from '../timeline.js';

const flags: Record<string, FlagSpec> = {
  quiet: { value: false, help: 'no timeline' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep replay`. */
export const replayHelp = `lockstep replay FAILURE.json

Re-runs a recorded counterexample (written by lockstep check) and checks that it gives
the same trace hash. Exit 1 while it still fails, 0 once it passes, 2 for a bad file.

${flagHelp(flags)}`;

/** `lockstep replay`. */
export async function replayCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'replay');
  if (args.flags.has('help')) {
    out(replayHelp);
    return 0;
  }
  if (args.positionals.length !== 1) throw new UsageError('lockstep replay: expected exactly one failure record (reports/failures/*.json)');
  const file = args.positionals[0]!;
  const record = readFailureRecord(file, protocols);
  const client = await resolveClient(record.client, record.protocol);
  const r = await runScenario({ protocol: client.protocol, scenario: record.scenario, client: client.factory, clientName: client.name, globals: record.globals });
  if (!args.flags.has('quiet')) out(formatTimeline(r.trace.events()));
  out('');
  for (const f of r.findings) out(findingLine(f));
  const same = r.hash === record.hash;
  out(`trace sha256 ${r.hash} — ${same ? 'the same as recorded' : `DIFFERENT from the recorded ${record.hash} (the client, lockstep or the scenario changed)`}`);
  const failed = runFailed(client.protocol, r);
  out(failed.length ? `still fails: ${failed.join(', ')}` : 'passes now');
  return failed.length ? 1 : 0;
}

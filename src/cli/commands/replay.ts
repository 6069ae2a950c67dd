import { readFailureRecord } from '../../conformance/failure-record.js';
import { runFailed } from '../../conformance/property.js';
import { protocols, resolveClient } from '../../conformance/registry.js';
import { runScenario } from '../../conformance/runner.js';
import { parseArgs, stringFlag, UsageError, flagHelp, type FlagSpec } from '../args.js';
import { loadServerModuleFlag } from './check.js';
import { findingLine } from '../print.js';
import { formatTimeline } from '../timeline.js';

const flags: Record<string, FlagSpec> = {
  quiet: { value: false, help: 'no timeline' },
  'server-module': { value: true, help: 'FILE: msw handlers in front of the server (default: the one the record was made with)' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep replay`. */
export const replayHelp = `lockstep replay FAILURE.json [--server-module FILE]

Re-runs a recorded counterexample (written by lockstep check) and checks that it gives
the same trace hash. Exit 1 while it still fails a MUST, 0 once it passes or when it only
violates a SHOULD (NON-STRICT, as lockstep check says), 2 for a bad file.

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
  const serverModule = stringFlag(args, 'server-module') ?? record.serverModule;
  const serverWrapper = serverModule !== undefined ? await loadServerModuleFlag(serverModule, 'replay') : undefined;
  const r = await runScenario({ protocol: client.protocol, scenario: record.scenario, client: client.factory, clientName: client.name, globals: record.globals, serverWrapper });
  if (!args.flags.has('quiet')) out(formatTimeline(r.trace.events()));
  out('');
  const levelOf = (id: string) => client.protocol.requirements.find((q) => q.id === id)?.level;
  for (const f of r.findings) out(findingLine(f, levelOf(f.requirement)));
  const same = r.hash === record.hash;
  out(`trace sha256 ${r.hash} — ${same ? 'the same as recorded' : `DIFFERENT from the recorded ${record.hash} (the client, lockstep or the scenario changed)`}`);
  const failed = runFailed(client.protocol, r);
  // A record of a violated SHOULD (a property run that only broke a SHOULD): NON-STRICT, never exit 1, as in check.
  const nonStrict = r.findings.filter((f) => f.verdict === 'fail' && levelOf(f.requirement) === 'SHOULD' && record.failed.includes(f.requirement)).map((f) => f.requirement);
  if (failed.length) out(`still fails: ${failed.join(', ')}`);
  else if (nonStrict.length) out(`still NON-STRICT (a SHOULD is violated): ${nonStrict.join(', ')}`);
  else out('passes now');
  return failed.length ? 1 : 0;
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildJsonReport, writeReports } from '../../conformance/reporters/index.js';
import { getProtocol, protocols } from '../../conformance/registry.js';
import { loadScenarioFile } from '../../conformance/scenario.js';
import { checkResultOf, judgeTrace, TraceJudgeError } from '../../real/judge.js';
import { allowList } from '../../real/cli.js';
import { outcomeWord } from '../../conformance/check.js';
import { parseTrace } from '../../sim/trace.js';
import { flagHelp, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { failureDetails, findingLine, requirementTable } from '../print.js';
import { toolVersion } from '../version.js';
import { parseReporters } from './check.js';

const flags: Record<string, FlagSpec> = {
  protocol: { value: true, help: 'the protocol whose checkers to run (default: the one the trace names)' },
  scenario: { value: true, help: 'the scenario the trace was recorded under (its requirements and network tolerance)' },
  report: { value: true, help: 'write the reports (report.json, junit.xml) into this directory' },
  reporter: { value: true, help: 'with --report: only these reporters, comma-separated' },
  'allow-not-exercised': { value: true, help: 'REQ[,REQ...]: MUST requirements the client knowingly does not exercise (as lockstep check)' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep judge`. */
export const judgeHelp = `lockstep judge TRACE.jsonl --protocol P [--scenario FILE] [--report DIR]

Runs the protocol's checkers on a recorded trace — written by lockstep serve, by
lockstep check --real, or by lockstep run --trace — and prints a verdict per requirement,
as lockstep check does. Requirements that read what the client showed its user are
not exercised unless the client reported snapshots (POST /__lockstep/snapshot).

${flagHelp(flags)}

Exit codes: 0 every MUST client requirement was exercised and passed, 1 a requirement failed,
2 bad input, 3 inconclusive (nothing failed, but a MUST client requirement was never exercised).`;

/** `lockstep judge`. */
export async function judgeCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'judge');
  if (args.flags.has('help')) {
    out(judgeHelp);
    return 0;
  }
  if (args.positionals.length !== 1)
    throw new UsageError('lockstep judge: expected exactly one trace file (written by lockstep serve --trace FILE)');
  const file = args.positionals[0]!;
  const reporterList = parseReporters(stringFlag(args, 'reporter'), 'judge');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`lockstep judge: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let events;
  try {
    events = parseTrace(text, file);
  } catch (e) {
    throw new UsageError(`lockstep judge: ${(e as Error).message}`);
  }
  const scenarioFile = stringFlag(args, 'scenario');
  const scenario = scenarioFile ? loadScenarioFile(scenarioFile, protocols) : undefined;
  const named = events.find((e) => e.ev === 'sim.start')?.protocol;
  const protocolName = stringFlag(args, 'protocol') ?? scenario?.protocol ?? (typeof named === 'string' ? named : undefined);
  if (!protocolName)
    throw new UsageError(
      `lockstep judge: which protocol? the trace does not name one; pass --protocol (${[...protocols.keys()].join(', ')})`,
    );
  const protocol = getProtocol(protocolName);
  if (scenario && scenario.protocol !== protocol.name)
    throw new UsageError(`lockstep judge: ${scenarioFile} is a ${scenario.protocol} scenario, but --protocol is ${protocol.name}`);
  let j;
  try {
    j = judgeTrace(events, protocol, file, scenario);
  } catch (e) {
    if (e instanceof TraceJudgeError) throw new UsageError(`lockstep judge: ${e.message}`);
    throw e;
  }
  const start = events.find((e) => e.ev === 'sim.start')!;
  out(
    `== ${file} — ${protocol.name}, ${start.mode === 'real' ? 'real-socket' : 'simulated'} trace of ${events.length} steps, faults lifted at ${(j.healAt / 1000).toFixed(1)} s, ended at ${(j.endAt / 1000).toFixed(1)} s`,
  );
  for (const n of j.notes) out(`note: ${n}`);
  out('');
  for (const f of j.findings) out(findingLine(f, protocol.requirements.find((q) => q.id === f.requirement)?.level));
  const hash = createHash('sha256').update(text).digest('hex');
  const result = checkResultOf(
    protocol,
    `trace:${file}`,
    [
      {
        index: 0,
        name: j.scenario.name,
        file: scenarioFile ?? file,
        hash,
        findings: j.findings,
        replay: `lockstep judge ${file} --protocol ${protocol.name}`,
        wallMs: 0,
      },
    ],
    0,
    allowList(stringFlag(args, 'allow-not-exercised'), protocol),
  );
  out('');
  out(requirementTable(result));
  const details = failureDetails(result);
  if (details) out(`\n${details}`);
  out(`\n${protocol.name} / ${file}: ${outcomeWord(result.exitCode)}\n`);
  const reportDir = stringFlag(args, 'report');
  if (reportDir) {
    const report = buildJsonReport([result], { runs: 0, seed: j.scenario.seed, globals: false }, toolVersion());
    for (const path of await writeReports({ report, dir: reportDir, results: [result] }, reporterList)) out(`report written to ${path}`);
  }
  return result.exitCode;
}

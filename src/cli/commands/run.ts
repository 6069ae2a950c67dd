import { protocols, resolveClient } from '../../conformance/registry.js';
import { resolveScenarioRef } from '../../conformance/scenario-ref.js';
import { runScenario } from '../../conformance/runner.js';
import { loadScenarioFile } from '../../conformance/scenario.js';
import { runFailed } from '../../conformance/property.js';
import { judgedFindings } from '../../conformance/check.js';
import { flagHelp, intFlag, limits, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { writeFileAtomic } from '../../conformance/atomic-write.js';
import { checkTraceFile } from '../output-file.js';
import { findingLine } from '../print.js';
import { checkServerVariant, loadServerModuleFlag, parseGuards, takeRepeated } from './check.js';
import { guardNames } from '../../sim/guard-limits.js';
import { formatTimeline } from '../timeline.js';

const flags: Record<string, FlagSpec> = {
  client: { value: true, help: 'reference (default), zoo:<protocol>/<variant>, or a module path' },
  server: { value: true, help: "a server variant instead of the scenario's server" },
  seed: { value: true, help: "override the scenario's seed" },
  trace: { value: true, help: 'write the trace (JSON Lines) to this file (one scenario only)' },
  force: { value: false, help: 'overwrite the --trace file if it exists' },
  quiet: { value: false, help: 'no timeline, verdicts only' },
  globals: { value: false, help: 'install the simulated world as globals' },
  'server-module': { value: true, help: "FILE: msw handlers (its `handlers` or default export) in front of the scenario's server (docs/adapters/msw.md)" },
  guard: { value: true, help: `NAME=N: a guard's limit, over the scenario's own; repeatable (${guardNames.join(', ')})` },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep run`. */
export const runHelp = `lockstep run SCENARIO.yaml... [--client C] [--seed S] [--trace FILE]

Runs scenarios against a client, prints the timeline of each run and its verdict per
requirement. Server requirements are marked (server) and never count against the client;
a client requirement the scenario expects to fail (its server is faulty) is not judged.

${flagHelp(flags)}

Exit codes: 0 no MUST client requirement failed and the run completed, 1 one failed or
the run broke (guard stop, client error, invalid snapshot), 2 bad input.`;

/** `lockstep run`. */
export async function runCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const guardFlag = takeRepeated(argv, 'guard', 'run');
  const args = parseArgs(guardFlag.rest, flags, 'run');
  const guards = parseGuards(guardFlag.values, 'run');
  if (args.flags.has('help')) {
    out(runHelp);
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError('lockstep run: expected at least one scenario: a file, or a shipped scenario by name (e.g. chat/tc1-normal-websocket-flow; lockstep list shows them)');
  const traceFile = stringFlag(args, 'trace');
  if (traceFile && args.positionals.length > 1) throw new UsageError('lockstep run: --trace writes one trace; give one scenario file');
  if (traceFile) checkTraceFile(traceFile, args.flags.has('force'), 'run');
  const serverModule = stringFlag(args, 'server-module');
  const serverWrapper = serverModule !== undefined ? await loadServerModuleFlag(serverModule, 'run') : undefined;
  let code = 0;
  for (const file of args.positionals) {
    const scenario = loadScenarioFile(resolveScenarioRef(file), protocols);
    if (args.flags.has('seed')) scenario.seed = intFlag(args, 'seed', scenario.seed, 'run', limits.seed);
    const client = await resolveClient(stringFlag(args, 'client'), scenario.protocol);
    const server = stringFlag(args, 'server');
    if (server !== undefined) {
      checkServerVariant(client, server);
      scenario.server = { variant: server, options: scenario.server.options };
    }
    if (Object.keys(guards).length) scenario.guards = { ...scenario.guards, ...guards };
    const r = await runScenario({ protocol: client.protocol, scenario, client: client.factory, clientName: client.name, globals: args.flags.has('globals'), serverWrapper });
    out(`== ${file} — ${client.name}${serverModule !== undefined ? `, msw handlers of ${serverModule} in front of the server` : ''}, seed ${scenario.seed}${scenario.description ? `: ${scenario.description}` : ''}`);
    if (!args.flags.has('quiet')) out(formatTimeline(r.trace.events()));
    out('');
    const judged = judgedFindings(client.protocol, scenario, r.findings);
    const subjectOf = (id: string) => client.protocol.requirements.find((q) => q.id === id)?.subject;
    for (const f of r.findings) {
      const note = subjectOf(f.requirement) === 'server' ? '  (server: not counted against the client)' : judged.includes(f) ? '' : "  (not judged: the scenario's server makes it unattainable)";
      out(`${findingLine(f, client.protocol.requirements.find((q) => q.id === f.requirement)?.level)}${note}`);
    }
    if (r.stopped) out(`stopped: ${r.stopped.message}`);
    if (r.error) out(`error: ${r.error}`);
    if (r.invalidSnapshot !== undefined) out(`invalid snapshot: ${r.invalidSnapshot}`);
    out(`trace sha256 ${r.hash}`);
    if (traceFile) {
      writeFileAtomic(traceFile, r.trace.toJsonl());
      out(`trace written to ${traceFile}`);
    }
    // Every client is judged alike: no special case for the reference.
    if (runFailed(client.protocol, { ...r, findings: judged }).length > 0) code = 1;
  }
  return code;
}

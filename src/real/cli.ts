/**
 * Command-line glue of real-socket mode: building the scenario a `serve` or a
 * `check --real` runs, and `check --real` itself.
 */
import { protocols, getProtocol } from '../conformance/registry.js';
import type { ProtocolDefinition } from '../conformance/protocol.js';
import { loadScenarioFile, resolveScenario, type ResolvedScenario } from '../conformance/scenario.js';
import { resolveScenarioRef } from '../conformance/scenario-ref.js';
import { buildJsonReport, writeReports, type Reporter } from '../conformance/reporters/index.js';
import { intFlag, limits, stringFlag, UsageError, type ParsedArgs } from '../cli/args.js';
import { readFaultPlanFile } from '../cli/fault-plan-file.js';
import { failureDetails, requirementTable } from '../cli/print.js';
import { toolVersion } from '../cli/version.js';
import { validateFaultPlan } from '../sim/faults/validate.js';
import { checkReal } from './check-real.js';
import { realFaultProblems } from './faults.js';
import { realScheduleProblems } from './limits.js';
import { join } from 'node:path';

/** The protocol and scenario of a `serve` / `check --real`, from `--protocol`, `--scenario`, `--fault-plan`, `--seed`. */
export function scenarioFromFlags(
  args: ParsedArgs,
  command: string,
  opts: { scenarioFile?: string } = {},
): { protocol: ProtocolDefinition; scenario: ResolvedScenario } {
  const protocolName = stringFlag(args, 'protocol');
  const file = opts.scenarioFile ?? stringFlag(args, 'scenario');
  let scenario: ResolvedScenario;
  if (file) {
    scenario = loadScenarioFile(resolveScenarioRef(file), protocols);
    if (protocolName && protocolName !== scenario.protocol)
      throw new UsageError(`lockstep ${command}: ${file} is a ${scenario.protocol} scenario, but --protocol is ${protocolName}`);
  } else {
    if (!protocolName)
      throw new UsageError(
        `lockstep ${command}: which protocol? pass --protocol (${[...protocols.keys()].join(', ')})${command === 'serve' ? ' or --scenario FILE' : ''}`,
      );
    getProtocol(protocolName);
    scenario = resolveScenario({ protocol: protocolName, name: 'serve' }, '(no scenario)', protocols);
    scenario.file = undefined;
  }
  const protocol = getProtocol(scenario.protocol);
  const planFile = stringFlag(args, 'fault-plan');
  if (planFile)
    scenario = { ...scenario, faults: validateFaultPlan(readFaultPlanFile(planFile, command), planFile, { clients: scenario.clients }) };
  if (args.flags.has('seed')) scenario = { ...scenario, seed: intFlag(args, 'seed', scenario.seed, command, limits.seed) };
  const problems = realFaultProblems(scenario.faults, planFile ?? file ?? 'fault plan');
  if (problems.length) throw new UsageError(problems.join('\n'));
  return { protocol, scenario };
}

/** `lockstep check --real --protocol P --client-cmd "COMMAND" --scenario FILE[,FILE…]`. */
export async function realCheckCommand(args: ParsedArgs, out: (s: string) => void, reporterList: Reporter[]): Promise<number> {
  const command = stringFlag(args, 'client-cmd');
  if (!command)
    throw new UsageError(
      'lockstep check --real: --client-cmd "COMMAND" is required (the command that starts your client; it gets LOCKSTEP_BASE_URL, LOCKSTEP_WS_URL, LOCKSTEP_TOKEN and LOCKSTEP_CONTROL_URL)',
    );
  for (const f of ['client', 'all', 'runs', 'shard', 'globals', 'server'] as const) {
    if (args.flags.has(f))
      throw new UsageError(
        `lockstep check --real: --${f} does not apply to a real-socket check (the client is --client-cmd; scenarios run once each, in wall-clock time)`,
      );
  }
  const files = (stringFlag(args, 'scenario') ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (files.length === 0) {
    throw new UsageError(
      "lockstep check --real: --scenario FILE is required: a real-socket run takes the scenario's duration + heal in wall-clock time, so pick short scenarios (several: --scenario a.yaml,b.yaml)",
    );
  }
  const runs = files.map((f) => scenarioFromFlags(args, 'check', { scenarioFile: f }));
  const tooLong = runs.flatMap((r) => realScheduleProblems(r.scenario, true, r.scenario.file ?? r.scenario.name));
  if (tooLong.length) throw new UsageError(`lockstep check --real: ${tooLong.join('\n')}`);
  const protocol = runs[0]!.protocol;
  const other = runs.find((r) => r.protocol.name !== protocol.name);
  if (other)
    throw new UsageError(
      `lockstep check --real: ${other.scenario.file} is a ${other.protocol.name} scenario, but ${runs[0]!.scenario.file} is ${protocol.name}: one protocol per check`,
    );
  const reportDir = stringFlag(args, 'report');
  const total = runs.reduce((s, r) => s + r.scenario.duration + r.scenario.heal, 0);
  out(
    `${protocol.name} / ${command}: ${runs.length} scenario${runs.length === 1 ? '' : 's'} over real sockets (${(total / 1000).toFixed(1)} s of wall-clock time plus the client's start-up)`,
  );
  const result = await checkReal({
    protocol,
    scenarios: runs.map((r) => r.scenario),
    command,
    out,
    traceDir: reportDir ? join(reportDir, 'traces') : undefined,
  });
  out('');
  out(requirementTable(result));
  const details = failureDetails(result);
  if (details) out(`\n${details}`);
  out(`\n${protocol.name} / ${result.client}: ${result.exitCode === 0 ? 'PASS' : 'FAIL'} (${(result.wallMs / 1000).toFixed(1)} s)\n`);
  if (reportDir) {
    const report = buildJsonReport([result], { runs: 0, seed: runs[0]!.scenario.seed, globals: false }, toolVersion());
    for (const path of await writeReports({ report, dir: reportDir, results: [result] }, reporterList)) out(`report written to ${path}`);
  }
  return result.exitCode;
}

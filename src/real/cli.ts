/**
 * Command-line glue of real-socket mode: building the scenario a `serve` or a
 * `check --real` runs, and `check --real` itself.
 */
import { protocols, getProtocol } from '../conformance/registry.js';
import type { ProtocolDefinition } from '../conformance/protocol.js';
import { loadScenarioFile, resolveScenario, type ResolvedScenario } from '../conformance/scenario.js';
import { resolveScenarioRef } from '../conformance/scenario-ref.js';
import { buildJsonReport, writeReports } from '../conformance/reporters/index.js';
import { flagHelp, intFlag, limits, parseArgs, stringFlag, UsageError, type FlagSpec, type ParsedArgs } from '../cli/args.js';
import { parseReporters } from '../cli/commands/check.js';
import { readFaultPlanFile } from '../cli/fault-plan-file.js';
import { failureDetails, outcomeLine, requirementTable } from '../cli/print.js';
import { toolVersion } from '../cli/version.js';
import { validateFaultPlan } from '../sim/faults/validate.js';
import { checkReal, defaultParallel } from './check-real.js';
import { applyProfile, profiles, type ProfileName } from './profile.js';
import { expandScenarioPaths, ScenarioPathError, type ScenarioPath } from './scenario-paths.js';
import { realScenarioProblems } from './faults.js';
import { tokenExpiryProblems } from './token-expiry-support.js';
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
  const problems = [
    ...realScenarioProblems(scenario, planFile ?? file ?? 'fault plan'),
    ...tokenExpiryProblems(protocol, scenario, planFile ?? file ?? 'fault plan'),
  ];
  if (problems.length) throw new UsageError(problems.join('\n'));
  return { protocol, scenario };
}

/** The flags of `lockstep check --real` (parsed here, so that real-socket mode keeps its own options). */
export const realCheckFlags: Record<string, FlagSpec> = {
  real: { value: false, help: 'check an external client over real sockets' },
  protocol: { value: true, help: 'the protocol (default: the scenarios\' own)' },
  'client-cmd': { value: true, help: 'the shell command that starts the client (it gets LOCKSTEP_* URLs in its environment)' },
  scenario: {
    value: true,
    help: 'scenario files, folders (their .yaml files) or globs (scenarios/chat/fault-*.yaml), comma-separated; repeatable',
  },
  parallel: { value: true, help: `scenarios run at once, each on its own ports with its own client processes (default ${defaultParallel})` },
  profile: { value: true, help: `${profiles.join(' or ')}: shipped durations and heals (default), or the real-time profile (docs/real-socket-mode.md)` },
  'fault-plan': { value: true, help: "a fault plan file instead of each scenario's faults" },
  seed: { value: true, help: "seed of the latency draws and the server (default: each scenario's)" },
  'allow-not-exercised': {
    value: true,
    help: 'REQ[,REQ...]: MUST requirements the client knowingly does not exercise; they do not make the check inconclusive',
  },
  report: { value: true, help: 'write report.json, junit.xml and every run\'s trace (traces/<scenario>.jsonl) into this directory' },
  reporter: { value: true, help: 'with --report: only these reporters, comma-separated' },
  help: { value: false, help: 'show this help' },
};

/** Flags of the simulated `check` that have no meaning over real sockets, and why. */
const simulatedOnly = ['client', 'all', 'runs', 'shard', 'globals', 'server', 'workers', 'guard', 'step-timeout', 'run-timeout', 'max-heap', 'client-errors'];

/** Help of `lockstep check --real`. */
export const realCheckHelp = `lockstep check --real --client-cmd "COMMAND" --scenario FILE|DIR|GLOB [--parallel N] [--profile real-time] [--report DIR]

Runs the client command against the protocol's reference server over real sockets, once
per scenario (several at once: --parallel), and judges each run's trace with the
protocol's checkers. See docs/real-socket-mode.md.

${flagHelp(realCheckFlags)}

Exit codes: 0 every MUST client requirement was exercised and passed; 1 one failed (or a
client never started); 2 bad input; 3 inconclusive: nothing failed, but a MUST client
requirement was never exercised.`;

/** `--scenario` values: every occurrence of the flag (it is repeatable). */
function scenarioValues(argv: readonly string[]): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--scenario') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`lockstep check --real: --scenario expects a value (${realCheckFlags.scenario!.help})`);
      values.push(v);
      i++;
    } else if (a.startsWith('--scenario=')) values.push(a.slice('--scenario='.length));
    else rest.push(a);
  }
  return { values, rest };
}

/** `lockstep check --real --protocol P --client-cmd "COMMAND" --scenario FILE|DIR|GLOB …`, from the command's arguments. */
export async function realCheckCommand(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const { values, rest } = scenarioValues(argv);
  for (const f of simulatedOnly) {
    if (rest.some((a) => a === `--${f}` || a.startsWith(`--${f}=`)))
      throw new UsageError(
        `lockstep check --real: --${f} does not apply to a real-socket check (the client is --client-cmd; scenarios run once each, in wall-clock time)`,
      );
  }
  const args = parseArgs(rest, realCheckFlags, 'check --real');
  if (args.flags.has('help')) {
    out(realCheckHelp);
    return 0;
  }
  if (args.positionals.length)
    throw new UsageError(`lockstep check --real: unexpected argument "${args.positionals[0]}" (scenarios go with --scenario)`);
  const command = stringFlag(args, 'client-cmd');
  if (!command)
    throw new UsageError(
      'lockstep check --real: --client-cmd "COMMAND" is required (the command that starts your client; it gets LOCKSTEP_BASE_URL, LOCKSTEP_WS_URL, LOCKSTEP_TOKEN and LOCKSTEP_CONTROL_URL)',
    );
  const reporterList = parseReporters(stringFlag(args, 'reporter'), 'check');
  const profileName = stringFlag(args, 'profile') ?? 'shipped';
  if (!(profiles as readonly string[]).includes(profileName))
    throw new UsageError(`lockstep check --real: --profile expects ${profiles.join(' or ')}, found "${profileName}"`);
  const parallel = intFlag(args, 'parallel', defaultParallel, 'check --real', { value: 256, why: 'client processes at once' });
  if (parallel === 0) throw new UsageError('lockstep check --real: --parallel expects at least 1, found 0');
  let files: ScenarioPath[];
  try {
    files = expandScenarioPaths(values);
  } catch (e) {
    if (e instanceof ScenarioPathError) throw new UsageError(`lockstep check --real: ${e.message}`);
    throw e;
  }
  if (files.length === 0) {
    throw new UsageError(
      "lockstep check --real: --scenario FILE|DIR|GLOB is required: a real-socket run takes the scenario's duration + heal in wall-clock time, so pick short scenarios or --profile real-time (several: --scenario a.yaml,b.yaml or a folder)",
    );
  }
  // A scenario found in a folder or by a glob that real sockets cannot realise (an
  // app-background or storage-failure fault, a device clock) is skipped with a note; one
  // named on its own is bad input.
  const skipped: string[] = [];
  const runs = files.flatMap((f) => {
    if (!f.named) {
      const problems = realScenarioProblems(loadScenarioFile(resolveScenarioRef(f.file), protocols), f.file);
      if (problems.length) {
        skipped.push(...problems);
        return [];
      }
    }
    const r = scenarioFromFlags(args, 'check', { scenarioFile: f.file });
    return [{ ...r, scenario: applyProfile(r.scenario, profileName as ProfileName) }];
  });
  for (const s of skipped) out(`skipped ${s}`);
  if (runs.length === 0) throw new UsageError('lockstep check --real: none of the scenarios can run over real sockets (see the lines above)');
  const tooLong = runs.flatMap((r) => realScheduleProblems(r.scenario, true, r.scenario.file ?? r.scenario.name));
  if (tooLong.length) throw new UsageError(`lockstep check --real: ${tooLong.join('\n')}`);
  const protocol = runs[0]!.protocol;
  const other = runs.find((r) => r.protocol.name !== protocol.name);
  if (other)
    throw new UsageError(
      `lockstep check --real: ${other.scenario.file} is a ${other.protocol.name} scenario, but ${runs[0]!.scenario.file} is ${protocol.name}: one protocol per check`,
    );
  const allowNotExercised = allowList(stringFlag(args, 'allow-not-exercised'), protocol);
  const reportDir = stringFlag(args, 'report');
  const total = runs.reduce((s, r) => s + r.scenario.duration + r.scenario.heal, 0);
  const width = Math.min(parallel, runs.length);
  out(
    `${protocol.name} / ${command}: ${runs.length} scenario${runs.length === 1 ? '' : 's'} over real sockets${profileName === 'real-time' ? ' (real-time profile)' : ''}, ${width} at a time (${(total / 1000).toFixed(1)} s of wall-clock time in all, plus the client's start-up)`,
  );
  const result = await checkReal({
    protocol,
    scenarios: runs.map((r) => r.scenario),
    command,
    out,
    parallel,
    allowNotExercised,
    traceDir: reportDir ? join(reportDir, 'traces') : undefined,
  });
  out('');
  out(requirementTable(result));
  const details = failureDetails(result);
  if (details) out(`\n${details}`);
  out(`\n${outcomeLine(result)}\n`);
  if (reportDir) {
    const report = buildJsonReport(
      [result],
      { runs: 0, seed: runs[0]!.scenario.seed, globals: false, ...(allowNotExercised.length ? { allowNotExercised } : {}) },
      toolVersion(),
    );
    for (const path of await writeReports({ report, dir: reportDir, results: [result] }, reporterList)) out(`report written to ${path}`);
  }
  return result.exitCode;
}

/** `--allow-not-exercised A,B`: requirement ids of the protocol; an unknown one is bad input naming the valid ones. */
export function allowList(v: string | undefined, protocol: ProtocolDefinition): string[] {
  if (v === undefined) return [];
  const ids = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const known = protocol.requirements.map((q) => q.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length || ids.length === 0)
    throw new UsageError(
      `--allow-not-exercised expects requirement ids of ${protocol.name} (${known.join(', ')}), found ${unknown.length ? unknown.map((u) => `"${u}"`).join(', ') : `"${v}"`}`,
    );
  return [...new Set(ids)];
}

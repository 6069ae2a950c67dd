import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaultLimits } from '../../conformance/isolation/limits.js';
import { userPath } from '../../conformance/command-line.js';
import { stageReportDir } from '../output-dir.js';
import { checkClient, outcomeWord, planCheck, scenarioFilesOf, worstExitCode, type ClientCheckResult } from '../../conformance/check.js';
import { loadScenarioFile } from '../../conformance/scenario.js';
import { scenarioRef } from '../../conformance/scenario-ref.js';
import { buildGithubAnnotations, buildJsonReport, createReporters, inGithubActions, reporters, streamReporters, writeReports, type Reporter } from '../../conformance/reporters/index.js';
import { protocols, resolveClient, type ResolvedClient } from '../../conformance/registry.js';
import { flagHelp, intFlag, limits, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { ScenarioError } from '../../conformance/scenario.js';
import { guardNames, parseGuardFlags, type GuardLimits } from '../../sim/guard-limits.js';
import { failureDetails, outcomeLine, requirementTable } from '../print.js';
import { requirementFilter, scenarioFilter } from '../check-filters.js';
import { clientProgress, progressBar } from '../progress.js';
import { paintFor, plain, verdictStyle } from '../style.js';
import { toolVersion } from '../version.js';
import { realCheckCommand } from '../../real/cli.js';
import { loadServerModule, ServerModuleError, type ServerWrapper } from '../../conformance/server-module.js';

const flags: Record<string, FlagSpec> = {
  protocol: { value: true, help: 'the protocol to check (chat, ...)' },
  all: { value: false, help: 'check every protocol (reference clients)' },
  client: { value: true, help: 'reference (default), zoo:<protocol>/<variant>, or a module path' },
  server: { value: true, help: 'a server variant to run against (lockstep list shows them; default: reference)' },
  runs: { value: true, help: 'property runs per client (default 1000; 0: scenarios only)' },
  seed: { value: true, help: 'seed of the property runs (default 1)' },
  report: { value: true, help: `write every reporter's file (${Object.keys(reporters).join(', ')}) and failure records into this directory` },
  reporter: {
    value: true,
    help: `only these reporters, comma-separated: ${Object.keys(reporters).join(', ')} write files into --report DIR; github prints workflow annotations (default: every file reporter, plus github when GITHUB_ACTIONS=true)`,
  },
  requirement: { value: true, help: 'ID: judge only this requirement (repeatable, or comma-separated; scenarios that do not list it are skipped)' },
  shard: { value: true, help: 'i/n: run only shard i of n (1-based) of the scenarios and property runs' },
  globals: { value: false, help: 'install the simulated world as globals (clients written against globals)' },
  'server-module': { value: true, help: "FILE: msw handlers (its `handlers` or default export) in front of the scenario's server; what they leave falls through to it (docs/adapters/msw.md)" },
  'allow-not-exercised': {
    value: true,
    help: 'REQ[,REQ...]: MUST requirements the client knowingly does not exercise (a feature it lacks); they do not make the check inconclusive',
  },
  guard: {
    value: true,
    help: `NAME=N: raise (or lower) a guard's limit for every run; repeatable (${guardNames.join(', ')}; e.g. --guard timer-storm=2000)`,
  },
  workers: { value: true, help: `worker threads that run the client, isolated from lockstep (default: one per core, here ${defaultWorkers()}; 0: in lockstep's own thread, no isolation)` },
  'step-timeout': { value: true, help: `MS of wall time one simulation step of the client may take before it is stopped as hung (default ${defaultLimits.stepTimeoutMs})` },
  'run-timeout': { value: true, help: `MS of wall time one run may take (default ${defaultLimits.runTimeoutMs})` },
  'max-heap': { value: true, help: `MB of heap a worker may use before the client is stopped as out of memory (default ${defaultLimits.maxHeapMb})` },
  force: { value: false, help: 'with --report: replace a folder that holds files lockstep did not write' },
  'client-errors': { value: true, help: 'fail (default) or warn: whether exceptions thrown by client code fail the check' },
  real: { value: false, help: 'check an external client over real sockets (with --client-cmd and --scenario; docs/real-socket-mode.md)' },
  'client-cmd': { value: true, help: 'with --real: the shell command that starts the client (it gets LOCKSTEP_* URLs in its environment)' },
  scenario: { value: true, help: 'NAME or FILE: run only this scenario (repeatable, or comma-separated; --runs then defaults to 0); with --real: the scenario file(s) to run' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep check`. */
export const checkHelp = `lockstep check [--protocol P | --all] [--client C] [--runs N] [--seed S] [--report DIR] [--shard i/n]

Runs a client through the protocol's scenarios and N property runs (fast-check draws
user actions and fault plans; a failure is shrunk to a minimal plan and written as a
replayable record), then prints a verdict per requirement.

${flagHelp(flags)}

Exit codes (the worst over all clients, in this order of precedence):
  2  bad input (a message names the file or flag, what was expected and what was found;
     also a check that would run no scenario and no property run)
  1  a MUST requirement failed, or a run broke (a guard stopped a runaway client, the
     client could not start, threw, hung, ran out of memory or called process.exit,
     a snapshot broke the protocol's snapshot schema)
  3  inconclusive: nothing failed, but a MUST requirement was never exercised — the
     check cannot tell whether the client meets it (CI must not read this as success;
     --allow-not-exercised names features the client knowingly lacks)
  0  every MUST requirement was exercised and passed
Server requirements (the server's behaviour) are shown apart and never count.`;

/** `lockstep check`. */
export async function checkCommand(argv: string[], out: (s: string) => void): Promise<number> {
  // Real-socket mode parses its own flags.
  if (argv.includes('--real')) return realCheckCommand(argv, out);
  const guardFlag = takeRepeated(argv, 'guard', 'check');
  const requirementFlag = takeRepeated(guardFlag.rest, 'requirement', 'check', 'CHAT-2');
  const scenarioFlag = takeRepeated(requirementFlag.rest, 'scenario', 'check', 'tc1-normal-websocket-flow');
  const args = parseArgs(scenarioFlag.rest, flags, 'check');
  if (args.flags.has('help')) {
    out(checkHelp);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`lockstep check: unexpected argument "${args.positionals[0]}" (scenario files go to lockstep run, or to --scenario)`);
  if (args.flags.has('client-cmd')) throw new UsageError('lockstep check: --client-cmd goes with --real');
  const runs = intFlag(args, 'runs', scenarioFlag.values.length ? 0 : 1000, 'check', limits.runs);
  const seed = intFlag(args, 'seed', 1, 'check', limits.seed);
  const workers = intFlag(args, 'workers', defaultWorkers(), 'check', { value: 256, why: 'threads of one process' });
  const isolation = {
    stepTimeoutMs: intFlag(args, 'step-timeout', defaultLimits.stepTimeoutMs, 'check', limits.duration) || defaultLimits.stepTimeoutMs,
    runTimeoutMs: intFlag(args, 'run-timeout', defaultLimits.runTimeoutMs, 'check', limits.duration) || defaultLimits.runTimeoutMs,
    maxHeapMb: intFlag(args, 'max-heap', defaultLimits.maxHeapMb, 'check', { value: 1_048_576, why: 'one TiB' }) || defaultLimits.maxHeapMb,
  };
  const clientErrors = (stringFlag(args, 'client-errors') ?? 'fail') as 'fail' | 'warn';
  if (clientErrors !== 'fail' && clientErrors !== 'warn') throw new UsageError(`lockstep check: --client-errors expects fail or warn, found "${clientErrors}"`);
  const shard = parseShard(stringFlag(args, 'shard'));
  const reportDir = stringFlag(args, 'report');
  const reporterNames = stringFlag(args, 'reporter');
  const reporterList = parseReporters(reporterNames, 'check');
  const github = reporterNames === undefined ? inGithubActions() : reporterNames.split(',').some((n) => n.trim() === 'github');
  const protocolName = stringFlag(args, 'protocol');
  const all = args.flags.has('all');
  if (all && protocolName) throw new UsageError('lockstep check: give either --protocol or --all, not both');
  const clientSpec = stringFlag(args, 'client');
  if (all && clientSpec && clientSpec !== 'reference') throw new UsageError('lockstep check --all checks the reference clients; use --protocol P --client C for one client');
  if (!all && !protocolName && !clientSpec) throw new UsageError(`lockstep check: which protocol? pass --protocol (${[...protocols.keys()].join(', ')}) or --all`);

  const resolved: ResolvedClient[] = all ? await Promise.all([...protocols.keys()].map((p) => resolveClient('reference', p))) : [await resolveClient(clientSpec, protocolName)];
  const onlyRequirements = requirementFilter(requirementFlag.values, resolved);
  const onlyScenarios = scenarioFilter(scenarioFlag.values, resolved);
  // With filters, a client whose protocol none of them names is not checked at all.
  const clients = resolved.filter((c) => (!onlyRequirements || onlyRequirements.has(c.protocol.name)) && (!onlyScenarios || onlyScenarios.has(c.protocol.name)));
  if (!clients.length) throw new UsageError('lockstep check: --requirement and --scenario name no protocol in common: nothing to check');
  const scenarioFilesFor = (c: ResolvedClient): string[] | undefined => {
    const files = onlyScenarios?.get(c.protocol.name);
    const ids = onlyRequirements?.get(c.protocol.name);
    if (!ids) return files;
    // A scenario that judges none of the requirements asked for would only cost time.
    return (files ?? scenarioFilesOf(c.protocol.name)).filter((f) => loadScenarioFile(f, protocols).requirements.some((id) => ids.includes(id)));
  };
  const allowNotExercised = parseAllowList(stringFlag(args, 'allow-not-exercised'), clients);
  const guards = parseGuards(guardFlag.values, 'check');
  // Everything that would make a check run nothing is bad input, found before any client runs.
  for (const client of clients) {
    try {
      planCheck({ client, runs, shard, scenarioFiles: scenarioFilesFor(client) });
    } catch (e) {
      if (e instanceof ScenarioError) throw new UsageError(`lockstep check: nothing to run for ${client.protocol.name} / ${client.name}: ${e.problems[0]!.found}; expected ${e.problems[0]!.expected}`);
      throw e;
    }
  }
  const server = stringFlag(args, 'server');
  if (server !== undefined) {
    if (all) throw new UsageError('lockstep check: --server needs --protocol (server variants belong to one protocol)');
    checkServerVariant(clients[0]!, server);
  }
  const serverModule = stringFlag(args, 'server-module');
  if (serverModule !== undefined) {
    if (all) throw new UsageError('lockstep check: --server-module needs --protocol (msw handlers serve one protocol)');
    // Loaded here once, so a bad module is bad input before any worker starts; workers load it again themselves.
    await loadServerModuleFlag(serverModule, 'check');
  }
  // The report folder is checked before any work and written beside its final place, then
  // swapped in whole: a kill at any moment leaves the previous report set or the new one.
  const staged = reportDir ? stageReportDir(reportDir, { force: args.flags.has('force'), command: 'check' }) : undefined;
  try {
    return await runChecks();
  } catch (e) {
    staged?.abort();
    throw e;
  }

  async function runChecks(): Promise<number> {
  const startedAt = new Date();
  const results: ClientCheckResult[] = [];
  // A progress bar redrawn in place on a terminal; a line per client when it ends otherwise (CI logs).
  const tty = out === console.log && !!process.stdout.isTTY;
  const paint = out === console.log ? paintFor(process.stdout) : plain;
  const width = tty ? process.stdout.columns : undefined;
  const failureDir = staged ? join(staged.stage, 'failures') : join('reports', 'failures');
  const failureDirShownAs = reportDir ? join(reportDir, 'failures') : undefined;
  for (const client of clients) {
    const scenarioFiles = scenarioFilesFor(client);
    const requirements = onlyRequirements?.get(client.protocol.name);
    const plan = planCheck({ client, runs, shard, scenarioFiles });
    const label = `${client.protocol.name} / ${client.name}`;
    out(
      paint(
        'bold',
        `${label}${server ? ` against server ${server}` : ''}: ${plan.scenarios} scenarios and ${plan.propertyRuns} property runs${shard ? ` (shard ${shard.index + 1}/${shard.count})` : ''}${requirements ? `, judging only ${requirements.join(', ')}` : ''}`,
      ),
    );
    const progress = clientProgress(label, { tty, write: (s) => process.stdout.write(s), line: out, paint });
    const result = await checkClient(
      {
        client,
        runs,
        seed,
        failureDir,
        failureDirShownAs,
        globals: args.flags.has('globals'),
        ...(serverModule !== undefined ? { serverModule } : {}),
        server: server === 'reference' ? undefined : server,
        shard,
        allowNotExercised: allowNotExercised.filter((id) => client.protocol.requirements.some((q) => q.id === id)),
        guards,
        workers,
        limits: isolation,
        clientErrors,
        ...(scenarioFiles ? { scenarioFiles } : {}),
        ...(requirements ? { requirements } : {}),
        onProgress: (done, total, failures) => progress.progress(done, total, failures),
        onShrink: (step) => progress.shrink(step),
      },
      protocols,
    );
    progress.end(result);
    results.push(result);
    if (reportDir) for (const r of reporterList) await r.onClientResult?.(result);
    out('');
    out(requirementTable(result, { paint, width }));
    const details = failureDetails(result, paint);
    if (details) out(`\n${details}`);
    out(`\n${outcomeLine(result, paint)}\n`);
  }
  if (results.length > 1) out(`${verdictSummary(results, paint)}\n`);
  const options = {
    runs,
    seed,
    shard,
    globals: args.flags.has('globals'),
    ...(allowNotExercised.length ? { allowNotExercised } : {}),
    ...(Object.keys(guards).length ? { guards } : {}),
    ...(onlyRequirements ? { requirements: [...onlyRequirements.values()].flat() } : {}),
    ...(onlyScenarios ? { scenarios: [...onlyScenarios.values()].flat().map((f) => userPath(scenarioRef(f))) } : {}),
  };
  if (github) {
    const annotations = buildGithubAnnotations(buildJsonReport(results, options, toolVersion()));
    if (annotations) out(annotations);
  }
  if (reportDir) {
    const report = buildJsonReport(results, options, toolVersion());
    const written = await writeReports({ report, dir: reportDir, results, startedAt, staged: staged && { final: staged.final, stage: staged.stage } }, reporterList);
    staged!.commit();
    for (const path of written) out(`report written to ${userPath(path)}`);
  }
  return worstExitCode(results.map((r) => r.exitCode));
  }
}

export { progressBar };

/**
 * The closing summary: per client, its result (PASS, FAIL, INCONCLUSIVE), how many of its
 * client requirements got each verdict, which failed and which MUST ones no run exercised.
 * Server requirements are not counted: they judge the server.
 */
export function verdictSummary(results: readonly ClientCheckResult[], paint = plain): string {
  const verdicts = ['pass', 'fail', 'non-strict', 'not-exercised'] as const;
  const head = ['protocol / client', 'result', 'PASS', 'FAIL', 'NON-STRICT', 'NOT-EXERCISED', 'failed or non-strict', 'never exercised (MUST)'];
  const clientReqs = (r: ClientCheckResult) => r.requirements.filter((q) => q.subject !== 'server');
  const rows = results.map((r) => [
    `${r.protocol} / ${r.client}${r.server ? ` vs ${r.server}` : ''}`,
    outcomeWord(r.exitCode),
    ...verdicts.map((v) => String(clientReqs(r).filter((q) => q.verdict === v).length)),
    clientReqs(r)
      .filter((q) => q.verdict === 'fail' || q.verdict === 'non-strict')
      .map((q) => q.id)
      .join(', ') || '-',
    (r.inconclusive ?? []).join(', ') || '-',
  ]);
  const total = [
    'total',
    outcomeWord(worstExitCode(results.map((r) => r.exitCode))),
    ...verdicts.map((v) => String(results.reduce((n, r) => n + clientReqs(r).filter((q) => q.verdict === v).length, 0))),
    '',
    '',
  ];
  const all = [head, ...rows, total];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const numeric = (i: number) => i >= 2 && i < 6;
  const line = (row: string[], isHead = false): string =>
    row
      .map((c, i) => {
        const padded = numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
        return i === 1 && !isHead && c ? paint(verdictStyle(c), padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [
    `Summary of ${results.length} clients (PASS … NOT-EXERCISED count client requirements by verdict; server requirements are not counted):`,
    line(head, true),
    ...rows.map((r) => line(r)),
    line(total),
  ].join('\n');
}

/**
 * Takes every occurrence of a repeatable flag (`--guard a=1 --guard=b=2`) out of `argv`:
 * its values, and the arguments left for the ordinary parser.
 */
export function takeRepeated(argv: readonly string[], name: string, command: string, example = 'timer-storm=2000'): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === `--${name}`) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`lockstep ${command}: --${name} expects a value (e.g. --${name} ${example})`);
      values.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
    else rest.push(a);
  }
  return { values, rest };
}

/** `--guard NAME=N` values as guard limits; a bad one is bad input. */
export function parseGuards(values: readonly string[], command: string): GuardLimits {
  try {
    return parseGuardFlags(values);
  } catch (e) {
    throw new UsageError(`lockstep ${command}: ${(e as Error).message}`);
  }
}

/** `--allow-not-exercised A,B`: requirement ids of the clients' protocols; an unknown id is bad input naming the valid ones. */
function parseAllowList(v: string | undefined, clients: readonly ResolvedClient[]): string[] {
  if (v === undefined) return [];
  const ids = v.split(',').map((x) => x.trim()).filter(Boolean);
  const known = clients.flatMap((c) => c.protocol.requirements.map((q) => q.id));
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length || ids.length === 0)
    throw new UsageError(
      `lockstep check: --allow-not-exercised expects requirement ids of ${clients.map((c) => c.protocol.name).join(', ')} (${known.join(', ')}), found ${unknown.length ? unknown.map((u) => `"${u}"`).join(', ') : `"${v}"`}`,
    );
  return [...new Set(ids)];
}

/**
 * `--reporter a,b`: the named file reporters (default: all); `github` is accepted and left
 * out (it prints to stdout, see {@link buildGithubAnnotations}); an unknown name is bad
 * input that names the reporters there are.
 */
export function parseReporters(v: string | undefined, command: string): Reporter[] {
  const names = v === undefined ? undefined : v.split(',').map((n) => n.trim()).filter(Boolean);
  const known = [...Object.keys(reporters), ...streamReporters];
  const unknown = names?.find((n) => !known.includes(n));
  if (unknown !== undefined || names?.length === 0) throw new UsageError(`lockstep ${command}: --reporter expects names of reporters (${known.join(', ')}), found "${v}"`);
  return createReporters(names?.filter((n) => Object.hasOwn(reporters, n)));
}

function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`lockstep check: --shard expects i/n with 1 ≤ i ≤ n (e.g. 2/4), found "${v}"`);
  return { index: Number(m[1]) - 1, count: Number(m[2]) };
}

/** Loads `--server-module FILE`; a module that cannot serve is bad input (exit 2) whose message names the file. */
export async function loadServerModuleFlag(spec: string, command: string): Promise<ServerWrapper> {
  try {
    return await loadServerModule(spec);
  } catch (e) {
    if (e instanceof ServerModuleError) throw new UsageError(`lockstep ${command}: ${e.message}`);
    throw e;
  }
}

/** Rejects a server variant the protocol does not have. */
export function checkServerVariant(client: ResolvedClient, server: string): void {
  const known = ['reference', ...Object.keys(client.protocol.serverVariants)];
  if (!known.includes(server)) throw new UsageError(`lockstep: unknown server variant "${server}" of ${client.protocol.name} (expected one of ${known.join(', ')})`);
}

/** One worker per core the process may use. */
function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 16));
}

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaultLimits } from '../../conformance/isolation/limits.js';
import { userPath } from '../../conformance/command-line.js';
import { stageReportDir } from '../output-dir.js';
import { checkClient, outcomeWord, planCheck, worstExitCode, type ClientCheckResult } from '../../conformance/check.js';
import { buildJsonReport, createReporters, reporters, writeReports } from '../../conformance/reporters/index.js';
import { protocols, resolveClient, type ResolvedClient } from '../../conformance/registry.js';
import { flagHelp, intFlag, limits, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { ScenarioError } from '../../conformance/scenario.js';
import { guardNames, parseGuardFlags, type GuardLimits } from '../../sim/guard-limits.js';
import { failureDetails, outcomeLine, requirementTable } from '../print.js';
import { toolVersion } from '../version.js';
import { realCheckCommand } from '../../real/cli.js';

const flags: Record<string, FlagSpec> = {
  protocol: { value: true, help: 'the protocol to check (chat, ...)' },
  all: { value: false, help: 'check every protocol (reference clients)' },
  client: { value: true, help: 'reference (default), zoo:<protocol>/<variant>, or a module path' },
  server: { value: true, help: 'a server variant to run against (lockstep list shows them; default: reference)' },
  runs: { value: true, help: 'property runs per client (default 1000; 0: scenarios only)' },
  seed: { value: true, help: 'seed of the property runs (default 1)' },
  report: { value: true, help: `write every reporter's file (${Object.keys(reporters).join(', ')}) and failure records into this directory` },
  reporter: { value: true, help: `with --report: only these reporters, comma-separated (${Object.keys(reporters).join(', ')})` },
  shard: { value: true, help: 'i/n: run only shard i of n (1-based) of the scenarios and property runs' },
  globals: { value: false, help: 'install the simulated world as globals (clients written against globals)' },
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
  scenario: { value: true, help: 'with --real: the scenario file(s) to run, comma-separated' },
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
  const guardFlag = takeRepeated(argv, 'guard', 'check');
  const args = parseArgs(guardFlag.rest, flags, 'check');
  if (args.flags.has('help')) {
    out(checkHelp);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`lockstep check: unexpected argument "${args.positionals[0]}" (scenario files go to lockstep run)`);
  if (args.flags.has('real')) return realCheckCommand(args, out, parseReporters(stringFlag(args, 'reporter'), 'check'));
  if (args.flags.has('client-cmd') || args.flags.has('scenario')) throw new UsageError('lockstep check: --client-cmd and --scenario go with --real');
  const runs = intFlag(args, 'runs', 1000, 'check', limits.runs);
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
  const reporterList = parseReporters(stringFlag(args, 'reporter'), 'check');
  const protocolName = stringFlag(args, 'protocol');
  const all = args.flags.has('all');
  if (all && protocolName) throw new UsageError('lockstep check: give either --protocol or --all, not both');
  const clientSpec = stringFlag(args, 'client');
  if (all && clientSpec && clientSpec !== 'reference') throw new UsageError('lockstep check --all checks the reference clients; use --protocol P --client C for one client');
  if (!all && !protocolName && !clientSpec) throw new UsageError(`lockstep check: which protocol? pass --protocol (${[...protocols.keys()].join(', ')}) or --all`);

  const clients: ResolvedClient[] = all ? await Promise.all([...protocols.keys()].map((p) => resolveClient('reference', p))) : [await resolveClient(clientSpec, protocolName)];
  const allowNotExercised = parseAllowList(stringFlag(args, 'allow-not-exercised'), clients);
  const guards = parseGuards(guardFlag.values, 'check');
  // Everything that would make a check run nothing is bad input, found before any client runs.
  for (const client of clients) {
    try {
      planCheck({ client, runs, shard });
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
  const results: ClientCheckResult[] = [];
  // A progress bar redrawn in place on a terminal; plain lines every 2 s otherwise (CI logs).
  const tty = out === console.log && !!process.stdout.isTTY;
  const failureDir = staged ? join(staged.stage, 'failures') : join('reports', 'failures');
  const failureDirShownAs = reportDir ? join(reportDir, 'failures') : undefined;
  for (const client of clients) {
    const started = Date.now();
    let lastPrint = 0;
    const plan = planCheck({ client, runs, shard });
    out(`${client.protocol.name} / ${client.name}${server ? ` against server ${server}` : ''}: ${plan.scenarios} scenarios and ${plan.propertyRuns} property runs${shard ? ` (shard ${shard.index + 1}/${shard.count})` : ''}`);
    const result = await checkClient(
      {
        client,
        runs,
        seed,
        failureDir,
        failureDirShownAs,
        globals: args.flags.has('globals'),
        server: server === 'reference' ? undefined : server,
        shard,
        allowNotExercised: allowNotExercised.filter((id) => client.protocol.requirements.some((q) => q.id === id)),
        guards,
        workers,
        limits: isolation,
        clientErrors,
        onProgress: (done, total, failures) => {
          const now = Date.now();
          const status = `${done}/${total} runs, ${failures} failing, ${((now - started) / 1000).toFixed(1)} s`;
          if (tty) {
            if (done === total || now - lastPrint > 100) {
              lastPrint = now;
              process.stdout.write(`\r  ${client.protocol.name} ${progressBar(done, total)} ${status}\x1b[K${done === total ? '\n' : ''}`);
            }
          } else if (done === total || now - lastPrint > 2000) {
            lastPrint = now;
            out(`  ${client.protocol.name}: ${status}`);
          }
        },
      },
      protocols,
    );
    results.push(result);
    if (reportDir) for (const r of reporterList) await r.onClientResult?.(result);
    out('');
    out(requirementTable(result));
    const details = failureDetails(result);
    if (details) out(`\n${details}`);
    out(`\n${outcomeLine(result)}\n`);
  }
  if (results.length > 1) out(`${verdictSummary(results)}\n`);
  if (reportDir) {
    const report = buildJsonReport(
      results,
      {
        runs,
        seed,
        shard,
        globals: args.flags.has('globals'),
        ...(allowNotExercised.length ? { allowNotExercised } : {}),
        ...(Object.keys(guards).length ? { guards } : {}),
      },
      toolVersion(),
    );
    const written = await writeReports({ report, dir: reportDir, results, staged: staged && { final: staged.final, stage: staged.stage } }, reporterList);
    staged!.commit();
    for (const path of written) out(`report written to ${userPath(path)}`);
  }
  return worstExitCode(results.map((r) => r.exitCode));
  }
}

/** `[#######---------]`: runs done of the total. */
export function progressBar(done: number, total: number, width = 24): string {
  const full = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/**
 * The closing summary: per client, its result (PASS, FAIL, INCONCLUSIVE), how many of its
 * client requirements got each verdict, which failed and which MUST ones no run exercised.
 * Server requirements are not counted: they judge the server.
 */
export function verdictSummary(results: readonly ClientCheckResult[]): string {
  const verdicts = ['pass', 'fail', 'non-strict', 'not-exercised'] as const;
  const head = ['protocol / client', 'result', 'PASS', 'FAIL', 'NON-STRICT', 'NOT-EXERCISED', 'failing', 'never exercised (MUST)'];
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
  const line = (row: string[]): string =>
    row
      .map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return ['Summary (client requirements by verdict; server requirements are not counted):', line(head), ...rows.map(line), line(total)].join('\n');
}

/**
 * Takes every occurrence of a repeatable flag (`--guard a=1 --guard=b=2`) out of `argv`:
 * its values, and the arguments left for the ordinary parser.
 */
export function takeRepeated(argv: readonly string[], name: string, command: string): { values: string[]; rest: string[] } {
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
      if (v === undefined || v.startsWith('--')) throw new UsageError(`lockstep ${command}: --${name} expects a value (e.g. --${name} timer-storm=2000)`);
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

/** `--reporter a,b`: the named reporters (default: all); an unknown name is bad input. */
export function parseReporters(v: string | undefined, command: string): ReturnType<typeof createReporters> {
  const names = v === undefined ? undefined : v.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names?.find((n) => !Object.hasOwn(reporters, n));
  if (unknown !== undefined || names?.length === 0) throw new UsageError(`lockstep ${command}: --reporter expects names of reporters (${Object.keys(reporters).join(', ')}), found "${v}"`);
  return createReporters(names);
}

function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`lockstep check: --shard expects i/n with 1 ≤ i ≤ n (e.g. 2/4), found "${v}"`);
  return { index: Number(m[1]) - 1, count: Number(m[2]) };
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

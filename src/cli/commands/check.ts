import { join } from 'node:path';
import { checkClient, scenarioFilesOf, shardSize, type ClientCheckResult } from '../../conformance/check.js';
import { buildJsonReport, createReporters, reporters, writeReports } from '../../conformance/reporters/index.js';
import { protocols, resolveClient, type ResolvedClient } from '../../conformance/registry.js';
import { flagHelp, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { failureDetails, requirementTable } from '../print.js';
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

Exit codes: 0 every MUST requirement passed, 1 a requirement failed, 2 bad input.`;

/** `lockstep check`. */
export async function checkCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'check');
  if (args.flags.has('help')) {
    out(checkHelp);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`lockstep check: unexpected argument "${args.positionals[0]}" (scenario files go to lockstep run)`);
  if (args.flags.has('real')) return realCheckCommand(args, out, parseReporters(stringFlag(args, 'reporter'), 'check'));
  if (args.flags.has('client-cmd') || args.flags.has('scenario')) throw new UsageError('lockstep check: --client-cmd and --scenario go with --real');
  const runs = intFlag(args, 'runs', 1000, 'check');
  const seed = intFlag(args, 'seed', 1, 'check');
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
  const server = stringFlag(args, 'server');
  if (server !== undefined) {
    if (all) throw new UsageError('lockstep check: --server needs --protocol (server variants belong to one protocol)');
    checkServerVariant(clients[0]!, server);
  }
  const results: ClientCheckResult[] = [];
  // A progress bar redrawn in place on a terminal; plain lines every 2 s otherwise (CI logs).
  const tty = out === console.log && !!process.stdout.isTTY;
  const failureDir = join(reportDir ?? 'reports', 'failures');
  for (const client of clients) {
    const started = Date.now();
    let lastPrint = 0;
    const scenarioCount = shardSize(scenarioFilesOf(client.protocol.name).length, shard);
    out(`${client.protocol.name} / ${client.name}${server ? ` against server ${server}` : ''}: ${scenarioCount} scenarios and ${shardSize(runs, shard)} property runs${shard ? ` (shard ${shard.index + 1}/${shard.count})` : ''}`);
    const result = await checkClient(
      {
        client,
        runs,
        seed,
        failureDir,
        globals: args.flags.has('globals'),
        server: server === 'reference' ? undefined : server,
        shard,
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
    out(`\n${client.protocol.name} / ${client.name}: ${result.exitCode === 0 ? 'PASS' : 'FAIL'} (${(result.wallMs / 1000).toFixed(1)} s)\n`);
  }
  if (results.length > 1) out(`${verdictSummary(results)}\n`);
  if (reportDir) {
    const report = buildJsonReport(results, { runs, seed, shard, globals: args.flags.has('globals') }, toolVersion());
    for (const path of await writeReports({ report, dir: reportDir, results }, reporterList)) out(`report written to ${path}`);
  }
  return results.some((r) => r.exitCode !== 0) ? 1 : 0;
}

/** `[#######---------]`: runs done of the total. */
export function progressBar(done: number, total: number, width = 24): string {
  const full = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/** The closing summary: per client, how many requirements got each verdict, and which failed. */
export function verdictSummary(results: readonly ClientCheckResult[]): string {
  const verdicts = ['pass', 'fail', 'non-strict', 'not-exercised'] as const;
  const head = ['protocol / client', 'PASS', 'FAIL', 'NON-STRICT', 'NOT-EXERCISED', 'failing'];
  const rows = results.map((r) => [
    `${r.protocol} / ${r.client}${r.server ? ` vs ${r.server}` : ''}`,
    ...verdicts.map((v) => String(r.requirements.filter((q) => q.verdict === v).length)),
    r.requirements
      .filter((q) => q.verdict === 'fail' || q.verdict === 'non-strict')
      .map((q) => q.id)
      .join(', ') || '-',
  ]);
  const total = [
    'total',
    ...verdicts.map((v) => String(results.reduce((n, r) => n + r.requirements.filter((q) => q.verdict === v).length, 0))),
    '',
  ];
  const all = [head, ...rows, total];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row
      .map((c, i) => (i > 0 && i < 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return ['Summary (requirements by verdict):', line(head), ...rows.map(line), line(total)].join('\n');
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

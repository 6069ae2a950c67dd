import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  mergeReports,
  readablePath,
  readJsonReport,
  reporters,
  writeReports,
  type ClientReport,
  type MergeInput,
} from '../../conformance/reporters/index.js';
import { outcomeWord, worstExitCode } from '../../conformance/check.js';
import { ScenarioError } from '../../conformance/scenario.js';
import { flagHelp, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import { inconclusiveDetails } from '../print.js';
import { parseReporters } from './check.js';
import { userPath } from '../../conformance/command-line.js';
import { stageReportDir, type StagedDir } from '../output-dir.js';

const flags: Record<string, FlagSpec> = {
  report: {
    value: true,
    help: `the directory to write the merged reports into (${Object.keys(reporters).join(', ')}) and the counterexample's failure record`,
  },
  reporter: { value: true, help: `only these reporters, comma-separated (${Object.keys(reporters).join(', ')})` },
  force: { value: false, help: 'replace a --report folder that holds files lockstep did not write' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep merge`. */
export const mergeHelp = `lockstep merge DIR... --report OUT

Combines the reports of the shards of one check (lockstep check --shard i/n --report DIR,
one DIR per shard; a DIR may also be the report.json itself) into the report one
unsharded check would have written: the same verdicts, counts, first failures and
counterexample. Every shard of every client must be given exactly once, with the same
--runs, --seed and lockstep version.

${flagHelp(flags)}

A requirement exercised in any shard is exercised: the merge is inconclusive exactly
when the unsharded check would be.

Exit codes (as lockstep check, for the whole unsharded run): 0 every MUST requirement was
exercised and passed, 1 a requirement failed or a run broke, 3 inconclusive (a MUST
requirement no shard exercised), 2 bad input (a missing, unreadable or incompatible
report, a shard missing or given twice).`;

/** `lockstep merge`. */
export async function mergeCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'merge');
  if (args.flags.has('help')) {
    out(mergeHelp);
    return 0;
  }
  const outDir = stringFlag(args, 'report');
  if (!outDir) throw new UsageError('lockstep merge: --report OUT is required (the directory to write the merged reports into)');
  if (args.positionals.length === 0)
    throw new UsageError(
      'lockstep merge: expected the report directories of the shards (e.g. lockstep merge reports/shard-1 reports/shard-2 --report reports/merged)',
    );
  const list = parseReporters(stringFlag(args, 'reporter'), 'merge');
  const inside = args.positionals.find((p) => {
    const rel = relative(resolve(outDir), resolve(p));
    return rel === '' || !rel.startsWith('..');
  });
  if (inside !== undefined) throw new UsageError(`lockstep merge: --report ${outDir} would replace the shard report ${inside}; write the merged report to a folder of its own (e.g. --report reports/merged)`);
  // Checked before any work; written beside its final place and swapped in whole.
  const staged = stageReportDir(outDir, { force: args.flags.has('force'), command: 'merge' });
  try {
    return await mergeInto(staged, outDir);
  } catch (e) {
    staged.abort();
    throw e;
  }

  async function mergeInto(staged: StagedDir, outDir: string): Promise<number> {
  const inputs: MergeInput[] = args.positionals.map((p) => {
    if (!existsSync(p))
      throw new ScenarioError(p, [
        {
          field: '',
          expected: 'a report directory written by lockstep check --report (or its report.json)',
          found: 'no such file or directory',
        },
      ]);
    const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'report.json') : p;
    return { file, report: readJsonReport(file) };
  });
  const { report, copies } = mergeReports(inputs, outDir);
  for (const c of copies) {
    if (!existsSync(c.from)) {
      out(`warning: ${c.from} is missing: the merged report's replay command points to ${c.to}, which will not exist`);
      continue;
    }
    const to = readablePath({ staged }, c.to);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(c.from, to);
  }
  out(`merged ${inputs.length} reports: ${inputs.map((i) => i.file).join(', ')}`);
  for (const c of report.clients) out(`\n${summary(c)}`);
  out('');
  const written = await writeReports({ report, dir: outDir, staged: { final: staged.final, stage: staged.stage } }, list);
  staged.commit();
  for (const path of written) out(`report written to ${userPath(path)}`);
  return worstExitCode(report.clients.map((c) => c.exitCode));
  }
}

function summary(c: ClientReport): string {
  const lines = [
    `${c.protocol} / ${c.client}${c.server ? ` against server ${c.server}` : ''}: ${outcomeWord(c.exitCode)} (exit ${c.exitCode}; ${c.scenarios.length} scenarios, ${c.property?.runs ?? 0} property runs)`,
  ];
  for (const q of c.requirements)
    lines.push(
      `  ${q.id.padEnd(10)} ${q.level.padEnd(6)} ${q.verdict.toUpperCase().padEnd(13)} exercised ${String(q.exercised).padStart(4)}  ${q.passed}/${q.failed}/${q.notExercised}${q.subject === 'server' ? '  (server: not counted)' : ''}`,
    );
  for (const q of c.requirements) {
    if (!q.firstFailure) continue;
    const what = q.subject === 'server' ? 'failed (server: not counted)' : q.verdict === 'fail' ? 'FAILED' : 'violated (SHOULD)';
    lines.push(`  ${q.id} ${what} in ${q.firstFailure.run}: ${q.firstFailure.evidence}`);
    if (q.firstFailure.replay) lines.push(`    replay: ${q.firstFailure.replay}`);
  }
  const inconclusive = inconclusiveDetails(c);
  if (inconclusive) lines.push(inconclusive.replace(/^/gm, '  '));
  return lines.join('\n');
}

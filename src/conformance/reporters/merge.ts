import { basename, dirname, join } from 'node:path';
import { lockstepCommand, userPath } from '../command-line.js';
import { aggregateRuns, exitCodeOf, inconclusiveOf, inShard, type RunKind, type RunRecord } from '../check.js';
import { ScenarioError } from '../scenario.js';
import { reportVersion, type ClientReport, type JsonReport, type PropertyReport } from './json.js';

/** A report to merge and the file it was read from (for messages and its failure records). */
export interface MergeInput {
  /** The `report.json` path; its failure records are in `failures/` next to it. */
  file: string;
  /** The report, as read. */
  report: JsonReport;
}

/** A failure record the merged report points to, to be copied from a shard's directory. */
export interface FailureCopy {
  /** The shard's failure record. */
  from: string;
  /** Where the merged report's replay command expects it. */
  to: string;
}

/** The merged report and the failure records to copy next to it. */
export interface MergeResult {
  /** The merged report. */
  report: JsonReport;
  /** Failure records to copy for the merged report's replay commands to work. */
  copies: FailureCopy[];
}

const kindOrder: Record<RunKind, number> = { scenario: 0, property: 1, counterexample: 2 };

/** Orders runs as one unsharded check aggregates them: scenarios, property runs, the counterexample; each by index. */
export function compareRuns(a: RunRecord, b: RunRecord): number {
  return kindOrder[a.kind] - kindOrder[b.kind] || a.index - b.index;
}

const clientKey = (c: Pick<ClientReport, 'protocol' | 'client' | 'server'>): string =>
  `${c.protocol}/${c.client}${c.server ? ` (server ${c.server})` : ''}`;

/**
 * Combines the reports of shards (`lockstep check --shard i/n --report DIR`) into the
 * report one unsharded check would have written: the same verdicts, counts, first
 * failures and counterexample.
 *
 * A requirement exercised in any shard is exercised: inconclusive (exit 3) is computed
 * from the merged runs exactly as a check computes it.
 *
 * A check stops its property runs at the first failing run and shrinks it. Shard `i`
 * runs the property-run indices `j ≡ i (mod n)` and also stops at its own first failure,
 * so the merge takes the lowest failing index `k` over all shards (the run an unsharded
 * check stops at), keeps every property run with index ≤ k (each shard ran all of its
 * own), keeps that shard's shrunk counterexample (fast-check shrinks the same value the
 * same way in any process), and drops the rest. Scenarios are split by file index and
 * simply united.
 *
 * `outDir` is where the merged report goes: its failure record path becomes
 * `outDir/failures/<file>`, copied from the shard's own `failures/` directory.
 * Throws a {@link ScenarioError} naming the file and field for inputs that cannot be
 * merged: other format or version, different options or lockstep version, a shard
 * missing or given twice.
 */
export function mergeReports(inputs: readonly MergeInput[], outDir: string): MergeResult {
  if (inputs.length === 0) throw new ScenarioError('lockstep merge', [{ field: '', expected: 'at least one report', found: 'none' }]);
  const first = inputs[0]!;
  for (const { file, report } of inputs.slice(1)) {
    const differs = (field: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new ScenarioError(file, [
          {
            field,
            expected: `${JSON.stringify(a)} as in ${first.file} (shards of one check share their options)`,
            found: JSON.stringify(b),
          },
        ]);
    };
    differs('version', first.report.version, report.version);
    differs('tool.version', first.report.tool.version, report.tool.version);
    differs('options.runs', first.report.options.runs, report.options.runs);
    differs('options.seed', first.report.options.seed, report.options.seed);
    differs('options.globals', first.report.options.globals, report.options.globals);
    differs('options.allowNotExercised', first.report.options.allowNotExercised, report.options.allowNotExercised);
    differs('options.guards', first.report.options.guards, report.options.guards);
  }

  // Group the clients of every report; each client's shards must be complete and distinct.
  const groups = new Map<string, { input: MergeInput; client: ClientReport; shard: { index: number; count: number } }[]>();
  for (const input of inputs) {
    if (input.report.merged)
      throw new ScenarioError(input.file, [
        {
          field: 'merged',
          expected: 'a shard report written by lockstep check',
          found: 'a report lockstep merge wrote (merge the shard reports themselves)',
        },
      ]);
    const shard = input.report.options.shard ?? { index: 0, count: 1 };
    for (const client of input.report.clients) {
      const key = clientKey(client);
      const list = groups.get(key) ?? [];
      const twin = list.find((p) => p.shard.index === shard.index);
      if (twin)
        throw new ScenarioError(input.file, [
          {
            field: 'options.shard',
            expected: `each shard of ${key} once`,
            found: `shard ${shard.index + 1}/${shard.count} again (also in ${twin.input.file})`,
          },
        ]);
      if (list[0] && list[0].shard.count !== shard.count)
        throw new ScenarioError(input.file, [
          {
            field: 'options.shard',
            expected: `a shard of ${list[0].shard.count} for ${key} (as in ${list[0].input.file})`,
            found: `shard ${shard.index + 1}/${shard.count}`,
          },
        ]);
      for (const run of client.runs) {
        if (run.kind !== 'counterexample' && !inShard(run.index, input.report.options.shard)) {
          throw new ScenarioError(input.file, [
            {
              field: `clients[${input.report.clients.indexOf(client)}].runs`,
              expected: `runs of shard ${shard.index + 1}/${shard.count} only`,
              found: `${run.name} (index ${run.index})`,
            },
          ]);
        }
      }
      list.push({ input, client, shard });
      groups.set(key, list);
    }
  }

  const copies: FailureCopy[] = [];
  const clients: ClientReport[] = [];
  for (const [key, parts] of groups) {
    const count = parts[0]!.shard.count;
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !parts.some((p) => p.shard.index === i));
    if (missing.length) {
      throw new ScenarioError('lockstep merge', [
        {
          field: '',
          expected: `all ${count} shards of ${key}`,
          found: `no report for shard ${missing.map((i) => `${i + 1}/${count}`).join(', ')} (given: ${parts.map((p) => p.input.file).join(', ')})`,
        },
      ]);
    }
    parts.sort((a, b) => a.shard.index - b.shard.index);
    const ids = (c: ClientReport) => c.requirements.map((q) => q.id).join(' ');
    for (const p of parts) {
      if (ids(p.client) !== ids(parts[0]!.client))
        throw new ScenarioError(p.input.file, [
          {
            field: 'requirements',
            expected: `the requirements of ${key} in ${parts[0]!.input.file} (${ids(parts[0]!.client)})`,
            found: ids(p.client),
          },
        ]);
    }

    // The run an unsharded check stops at: the lowest index any shard found a failure at.
    const withCx = parts
      .filter((p) => p.client.property?.counterexample)
      .sort((a, b) => a.client.property!.counterexample!.foundAt - b.client.property!.counterexample!.foundAt);
    const chosen = withCx[0];
    const stopAt = chosen ? chosen.client.property!.counterexample!.foundAt : Infinity;

    let property: PropertyReport | undefined;
    let cxReplay: string | undefined;
    if (parts.some((p) => p.client.property)) {
      const seed = parts.find((p) => p.client.property)!.client.property!.seed;
      property = { runs: 0, seed };
      if (chosen) {
        const cp = chosen.client.property!;
        if (cp.failureFile) {
          const to = join(outDir, 'failures', basename(cp.failureFile));
          copies.push({ from: join(dirname(chosen.input.file), 'failures', basename(cp.failureFile)), to });
          property.failureFile = to;
          property.replay = cxReplay = lockstepCommand(['replay', userPath(to)]);
        } else if (cp.replay) property.replay = cxReplay = cp.replay;
        property.counterexample = cp.counterexample;
      }
    }

    // Each shard numbers its own evidence texts: carry the texts, re-number them in run order below.
    const runs: { run: RunRecord; evidence: readonly string[] }[] = [];
    for (const p of parts) {
      for (const run of p.client.runs) {
        if (run.kind === 'property' && run.index > stopAt) continue;
        if (run.kind === 'counterexample' && p !== chosen) continue;
        runs.push({ run: run.kind === 'counterexample' && cxReplay !== undefined ? { ...run, replay: cxReplay } : run, evidence: p.client.unexercisedEvidence });
      }
    }
    runs.sort((a, b) => compareRuns(a.run, b.run));
    const evidence: string[] = [];
    // Keep the evidence of a requirement's first failure only, as one check does.
    const failedBefore = new Set<string>();
    const merged = runs.map(({ run, evidence: texts }): RunRecord => {
      const failures = run.kind === 'counterexample' ? run.failures : run.failures?.filter((f) => !failedBefore.has(f.requirement));
      for (const f of failures ?? []) failedBefore.add(f.requirement);
      const { failures: _drop, unexercised, ...rest } = run;
      const out: RunRecord = failures?.length ? { ...rest, failures } : rest;
      if (unexercised) {
        out.unexercised = unexercised
          .split(' ')
          .map((k) => {
            const text = texts[Number(k)]!;
            const at = evidence.indexOf(text);
            return at >= 0 ? at : evidence.push(text) - 1;
          })
          .join(' ');
      }
      return out;
    });
    if (property) {
      const runsCount = merged.filter((r) => r.kind === 'property').length;
      property = {
        runs: runsCount,
        seed: property.seed,
        failureFile: property.failureFile,
        replay: property.replay,
        counterexample: property.counterexample,
      };
    }

    const base = parts[0]!.client;
    const requirements = aggregateRuns(base.requirements, merged, evidence);
    const inconclusive = inconclusiveOf(requirements, first.report.options.allowNotExercised);
    const scenarios = parts.flatMap((p) => p.client.scenarios).sort((a, b) => a.index - b.index);
    clients.push({
      protocol: base.protocol,
      client: base.client,
      server: base.server,
      exitCode: exitCodeOf(requirements, scenarios, !!property?.counterexample, inconclusive),
      inconclusive,
      requirements,
      scenarios,
      property,
      runs: merged,
      unexercisedEvidence: evidence,
    });
  }

  const { shard: _shard, ...options } = first.report.options;
  return {
    report: {
      format: 'lockstep-report',
      version: reportVersion,
      tool: first.report.tool,
      options,
      merged: { shards: inputs.length },
      clients,
    },
    copies,
  };
}

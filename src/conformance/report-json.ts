import type { ClientCheckResult } from './check.js';

/** Version of the JSON report format (docs/report-format.md). */
export const reportVersion = 1;

/** The machine-readable report of a `lockstep check`. */
export interface JsonReport {
  format: 'lockstep-report';
  version: typeof reportVersion;
  tool: { name: 'lockstep'; version: string };
  /** The command's options that decide the verdicts. */
  options: { runs: number; seed: number; shard?: { index: number; count: number }; globals: boolean };
  clients: {
    protocol: string;
    client: string;
    server?: string;
    exitCode: 0 | 1;
    requirements: ClientCheckResult['requirements'];
    scenarios: { name: string; file?: string; hash: string; mismatches: ClientCheckResult['scenarios'][number]['mismatches']; stopped?: string; error?: string; findings: ClientCheckResult['scenarios'][number]['findings'] }[];
    property?: { runs: number; seed: number; failureFile?: string; replay?: string; counterexample?: { faults: number; actions: number; failed: string[]; hash: string; shrinks: number; foundAt: number } };
  }[];
}

/** Builds the JSON report (no wall-clock timings in it, so the same run gives the same report). */
export function buildJsonReport(results: ClientCheckResult[], options: JsonReport['options'], toolVersion: string): JsonReport {
  return {
    format: 'lockstep-report',
    version: reportVersion,
    tool: { name: 'lockstep', version: toolVersion },
    options,
    clients: results.map((r) => ({
      protocol: r.protocol,
      client: r.client,
      server: r.server,
      exitCode: r.exitCode,
      requirements: r.requirements,
      scenarios: r.scenarios.map((s) => ({ name: s.name, file: s.file, hash: s.hash, mismatches: s.mismatches, stopped: s.stopped, error: s.error, findings: s.findings })),
      property: r.property && {
        runs: r.property.runs,
        seed: r.property.seed,
        failureFile: r.property.failureFile,
        replay: r.property.replay,
        counterexample: r.property.counterexample && {
          faults: r.property.counterexample.scenario.faults.length,
          actions: r.property.counterexample.scenario.actions.length,
          failed: r.property.counterexample.failed,
          hash: r.property.counterexample.hash,
          shrinks: r.property.counterexample.shrinks,
          foundAt: r.property.counterexample.foundAt,
        },
      },
    })),
  };
}

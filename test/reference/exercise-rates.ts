import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { checkClient } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';

/**
 * Property runs are only as good as what they reach: every MUST client requirement must
 * be exercised (judged pass or fail, not `not-exercised`) in at least `floor` of the
 * drawn runs, so that a bug it catches is found within a few dozen runs. The runs are
 * drawn and judged exactly as `lockstep check` does (docs/protocols/<p>.md, "What property
 * runs draw"); the reference's verdicts are each protocol's reference.test.ts's business.
 */
export async function expectExerciseRates(protocolName: string, o: { runs: number; seed: number; floor: number }): Promise<void> {
  const protocol = protocols.get(protocolName)!;
  const client = await resolveClient('reference', protocolName);
  const failureDir = mkdtempSync(join(tmpdir(), `lockstep-${protocolName}-rates-`));
  const r = await checkClient({ client, runs: o.runs, seed: o.seed, failureDir, scenarioFiles: [] }, protocols);
  const runs = r.runs.filter((x) => x.kind === 'property');
  expect(runs.length).toBe(o.runs);
  const rates = protocol.requirements.map((q, i) => ({
    q,
    rate: runs.filter((x) => 'PF'.includes(x.verdicts[i] ?? '-')).length / runs.length,
  }));
  const low = rates
    .filter(({ q, rate }) => q.level === 'MUST' && q.subject !== 'server' && rate < o.floor)
    .map(({ q, rate }) => `${q.id} ${(rate * 100).toFixed(0)} %`);
  const all = rates.map(({ q, rate }) => `${q.id} ${(rate * 100).toFixed(0)}`).join(', ');
  expect(low, `exercise rates (%) of ${o.runs} runs: ${all}`).toEqual([]);
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-live-support-rates-'));
const RUNS = 200;
const FLOOR = 0.2;

// The property model and the drawn world must give every MUST client requirement a case
// in at least a fifth of the runs (docs/protocols/live-support.md, "What property runs draw").
describe('live-support property runs exercise every MUST client requirement', () => {
  it(`judges each in at least ${FLOOR * 100} % of ${RUNS} property runs (seed 3)`, async () => {
    const protocol = protocols.get('live-support')!;
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: RUNS, seed: 3, failureDir, scenarioFiles: [] }, protocols);
    const runs = r.runs.filter((x) => x.kind === 'property');
    expect(runs.length).toBe(RUNS);
    const low = protocol.requirements
      .map((q, i) => ({ q, rate: runs.filter((x) => 'PF'.includes(x.verdicts[i] ?? '-')).length / runs.length }))
      .filter(({ q, rate }) => q.level === 'MUST' && q.subject !== 'server' && rate < FLOOR)
      .map(({ q, rate }) => `${q.id} ${(rate * 100).toFixed(0)} %`);
    expect(low).toEqual([]);
  }, 60_000);
});

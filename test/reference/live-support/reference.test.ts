import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-live-reference-'));

describe('the reference live-support clients and server', () => {
  it('pass every live-support scenario with the verdicts the scenario expects', async () => {
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: 0, seed: 1, failureDir }, protocols);
    expect(r.scenarios.length).toBeGreaterThanOrEqual(25);
    expect(r.scenarios.flatMap((s) => s.mismatches.map((m) => `${s.name}: ${m.requirement} expected ${m.expected}, got ${m.got}`))).toEqual(
      [],
    );
    expect(r.scenarios.filter((s) => s.stopped || s.error)).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Every requirement is exercised (passed) by at least one scenario.
    expect(r.requirements.filter((q) => q.passed === 0).map((q) => q.id)).toEqual([]);
    // Both server variants are caught by the scenarios that use them.
    const failing = (name: string) =>
      r.scenarios
        .find((s) => s.name === name)!
        .findings.filter((f) => f.verdict === 'fail')
        .map((f) => f.requirement);
    expect(failing('server-broadcast-only-on-timer')).toEqual(['LIVE-5']);
    expect(failing('server-broadcast-blocks-send')).toEqual(['LIVE-6']);
  });

  // 1,000 property runs in total, split across two seeds.
  it.each([1, 2])('pass 500 property runs from seed %i', async (seed) => {
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: 500, seed, failureDir, scenarioFiles: [] }, protocols);
    const cx = r.property?.counterexample;
    expect(cx ? `${cx.failed.join(', ')} — replay: ${r.property?.replay}` : 'none').toBe('none');
    expect(r.property?.runs).toBe(500);
    expect(r.exitCode).toBe(0);
  });
});

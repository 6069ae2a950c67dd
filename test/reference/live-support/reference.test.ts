import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, scenarioFilesOf } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { faultKinds } from '../../../src/sim/faults/plan.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-live-reference-'));

describe('the reference live-support clients and server', () => {
  it('pass every client requirement in every top-level scenario, and exercise each of them', async () => {
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: 0, seed: 1, failureDir }, protocols);
    expect(r.scenarios.length).toBeGreaterThanOrEqual(24);
    // A top-level scenario expects nothing but passes: a correct client is judged by it.
    expect(r.scenarios.flatMap((s) => s.mismatches.map((m) => `${s.name}: ${m.requirement} expected ${m.expected}, got ${m.got}`))).toEqual(
      [],
    );
    expect(r.scenarios.flatMap((s) => s.findings.filter((f) => f.verdict === 'fail').map((f) => `${s.name}: ${f.requirement}`))).toEqual(
      [],
    );
    expect(r.scenarios.filter((s) => s.stopped || s.error)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.requirements.filter((q) => q.passed === 0).map((q) => q.id)).toEqual([]);
  });

  it('has a scenario per fault kind (every kind can affect a widget or a dashboard)', () => {
    const kinds = new Set(scenarioFilesOf('live-support').flatMap((f) => loadScenarioFile(f, protocols).faults.map((e) => e.kind)));
    expect([...faultKinds].filter((k) => !kinds.has(k))).toEqual([]);
  });

  // 1,000 property runs in total, split across two seeds; every requirement is exercised by them too.
  it.each([1, 2])('pass 500 property runs from seed %i', async (seed) => {
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: 500, seed, failureDir, scenarioFiles: [] }, protocols);
    const cx = r.property?.counterexample;
    expect(cx ? `${cx.failed.join(', ')} — replay: ${r.property?.replay}` : 'none').toBe('none');
    expect(r.property?.runs).toBe(500);
    expect(r.exitCode).toBe(0);
    expect(r.requirements.filter((q) => q.passed < 25).map((q) => `${q.id}: ${q.passed}`)).toEqual([]);
  });
});

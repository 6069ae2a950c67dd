import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, scenarioFilesOf } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { faultKinds } from '../../../src/sim/faults/plan.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-event-sync-reference-'));

describe('the reference event-sync client', () => {
  it('passes every event-sync scenario with the verdicts the scenario expects', async () => {
    const client = await resolveClient('reference', 'event-sync');
    const r = await checkClient({ client, runs: 0, seed: 1, failureDir }, protocols);
    expect(r.scenarios.length).toBeGreaterThanOrEqual(30);
    expect(r.scenarios.flatMap((s) => s.mismatches.map((m) => `${s.name}: ${m.requirement} expected ${m.expected}, got ${m.got}`))).toEqual(
      [],
    );
    expect(r.scenarios.filter((s) => s.stopped || s.error)).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Every requirement is exercised by at least one scenario.
    expect(r.requirements.filter((q) => q.passed === 0).map((q) => q.id)).toEqual([]);
  });

  it('has a scenario per fault kind (every kind can affect event-sync)', () => {
    // The stream is a socket, REST pages are HTTP, the client stores its checkpoint and
    // store, and the token is a credential: no kind is out of reach (docs/protocols/event-sync.md § 10).
    const notApplicable: Record<string, string> = {};
    const kinds = new Set(scenarioFilesOf('event-sync').flatMap((f) => loadScenarioFile(f, protocols).faults.map((e) => e.kind)));
    expect([...faultKinds].filter((k) => !kinds.has(k) && !(k in notApplicable))).toEqual([]);
  });

  // 1,000 property runs in total, split across seeds so that vitest can spread them.
  it.each([1, 2])('passes 500 property runs from seed %i', async (seed) => {
    const client = await resolveClient('reference', 'event-sync');
    const r = await checkClient({ client, runs: 500, seed, failureDir, scenarioFiles: [] }, protocols);
    const cx = r.property?.counterexample;
    expect(cx ? `${cx.failed.join(', ')} — replay: ${r.property?.replay}` : 'none').toBe('none');
    expect(r.property?.runs).toBe(500);
    expect(r.exitCode).toBe(0);
    // The drawn worlds exercise every requirement.
    expect(r.requirements.filter((q) => q.passed === 0).map((q) => q.id)).toEqual([]);
  });
});

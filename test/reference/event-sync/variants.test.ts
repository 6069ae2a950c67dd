import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { eventSyncVariants } from '../../../src/reference/event-sync/variants.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-event-sync-variants-'));

// Each faulty client must be caught with the requirement its bug violates: by the
// scenarios, and by property runs from a fixed seed within 200 runs, shrunk to at most
// 3 fault-plan entries.
describe.each(Object.entries(eventSyncVariants))('zoo:event-sync/%s', (name, variant) => {
  it(`fails ${variant.violates.join(', ')} within 200 property runs, shrunk to ≤ 3 fault entries`, async () => {
    const client = await resolveClient(`zoo:event-sync/${name}`, 'event-sync');
    const r = await checkClient({ client, runs: 200, seed: 1, failureDir }, protocols);
    // A variant that violates only SHOULD requirements is reported non-strict: it passes
    // the check (exit 0) and leaves no counterexample.
    const declared = variant.violates.map((id) => r.requirements.find((q) => q.id === id));
    for (const [i, q] of declared.entries()) expect(q?.verdict, variant.violates[i]).toBe(q?.level === 'SHOULD' ? 'non-strict' : 'fail');
    if (declared.every((q) => q?.level === 'SHOULD')) return;
    expect(r.exitCode).toBe(1);
    const cx = r.property?.counterexample;
    expect(cx, 'property runs found no counterexample').toBeDefined();
    expect(cx!.foundAt).toBeLessThan(200);
    for (const id of variant.violates) expect(cx!.failed).toContain(id);
    expect(cx!.scenario.faults.length).toBeLessThanOrEqual(3);
    expect(r.property?.replay).toMatch(/^(npx )?lockstep replay /);
  });
});

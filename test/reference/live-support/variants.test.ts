import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { liveSupportServerVariants, liveSupportVariants } from '../../../src/reference/live-support/variants.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-live-variants-'));

// Each faulty client, and the reference client against each faulty server, must be caught
// with the requirement the bug violates: by property runs from seed 1 within 200 runs,
// shrunk to at most 3 fault-plan entries.
describe.each(Object.entries(liveSupportVariants))('zoo:live-support/%s', (name, variant) => {
  it(`fails ${variant.violates.join(', ')} within 200 property runs, shrunk to ≤ 3 fault entries`, async () => {
    const client = await resolveClient(`zoo:live-support/${name}`, 'live-support');
    const r = await checkClient({ client, runs: 200, seed: 1, failureDir, scenarioFiles: [] }, protocols);
    expect(r.exitCode).toBe(1);
    for (const id of variant.violates) expect(r.requirements.find((q) => q.id === id)?.verdict).toBe('fail');
    const cx = r.property?.counterexample;
    expect(cx, 'property runs found no counterexample').toBeDefined();
    expect(cx!.foundAt).toBeLessThan(200);
    expect(cx!.scenario.faults.length).toBeLessThanOrEqual(3);
    for (const id of variant.violates) expect(cx!.failed).toContain(id);
    expect(r.property?.replay).toMatch(/^lockstep replay /);
  });
});

describe.each(Object.entries(liveSupportServerVariants))('the reference clients against server %s', (name, variant) => {
  it(`fail ${variant.breaks.join(', ')} within 200 property runs, shrunk to ≤ 3 fault entries`, async () => {
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: 200, seed: 1, failureDir, server: name, scenarioFiles: [] }, protocols);
    expect(r.exitCode).toBe(1);
    expect(r.server).toBe(name);
    for (const id of variant.breaks) expect(r.requirements.find((q) => q.id === id)?.verdict).toBe('fail');
    const cx = r.property?.counterexample;
    expect(cx, 'property runs found no counterexample').toBeDefined();
    expect(cx!.foundAt).toBeLessThan(200);
    expect(cx!.scenario.faults.length).toBeLessThanOrEqual(3);
    expect(cx!.scenario.server.variant).toBe(name);
    for (const id of variant.breaks) expect(cx!.failed).toContain(id);
  });
});

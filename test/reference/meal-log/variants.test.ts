import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { skipMessage } from '../../../src/reference/meal-log/server-core.js';
import { mealLogVariants } from '../../../src/reference/meal-log/variants.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-meal-log-variants-'));

// Each faulty client must be caught with the requirement its bug violates, by property
// runs from a fixed seed within 200 runs, shrunk to at most 3 fault-plan entries.
describe.each(Object.entries(mealLogVariants))('zoo:meal-log/%s', (name, variant) => {
  it(`fails ${variant.violates.join(', ')} within 200 property runs from seed 1, shrunk to ≤ 3 fault entries`, async () => {
    const client = await resolveClient(`zoo:meal-log/${name}`, 'meal-log');
    const r = await checkClient({ client, runs: 200, seed: 1, failureDir, scenarioFiles: [] }, protocols);
    // A variant that violates only SHOULD requirements is reported non-strict: it passes
    // the check (exit 0) and leaves no counterexample.
    const declared = variant.violates.map((id) => r.requirements.find((q) => q.id === id));
    for (const [i, q] of declared.entries()) expect(q?.verdict, variant.violates[i]).toBe(q?.level === 'SHOULD' ? 'non-strict' : 'fail');
    if (declared.every((q) => q?.level === 'SHOULD')) return;
    expect(r.exitCode).toBe(1);
    const cx = r.property?.counterexample;
    expect(cx, 'property runs found no counterexample').toBeDefined();
    expect(cx!.foundAt).toBeLessThan(200);
    expect(cx!.failed).toEqual(expect.arrayContaining(variant.violates));
    expect(cx!.scenario.faults.length).toBeLessThanOrEqual(3);
    expect(r.property?.replay).toMatch(/^npx lockstep replay /);
  });
});

describe('lockstep run of the document\u2019s timeline', () => {
  it('prints a timeline in which the server skips the notification for zoo:meal-log/connects-after-submit', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['run', 'scenarios/meal-log/servers/document-timeline.yaml', '--client', 'zoo:meal-log/connects-after-submit'],
      (s) => out.push(s),
      (s) => err.push(s),
    );
    const text = out.join('\n');
    expect(err).toEqual([]);
    expect(code).toBe(1);
    expect(text).toMatch(
      /^ +26\.020 s {2}server log: User not connected to WebSocket, skipping notification \{"mealLogId":"ml-1","userId":"user-c1"\}$/m,
    );
    // The document's order of events: submit at T+0, the view opens at T+0.3 s, the acknowledgement, the skip at T+26 s.
    const order = [
      'user: submitMeal',
      'POST http://lockstep.test/api/v1/meal-logs/natural',
      'user: openNutritionView',
      '{"type":"connected","userId":"user-c1"}',
      skipMessage,
    ];
    const at = order.map((s) => text.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toMatch(/MEAL-12 +FAIL/);
    expect(text).toMatch(/MEAL-4 +FAIL/);
  });
});

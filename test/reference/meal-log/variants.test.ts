import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { checkClient } from '../../../src/conformance/check.js';
import { checkProperty } from '../../../src/conformance/property.js';
import type { PropertyModel, ProtocolDefinition } from '../../../src/conformance/protocol.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { mealLogProtocol } from '../../../src/reference/meal-log/index.js';
import { skipMessage } from '../../../src/reference/meal-log/server-core.js';
import { mealLogVariants } from '../../../src/reference/meal-log/variants.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-meal-log-variants-'));

// Each faulty client must be caught with the requirement its bug violates, by property
// runs from a fixed seed within 200 runs, shrunk to at most 3 fault-plan entries.
describe.each(Object.entries(mealLogVariants))('zoo:meal-log/%s', (name, variant) => {
  it(`fails ${variant.violates.join(', ')} within 200 property runs from seed 1, shrunk to ≤ 3 fault entries`, async () => {
    const client = await resolveClient(`zoo:meal-log/${name}`, 'meal-log');
    const r = await checkClient({ client, runs: 200, seed: 1, failureDir, scenarioFiles: [] }, protocols);
    expect(r.exitCode).toBe(1);
    for (const id of variant.violates) expect(r.requirements.find((q) => q.id === id)?.verdict).toBe('fail');
    const cx = r.property?.counterexample;
    expect(cx, 'property runs found no counterexample').toBeDefined();
    expect(cx!.foundAt).toBeLessThan(200);
    expect(cx!.failed).toEqual(expect.arrayContaining(variant.violates));
    expect(cx!.scenario.faults.length).toBeLessThanOrEqual(3);
    expect(r.property?.replay).toMatch(/^npx lockstep replay /);
  });
});

describe('the faulty meal-log servers against the reference client', () => {
  it('declares what each breaks', () => {
    expect(Object.fromEntries(Object.entries(mealLogProtocol.serverVariants).map(([k, v]) => [k, v.breaks]))).toEqual({
      'late-registration': ['MEAL-4', 'MEAL-6'],
      'forgets-pending': ['MEAL-6'],
    });
  });

  it('late-registration breaks MEAL-4 for the reference client (and the server requirement MEAL-6)', async () => {
    const client = await resolveClient('reference', 'meal-log');
    const r = await checkClient({ client, runs: 100, seed: 1, failureDir, server: 'late-registration', scenarioFiles: [] }, protocols);
    expect(r.exitCode).toBe(1);
    const cx = r.property!.counterexample!;
    expect(cx.failed).toEqual(expect.arrayContaining(['MEAL-4', 'MEAL-6']));
    expect(cx.findings.find((f) => f.requirement === 'MEAL-4')!.evidence).toMatch(
      /was completed on the server at .* showed it as processing/,
    );
    // Nothing else the reference client does is at fault.
    const failed = r.requirements.filter((q) => q.verdict === 'fail').map((q) => q.id);
    expect(failed.sort()).toEqual(['MEAL-4', 'MEAL-6']);
  });

  it('forgets-pending: the reference client survives — every client requirement holds while the server drops completions', async () => {
    // The server requirement is set aside here: it fails by design (next test). Faults lean
    // to outages, so that completions often find the user not connected and are dropped.
    const outages: PropertyModel['faults'] = (f) => {
      const at = f.integer({ min: 0, max: 80_000 });
      const dur = f.integer({ min: 5000, max: 45_000 });
      return f
        .array(
          f.oneof(
            f.record({ kind: f.constant('ws-refuse' as const), at, duration: dur }),
            f.record({
              kind: f.constant('server-restart' as const),
              at,
              downtime: f.integer({ min: 0, max: 20_000 }),
              state: f.constant('keep' as const),
            }),
            f.record({
              kind: f.constant('client-offline' as const),
              at,
              duration: dur,
              sockets: f.constantFrom('close' as const, 'stall' as const),
            }),
            f.record({
              kind: f.constant('app-background' as const),
              at,
              duration: dur,
              timers: f.constant('suspend' as const),
              closeSocketsAfter: f.constant(1000),
            }),
            f.record({ kind: f.constant('ws-half-open' as const), at }),
            f.record({ kind: f.constant('partition' as const), at, duration: dur }),
          ),
          { minLength: 1, maxLength: 3 },
        )
        .map((list) => list.map((e) => ('duration' in e && e.at + e.duration > 90_000 ? { ...e, duration: 90_000 - e.at } : e)));
    };
    const clientOnly: ProtocolDefinition = {
      ...mealLogProtocol,
      requirements: mealLogProtocol.requirements.filter((q) => q.subject !== 'server'),
      property: { ...mealLogProtocol.property, faults: outages },
    };
    let skipped = 0;
    let judged = 0;
    const out = await checkProperty({
      protocol: clientOnly,
      client: mealLogProtocol.reference,
      clientName: 'reference',
      runs: Number(process.env.MEAL_LOG_SURVIVAL_RUNS ?? 300),
      seed: 1,
      server: 'forgets-pending',
      onRun: (r) => {
        if (!r.trace.events().some((e) => e.ev === 'server.log' && e.msg === skipMessage)) return;
        skipped++;
        if (r.findings.find((f) => f.requirement === 'MEAL-4')?.verdict === 'pass') judged++;
      },
    });
    expect(
      out.counterexample ? `${out.counterexample.failed.join(', ')} in ${JSON.stringify(out.counterexample.scenario.faults)}` : 'none',
    ).toBe('none');
    // The survival is exercised: completions were dropped, and the view still showed them.
    expect(skipped).toBeGreaterThanOrEqual(20);
    expect(judged).toBeGreaterThanOrEqual(20);
  });

  it('forgets-pending fails the server requirement MEAL-6 only', async () => {
    const client = await resolveClient('reference', 'meal-log');
    const r = await checkClient(
      {
        client,
        runs: 50,
        seed: 1,
        failureDir,
        server: 'forgets-pending',
        scenarioFiles: ['scenarios/meal-log/forgets-pending-server.yaml'],
      },
      protocols,
    );
    expect(r.exitCode).toBe(1);
    expect(r.requirements.filter((q) => q.verdict === 'fail').map((q) => q.id)).toEqual(['MEAL-6']);
    expect(r.property!.counterexample!.findings.find((f) => f.requirement === 'MEAL-6')!.evidence).toContain('it was lost');
  });
});

describe('lockstep run of the document\u2019s timeline', () => {
  it('prints a timeline in which the server skips the notification for zoo:meal-log/connects-after-submit', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['run', 'scenarios/meal-log/document-timeline.yaml', '--client', 'zoo:meal-log/connects-after-submit'],
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

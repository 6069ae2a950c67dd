import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, scenarioFilesOf } from '../../../src/conformance/check.js';
import { checkProperty } from '../../../src/conformance/property.js';
import type { PropertyModel, ProtocolDefinition } from '../../../src/conformance/protocol.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { runScenario } from '../../../src/conformance/runner.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { mealLogProtocol } from '../../../src/reference/meal-log/index.js';

// The faulty servers, exercised with the reference client. Scenarios that exist to show
// a faulty server live in scenarios/meal-log/servers/: client checks never read them.

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-meal-log-servers-'));
const serverScenarios = readdirSync('scenarios/meal-log/servers')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `scenarios/meal-log/servers/${f}`);
const clientIds = mealLogProtocol.requirements.filter((q) => q.subject !== 'server').map((q) => q.id);

describe('scenarios/meal-log/servers/', () => {
  it('holds the document\u2019s timeline, and is not read by client checks', () => {
    expect(serverScenarios).toContain('scenarios/meal-log/servers/document-timeline.yaml');
    expect(scenarioFilesOf('meal-log').filter((f) => f.includes('/servers/'))).toEqual([]);
  });

  it.each(serverScenarios)('%s: a faulty server, and exactly the verdicts it expects from the reference client', async (file) => {
    const scenario = loadScenarioFile(file, protocols);
    expect(Object.keys(mealLogProtocol.serverVariants)).toContain(scenario.server.variant);
    const r = await runScenario({ protocol: mealLogProtocol, scenario, client: mealLogProtocol.reference, clientName: 'reference' });
    for (const f of r.findings) {
      const expected = scenario.expect[f.requirement] ?? 'pass';
      if (expected === 'fail') expect(f.verdict, `${f.requirement}: ${f.evidence}`).toBe('fail');
      else expect(['pass', 'not-exercised'], `${f.requirement}: ${f.evidence}`).toContain(f.verdict);
    }
    // It shows a client requirement out of reach, or a server requirement broken: otherwise it belongs at the top level.
    expect(Object.values(scenario.expect)).toContain('fail');
  });
});

describe('the faulty meal-log servers against the reference client', () => {
  it('declares what each breaks', () => {
    expect(Object.fromEntries(Object.entries(mealLogProtocol.serverVariants).map(([k, v]) => [k, v.breaks]))).toEqual({
      'late-registration': ['MEAL-4', 'MEAL-6'],
      'forgets-pending': ['MEAL-6'],
    });
  });

  it('late-registration breaks MEAL-4 for the reference client (and the server requirement MEAL-6), nothing else', async () => {
    const client = await resolveClient('reference', 'meal-log');
    const r = await checkClient({ client, runs: 100, seed: 1, failureDir, server: 'late-registration', scenarioFiles: [] }, protocols);
    const cx = r.property!.counterexample!;
    expect(cx.failed).toContain('MEAL-4');
    expect(cx.findings.find((f) => f.requirement === 'MEAL-4')!.evidence).toMatch(
      /was completed on the server at .* showed it as processing/,
    );
    expect(cx.findings.find((f) => f.requirement === 'MEAL-6')!.verdict).toBe('fail');
    // Nothing else the reference client does is at fault.
    const failed = r.requirements.filter((q) => q.verdict === 'fail').map((q) => q.id);
    expect(failed.sort()).toEqual(['MEAL-4', 'MEAL-6']);
  });

  it('forgets-pending: the reference client survives — every client requirement holds while the server drops completions', async () => {
    // Faults lean to outages, so that completions often find the user not connected and are dropped.
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
    // A server requirement never makes a counterexample: only client requirements can.
    const withOutages: ProtocolDefinition = { ...mealLogProtocol, property: { ...mealLogProtocol.property, faults: outages } };
    let skipped = 0;
    let judged = 0;
    const out = await checkProperty({
      protocol: withOutages,
      client: mealLogProtocol.reference,
      clientName: 'reference',
      runs: Number(process.env.MEAL_LOG_SURVIVAL_RUNS ?? 300),
      seed: 1,
      server: 'forgets-pending',
      onRun: (r) => {
        // MEAL-6 fails exactly when the forgetful server dropped a completion.
        if (r.findings.find((f) => f.requirement === 'MEAL-6')?.verdict !== 'fail') return;
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

  it('forgets-pending fails the server requirement MEAL-6 only; the top-level scenario expects every client requirement to pass', async () => {
    const file = 'scenarios/meal-log/forgets-pending-server.yaml';
    const scenario = loadScenarioFile(file, protocols);
    expect(Object.entries(scenario.expect).filter(([id, v]) => v === 'fail' && clientIds.includes(id))).toEqual([]);
    const client = await resolveClient('reference', 'meal-log');
    const r = await checkClient({ client, runs: 50, seed: 1, failureDir, server: 'forgets-pending', scenarioFiles: [file] }, protocols);
    expect(r.requirements.filter((q) => q.verdict === 'fail').map((q) => q.id)).toEqual(['MEAL-6']);
    const run = r.scenarios[0]!;
    expect(run.findings.find((f) => f.requirement === 'MEAL-6')!.evidence).toContain('it was lost');
    expect(run.findings.find((f) => f.requirement === 'MEAL-4')!.verdict).toBe('pass');
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, scenarioFilesOf } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { runScenario } from '../../../src/conformance/runner.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { mealLogProtocol } from '../../../src/reference/meal-log/index.js';
import { faultKinds } from '../../../src/sim/faults/plan.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-meal-log-reference-'));

describe('the reference meal-log client', () => {
  it('passes every meal-log scenario with the verdicts the scenario expects', async () => {
    const client = await resolveClient('reference', 'meal-log');
    const r = await checkClient({ client, runs: 0, seed: 1, failureDir }, protocols);
    expect(r.scenarios.length).toBeGreaterThanOrEqual(25);
    expect(r.scenarios.flatMap((s) => s.mismatches.map((m) => `${s.name}: ${m.requirement} expected ${m.expected}, got ${m.got}`))).toEqual(
      [],
    );
    expect(r.scenarios.filter((s) => s.stopped || s.error)).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Every MUST requirement is exercised by at least one scenario, and every snapshot keeps the contract.
    expect(r.requirements.filter((q) => q.level === 'MUST' && q.passed === 0).map((q) => q.id)).toEqual([]);
    expect(r.scenarios.filter((s) => s.invalidSnapshot !== undefined).map((s) => `${s.name}: ${s.invalidSnapshot}`)).toEqual([]);
  });

  it('expects every client requirement to pass in every top-level scenario (faulty-server demonstrations live in servers/)', () => {
    const client = new Set(mealLogProtocol.requirements.filter((q) => q.subject !== 'server').map((q) => q.id));
    const expectsFail = scenarioFilesOf('meal-log').flatMap((f) =>
      Object.entries(loadScenarioFile(f, protocols).expect)
        .filter(([id, v]) => v !== 'pass' && client.has(id))
        .map(([id, v]) => `${f}: ${id} ${v}`),
    );
    expect(expectsFail).toEqual([]);
  });

  it('has the document\u2019s timeline, its four testing-strategy cases, and a scenario per fault kind', () => {
    const files = scenarioFilesOf('meal-log').map((f) => basename(f));
    for (const f of [
      'document-timeline-fixed-server.yaml',
      'happy-path.yaml',
      'fallback-websocket-fails.yaml',
      'connection-recovery.yaml',
      'edge-rapid-submissions.yaml',
      'edge-background-during-processing.yaml',
      'edge-network-switch.yaml',
      'edge-server-restart.yaml',
    ]) {
      expect(files).toContain(f);
    }
    const kinds = new Set(scenarioFilesOf('meal-log').flatMap((f) => loadScenarioFile(f, protocols).faults.map((e) => e.kind)));
    expect([...faultKinds].filter((k) => !kinds.has(k))).toEqual([]);
    const timeline = loadScenarioFile('scenarios/meal-log/servers/document-timeline.yaml', protocols);
    expect(timeline.actions.map((a) => [a.at, a.do])).toEqual([
      [0, 'submitMeal'],
      [300, 'openNutritionView'],
    ]);
    expect(timeline.server).toEqual({ variant: 'late-registration', options: { processing: 26000, failureRate: 0 } });
  });

  it('gets the completion of the document\u2019s timeline over the socket at T+26 s from the reference server, without polling', async () => {
    const scenario = loadScenarioFile('scenarios/meal-log/document-timeline-fixed-server.yaml', protocols);
    const r = await runScenario({ protocol: mealLogProtocol, scenario, client: mealLogProtocol.reference, clientName: 'reference' });
    const events = r.trace.events();
    const pushed = events.find((e) => e.ev === 'ws.send' && e.dir === 'to-client' && String(e.data).includes('meal_log_completed'));
    expect(pushed?.t).toBeGreaterThan(26_000);
    expect(pushed!.t).toBeLessThan(26_200);
    const shown = events.find((e) => e.ev === 'client.snapshot' && JSON.stringify(e.state).includes('"status":"completed"'));
    expect(shown!.t - pushed!.t).toBeLessThan(100);
    // Loads only: at launch and after the verification; no poll.
    expect(events.filter((e) => e.ev === 'http.request' && e.method === 'GET')).toHaveLength(1);
    expect(r.findings.filter((f) => f.verdict === 'fail')).toEqual([]);
  });

  // 1,000 property runs in total, split across seeds so that vitest can spread them.
  it.each([1, 2])('passes 500 property runs from seed %i', async (seed) => {
    const client = await resolveClient('reference', 'meal-log');
    const r = await checkClient({ client, runs: 500, seed, failureDir, scenarioFiles: [] }, protocols);
    const cx = r.property?.counterexample;
    expect(cx ? `${cx.failed.join(', ')} — replay: ${r.property?.replay}` : 'none').toBe('none');
    expect(r.property?.runs).toBe(500);
    expect(r.exitCode).toBe(0);
  });

  it('gives the same trace twice for the same scenario (determinism)', async () => {
    const scenario = loadScenarioFile('scenarios/meal-log/fault-ws-half-open.yaml', protocols);
    const a = await runScenario({ protocol: mealLogProtocol, scenario, client: mealLogProtocol.reference, clientName: 'reference' });
    const b = await runScenario({ protocol: mealLogProtocol, scenario, client: mealLogProtocol.reference, clientName: 'reference' });
    expect(a.hash).toBe(b.hash);
  });
});

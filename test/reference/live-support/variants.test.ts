import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';
import { runScenario } from '../../../src/conformance/runner.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { liveSupportProtocol } from '../../../src/reference/live-support/index.js';
import { liveSupportServerVariants, liveSupportVariants } from '../../../src/reference/live-support/variants.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-live-variants-'));
const serverIds = new Set(liveSupportProtocol.requirements.filter((q) => q.subject === 'server').map((q) => q.id));

// Each faulty client must be caught with the requirement its bug violates: by property
// runs from seed 1 within 200 runs, shrunk to at most 3 fault-plan entries.
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
    expect(r.property?.replay).toMatch(/^(npx )?lockstep replay /);
  });
});

// The faulty servers are demonstrated by the scenarios in scenarios/live-support/servers/
// (client checks do not read that folder): the reference clients against each fail
// exactly the server requirements the variant breaks, and no client requirement.
const serverScenarios = readdirSync('scenarios/live-support/servers')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => loadScenarioFile(join('scenarios/live-support/servers', f), protocols));

describe.each(Object.entries(liveSupportServerVariants))('server %s', (name, variant) => {
  it(`fails ${variant.breaks.join(', ')} in its scenario in servers/, and only that`, async () => {
    const mine = serverScenarios.filter((s) => s.server.variant === name);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    for (const sc of mine) {
      const r = await runScenario({
        protocol: liveSupportProtocol,
        scenario: sc,
        client: liveSupportProtocol.reference,
        clientName: 'reference',
      });
      expect(r.findings.filter((f) => f.verdict === 'fail').map((f) => f.requirement)).toEqual(variant.breaks);
      for (const id of variant.breaks) expect(serverIds).toContain(id);
      // The scenario says what it demonstrates (`expect`); a pass it expects may also be not-exercised.
      for (const [id, verdict] of Object.entries(sc.expect))
        expect([verdict, ...(verdict === 'pass' ? ['not-exercised'] : [])], id).toContain(
          r.findings.find((f) => f.requirement === id)?.verdict,
        );
      expect(
        Object.entries(sc.expect)
          .filter(([, v]) => v === 'fail')
          .map(([id]) => id),
      ).toEqual(variant.breaks);
    }
  });

  it(`is caught (${variant.breaks.join(', ')}) by property runs against it, never charged to the client`, async () => {
    const client = await resolveClient('reference', 'live-support');
    const r = await checkClient({ client, runs: 100, seed: 1, failureDir, server: name, scenarioFiles: [] }, protocols);
    expect(r.server).toBe(name);
    for (const id of variant.breaks) expect(r.requirements.find((q) => q.id === id)?.failed).toBeGreaterThan(0);
    expect(r.requirements.filter((q) => q.subject !== 'server' && q.failed > 0).map((q) => q.id)).toEqual([]);
  });
});

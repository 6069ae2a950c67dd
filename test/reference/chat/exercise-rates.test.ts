import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/conformance/runner.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { chatProtocol } from '../../../src/reference/chat/index.js';

// Property runs are only as good as what they reach: every MUST requirement of the client
// must be exercised (judged pass or fail, not `not-exercised`) in at least 20 % of the
// drawn runs, so that a bug it catches is found within a few dozen runs. The runs are
// drawn exactly as `lockstep check` draws them (the protocol's property model, a fixed
// fast-check seed) and run one by one, whatever their verdict: this is about reach, the
// reference's verdicts are reference.test.ts's business.
const runs = 200;
const seed = 1;
const floor = 0.2;

describe('chat property runs', () => {
  it(`exercise every MUST client requirement in ≥ ${floor * 100} % of ${runs} runs`, async () => {
    const model = chatProtocol.property;
    const drawn = fc.sample(
      fc.record({ seed: fc.integer({ min: 0, max: 0x7fffffff }), actions: model.actions(fc), faults: model.faults(fc) }),
      {
        seed,
        numRuns: runs,
        path: '0',
      },
    );
    const ids = chatProtocol.requirements.map((r) => r.id);
    const exercised = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const [i, d] of drawn.entries()) {
      const scenario: ResolvedScenario = {
        protocol: 'chat',
        name: `property run ${i}`,
        description: 'drawn by fast-check',
        seed: d.seed,
        duration: model.duration,
        heal: model.heal,
        clients: model.clients,
        network: model.network ?? {},
        server: { variant: 'reference', options: {} },
        faults: d.faults,
        actions: d.actions,
        requirements: ids,
        expect: {},
      };
      const r = await runScenario({ protocol: chatProtocol, scenario, client: chatProtocol.reference, clientName: 'reference' });
      for (const f of r.findings) if (f.verdict !== 'not-exercised') exercised.set(f.requirement, exercised.get(f.requirement)! + 1);
    }
    const rates = Object.fromEntries(ids.map((id) => [id, Math.round((100 * exercised.get(id)!) / runs)]));
    const must = chatProtocol.requirements.filter((q) => q.level === 'MUST' && q.subject !== 'server').map((q) => q.id);
    const low = must.filter((id) => exercised.get(id)! < floor * runs).map((id) => `${id} ${rates[id]} %`);
    expect(low, `exercise rates (%) of ${runs} runs: ${JSON.stringify(rates)}`).toEqual([]);
  }, 60_000);
});

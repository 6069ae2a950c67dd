import { describe, expect, it } from 'vitest';
import { protocols } from '../../../src/conformance/registry.js';
import { runScenario } from '../../../src/conformance/runner.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { mealLogProtocol } from '../../../src/reference/meal-log/index.js';

// The reference server's expireCredentials hook (docs/protocols/meal-log.md, "Credentials and their expiry").
describe('the meal-log server under token-expiry', () => {
  it('closes the open socket with 1008 at the expiry and answers 401 to requests and upgrades from then on', async () => {
    const scenario = loadScenarioFile('scenarios/meal-log/fault-token-expiry.yaml', protocols);
    const r = await runScenario({ protocol: mealLogProtocol, scenario, client: mealLogProtocol.reference, clientName: 'reference' });
    const ev = r.trace.events();
    expect(ev.find((e) => e.ev === 'ws.closing' && e.side === 'server')).toMatchObject({ t: 40_000, code: 1008, reason: 'token expired' });
    const after = ev.filter((e) => e.t > 40_000);
    expect(after.filter((e) => e.ev === 'http.respond').map((e) => e.status)).not.toContain(200);
    expect(after.some((e) => e.ev === 'http.respond' && e.status === 401)).toBe(true);
    expect(after.some((e) => e.ev === 'ws.refuse' && e.status === 401)).toBe(true);
    expect(after.some((e) => e.ev === 'ws.open')).toBe(false);
    expect(r.findings.filter((f) => f.verdict === 'fail')).toEqual([]);
  });
});

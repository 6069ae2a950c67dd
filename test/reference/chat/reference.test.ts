import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, scenarioFilesOf } from '../../../src/conformance/check.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { faultKinds } from '../../../src/sim/faults/plan.js';
import { protocols, resolveClient } from '../../../src/conformance/registry.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-reference-'));

describe('the reference chat client', () => {
  it('passes every chat scenario with the verdicts the scenario expects', async () => {
    const client = await resolveClient('reference', 'chat');
    const r = await checkClient({ client, runs: 0, seed: 1, failureDir }, protocols);
    expect(r.scenarios.length).toBeGreaterThanOrEqual(25);
    expect(r.scenarios.flatMap((s) => s.mismatches.map((m) => `${s.name}: ${m.requirement} expected ${m.expected}, got ${m.got}`))).toEqual(
      [],
    );
    expect(r.scenarios.filter((s) => s.stopped || s.error)).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Every MUST requirement is exercised by at least one scenario.
    const unexercised = r.requirements.filter((q) => q.level === 'MUST' && q.passed === 0).map((q) => q.id);
    expect(unexercised).toEqual([]);
  });

  it('has a scenario per fault kind', () => {
    const kinds = new Set(scenarioFilesOf('chat').flatMap((f) => loadScenarioFile(f, protocols).faults.map((e) => e.kind)));
    // `release` ends a `hold` early: fault-hold-pong.yaml holds for a duration instead.
    const notApplicable = new Set(['release']);
    expect([...faultKinds].filter((k) => !kinds.has(k) && !notApplicable.has(k))).toEqual([]);
  });

  // 1,000 property runs in total, split across seeds so that vitest can spread them.
  it.each([1, 2])('passes 500 property runs from seed %i', async (seed) => {
    const client = await resolveClient('reference', 'chat');
    const r = await checkClient({ client, runs: 500, seed, failureDir, scenarioFiles: [] }, protocols);
    const cx = r.property?.counterexample;
    expect(cx ? `${cx.failed.join(', ')} — replay: ${r.property?.replay}` : 'none').toBe('none');
    expect(r.property?.runs).toBe(500);
    expect(r.exitCode).toBe(0);
  });
});

describe('the same factory with installed globals', () => {
  it('gives the same trace as with the injected env, and unmodified code sees the simulated globals', async () => {
    const { runScenario } = await import('../../../src/conformance/runner.js');
    const { loadScenarioFile } = await import('../../../src/conformance/scenario.js');
    const { createChatClient } = await import('../../../src/reference/chat/client.js');
    const { chatProtocol } = await import('../../../src/reference/chat/index.js');
    const scenario = loadScenarioFile('scenarios/chat/tc3-disconnect-during-chat.yaml', protocols);
    // A client written against the globals: it ignores env's transports and timers.
    const globalsClient = (env: Parameters<typeof createChatClient>[0]) =>
      createChatClient({
        ...env,
        WebSocket: globalThis.WebSocket as unknown as typeof env.WebSocket,
        fetch: (...a: Parameters<typeof fetch>) => globalThis.fetch(...a),
        setTimeout: ((fn: () => void, ms?: number) => globalThis.setTimeout(fn, ms)) as unknown as typeof env.setTimeout,
        clearTimeout: ((h: unknown) => globalThis.clearTimeout(h as never)) as typeof env.clearTimeout,
      });
    const viaEnv = await runScenario({ protocol: chatProtocol, scenario, client: chatProtocol.reference, clientName: 'reference' });
    const viaGlobals = await runScenario({ protocol: chatProtocol, scenario, client: globalsClient, clientName: 'globals', globals: true });
    expect(viaGlobals.findings.filter((f) => f.verdict === 'fail')).toEqual([]);
    expect(viaGlobals.hash).toBe(viaEnv.hash);
  });
});

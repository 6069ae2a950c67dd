import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protocols } from '../../src/conformance/registry.js';
import { runScenario } from '../../src/conformance/runner.js';
import { loadScenarioFile } from '../../src/conformance/scenario.js';
import { chatProtocol } from '../../src/reference/chat/index.js';
import { checkConformance, conformance, lockstepMatchers, requirementFailureMessage } from '../../src/vitest/index.js';

expect.extend(lockstepMatchers);
const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-vitest-'));

// The reference chat client through the integration a client team uses: one test per requirement.
conformance({ protocol: 'chat', client: chatProtocol.reference, name: 'reference', runs: 30, failureDir });

describe('a failing requirement', () => {
  it("fails with the evidence and the replay command (zoo:chat/no-dedupe's CHAT-2)", async () => {
    const result = await checkConformance({ protocol: 'chat', client: 'zoo:chat/no-dedupe', runs: 30, scenarios: false, failureDir });
    const q = result.requirements.find((r) => r.id === 'CHAT-2')!;
    expect(q.verdict).toBe('fail');
    const message = requirementFailureMessage(result, q);
    expect(message).toMatch(/^CHAT-2 \(MUST\) failed for chat client zoo:chat\/no-dedupe: The visible message list/);
    expect(message).toContain(`evidence: ${q.firstFailure!.evidence}`);
    expect(message).toContain(`replay: npx lockstep replay ${join(failureDir, 'chat--zoo-chat-no-dedupe.json')}`);
    // The matcher on a check result says the same.
    expect(() => expect(result).toSatisfyRequirement('CHAT-2')).toThrow(/its verdict is fail .*\n.*\nreplay: npx lockstep replay /);
    expect(result).not.toSatisfyRequirement('CHAT-2');
  });
});

describe('trace matchers', () => {
  const scenario = loadScenarioFile('scenarios/chat/tc1-normal-websocket-flow.yaml', protocols);

  it('assert on steps of a run, a Trace, its events or its JSON lines', async () => {
    const run = await runScenario({ protocol: chatProtocol, scenario, client: chatProtocol.reference, clientName: 'reference' });
    expect(run).toHaveStep('ws.open', { id: 'c1/ws#1' });
    expect(run.trace).toHaveStep('ws.connect', { id: 'c1/ws#1', url: expect.stringContaining('motivation') });
    expect(run.trace.events()).toHaveNoStep('guard.stop');
    expect(
      run.trace
        .events()
        .map((e) => JSON.stringify(e))
        .join('\n'),
    ).toHaveStep('http.request', { method: 'POST', url: expect.stringContaining('/motivation/messages') });
    expect(run).toHaveNoStep('http.request', { method: 'DELETE' });
    expect(run).not.toHaveStep('ws.open', { id: 'c1/ws#9' });
    expect(() => expect(run).toHaveStep('ws.open', { id: 'c1/ws#9' })).toThrow(
      /expected the trace to have a "ws.open" step with \{"id":"c1\/ws#9"\}; its 1 "ws.open" steps:\n\{"t":/,
    );
    expect(() => expect(run).toHaveStep('ws.teleport')).toThrow(/has none \(its steps: sim.start, /);
    expect(() => expect(run).toHaveNoStep('ws.open')).toThrow(/to have no "ws.open" step, but 1 match, the first at [\d.]+ ms/);
    expect(() => expect(42).toHaveStep('ws.open')).toThrow(/expected a trace/);
  });

  it('judge a requirement on one run, also one the scenario does not list', async () => {
    const run = await runScenario({
      protocol: chatProtocol,
      scenario: { ...scenario, requirements: ['CHAT-1'] },
      client: chatProtocol.reference,
      clientName: 'reference',
    });
    expect(run.findings.map((f) => f.requirement)).toEqual(['CHAT-1']);
    expect(run).toSatisfyRequirement('CHAT-1');
    expect(run).toSatisfyRequirement('CHAT-4');
    const bad = await runScenario({
      protocol: chatProtocol,
      scenario,
      client: chatProtocol.variants['polls-while-healthy']!.create,
      clientName: 'zoo:chat/polls-while-healthy',
    });
    expect(() => expect(bad).toSatisfyRequirement('CHAT-4')).toThrow(/to satisfy CHAT-4; it is fail at [\d.]+ ms \(trace step \d+\): /);
    expect(() => expect(bad).toSatisfyRequirement('CHAT-99')).toThrow(/unknown requirement CHAT-99 of protocol chat/);
  });
});

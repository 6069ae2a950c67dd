import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protocols } from '../../src/conformance/registry.js';
import { runScenario } from '../../src/conformance/runner.js';
import { loadScenarioFile } from '../../src/conformance/scenario.js';
import { chatProtocol } from '../../src/reference/chat/index.js';
import { checkConformance, conformance, lockstepMatchers, notExercisedMessage, requirementFailureMessage } from '../../src/vitest/index.js';

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
    expect(message).toContain(`replay: npx lockstep replay ${join(failureDir, 'chat--zoo-chat-no-dedupe--seed-1--run-0--shrunk.json')}`);
    // The matcher on a check result says the same.
    expect(() => expect(result).toSatisfyRequirement('CHAT-2')).toThrow(/its verdict is fail .*\n.*\nreplay: npx lockstep replay /);
    expect(result).not.toSatisfyRequirement('CHAT-2');
  });
});

describe('a MUST requirement no run exercised', () => {
  it('is a failing test saying what the client never did, unless allowed (a vitest of its own, as a team runs it)', () => {
    const out = join(failureDir, 'vitest.json');
    const r = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fixtures/vitest/vitest.config.ts', '--reporter=json', `--outputFile=${out}`],
      { encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: '', LOCKSTEP_FAILURE_DIR: failureDir } },
    );
    expect(r.status, r.stderr).toBe(1);
    const results = (JSON.parse(readFileSync(out, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] })
      .testResults[0]!.assertionResults;
    const find = (suite: string, id: string) => results.find((t) => t.fullName.startsWith(`lockstep chat: ${suite} ${id} `))!;
    const chat4 = find('polling-only', 'CHAT-4');
    expect(chat4.status).toBe('failed');
    expect(chat4.failureMessages[0]).toMatch(/^Error: CHAT-4 \(MUST\) was never exercised for chat client polling-only, so the check is inconclusive: /);
    expect(chat4.failureMessages[0]).toMatch(/\n {2}never exercised: .+\n/);
    expect(chat4.failureMessages[0]).toContain("allowNotExercised: ['CHAT-4']");
    expect(find('polling-only (socket features allowed)', 'CHAT-4').status).toBe('skipped');
    expect(find('polling-only', 'CHAT-2').status).toBe('passed');
  });

  it('has a message with the requirement, what was never done and how to allow it', async () => {
    const result = await checkConformance({ protocol: 'chat', client: 'test/fixtures/polling-only-chat-client.ts', runs: 0, failureDir });
    const q = result.requirements.find((x) => x.id === 'CHAT-9')!;
    expect(result.inconclusive).toContain('CHAT-9');
    expect(notExercisedMessage(result, q)).toBe(
      [
        `CHAT-9 (MUST) was never exercised for chat client test/fixtures/polling-only-chat-client.ts, so the check is inconclusive: ${q.text}`,
        `  never exercised: ${q.notExercisedBecause}`,
        `  runs: 0 exercised it, ${q.notExercised} did not`,
        "  Add a scenario or more runs that reach it; if the client knowingly lacks the feature, pass allowNotExercised: ['CHAT-9'].",
        `  source: ${q.source}`,
      ].join('\n'),
    );
    expect(() => conformance({ protocol: 'chat', client: 'reference', allowNotExercised: ['CHAT-99'] })).toThrow(/unknown requirement "CHAT-99" of chat/);
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

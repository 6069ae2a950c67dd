import { describe, expect, it } from 'vitest';
import type { RequirementResult } from '../../src/conformance/check.js';
import { annotationLine, buildGithubAnnotations, githubAnnotations, inGithubActions, type ClientReport } from '../../src/conformance/reporters/index.js';

const req = (id: string, level: 'MUST' | 'SHOULD', verdict: RequirementResult['verdict'], extra: Partial<RequirementResult> = {}): RequirementResult => ({
  id,
  level,
  text: `${id} text`,
  source: '§1',
  subject: 'client',
  verdict,
  exercised: 3,
  passed: verdict === 'pass' ? 3 : 2,
  failed: verdict === 'fail' || verdict === 'non-strict' ? 1 : 0,
  notExercised: 0,
  ...extra,
});

const client = (c: Partial<ClientReport>): ClientReport => ({
  protocol: 'chat',
  client: 'src/my-client.ts',
  exitCode: 1,
  inconclusive: [],
  requirements: [],
  scenarios: [],
  runs: [],
  unexercisedEvidence: [],
  ...c,
});

describe('the github reporter', () => {
  it('writes an error per failed MUST, a warning per violated SHOULD, an error per inconclusive MUST, with evidence and replay, escaped', () => {
    const report = {
      clients: [
        client({
          inconclusive: ['CHAT-9'],
          requirements: [
            req('CHAT-1', 'MUST', 'pass'),
            req('CHAT-2', 'MUST', 'fail', { firstFailure: { run: 'property run 4', at: 1500, evidence: 'shown twice: 50%, a, b\nnext line', replay: 'npx lockstep replay reports/failures/chat--x--seed-1--run-4--shrunk.json' } }),
            req('CHAT-13', 'SHOULD', 'non-strict', { firstFailure: { run: 'scenario tc3', evidence: 'polled at 3 s', replay: 'npx lockstep run chat/tc3' } }),
            req('CHAT-9', 'MUST', 'not-exercised', { exercised: 0, passed: 0, notExercisedBecause: 'no socket went silent' }),
            req('CHAT-20', 'MUST', 'fail', { subject: 'server', firstFailure: { run: 'scenario x', evidence: 'server' } }),
          ],
        }),
        client({ client: 'zoo:chat/no-dedupe', requirements: [req('CHAT-1', 'MUST', 'pass')], exitCode: 0 }),
      ],
    };
    const a = githubAnnotations(report);
    expect(a.map((x) => [x.level, x.title])).toEqual([
      ['error', 'lockstep chat / src/my-client.ts: CHAT-2 FAIL'],
      ['warning', 'lockstep chat / src/my-client.ts: CHAT-13 NON-STRICT'],
      ['error', 'lockstep chat / src/my-client.ts: CHAT-9 INCONCLUSIVE (never exercised)'],
    ]);
    const lines = buildGithubAnnotations(report).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      '::error file=src/my-client.ts,title=lockstep chat / src/my-client.ts%3A CHAT-2 FAIL::CHAT-2 (MUST) CHAT-2 text [§1]%0Afirst failure: property run 4 at 1.500 s (1 of 3 runs that exercised it failed)%0Aevidence: shown twice: 50%25, a, b%0Anext line%0Areplay: npx lockstep replay reports/failures/chat--x--seed-1--run-4--shrunk.json',
    );
    expect(lines[2]).toContain('no run exercised it: no socket went silent');
  });

  it('names no file for the reference or a zoo variant, and reports broken runs', () => {
    const line = buildGithubAnnotations({
      clients: [client({ client: 'reference', scenarios: [{ index: 0, name: 'tc1', hash: 'h', mismatches: [], findings: [], stopped: 'timer storm' }] })],
    });
    expect(line).toBe('::error title=lockstep chat / reference%3A a run broke::scenario tc1: stopped: timer storm');
    expect(annotationLine({ level: 'warning', title: 'a,b', message: 'm\r' })).toBe('::warning title=a%2Cb::m%0D');
  });

  it('is on by itself only inside GitHub Actions', () => {
    expect(inGithubActions({ GITHUB_ACTIONS: 'true' })).toBe(true);
    expect(inGithubActions({})).toBe(false);
    expect(inGithubActions({ GITHUB_ACTIONS: 'false' })).toBe(false);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aggregateRuns,
  checkClient,
  exitCodeOf,
  inconclusiveOf,
  planCheck,
  scenarioFilesOf,
  unexercisedByRequirement,
  worstExitCode,
  type RunRecord,
} from '../../src/conformance/check.js';
import type { ProtocolDefinition } from '../../src/conformance/protocol.js';
import { protocols, resolveClient, type ResolvedClient } from '../../src/conformance/registry.js';
import { ScenarioError } from '../../src/conformance/scenario.js';
import { createClient as pollingOnly } from '../fixtures/polling-only-chat-client.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-inconclusive-'));
const chat = protocols.get('chat')!;
// The requirements issue #12 names (never exercised by a client without a socket), and one it does exercise.
const socketIds = ['CHAT-1', 'CHAT-4', 'CHAT-5', 'CHAT-7', 'CHAT-8', 'CHAT-9'];
const chatSubset = (ids: string[], change: Partial<ProtocolDefinition> = {}): ProtocolDefinition => ({
  ...chat,
  requirements: chat.requirements.filter((q) => ids.includes(q.id)),
  ...change,
});
const clientOf = (
  protocol: ProtocolDefinition,
  factory = pollingOnly,
  name = 'test/fixtures/polling-only-chat-client.ts',
): ResolvedClient => ({
  protocol,
  factory: factory as ResolvedClient['factory'],
  name,
});

describe('no vacuous pass: a MUST requirement no run exercised makes the check inconclusive', () => {
  it('a chat client that never opens a WebSocket: exit 3, and what it never did, per requirement', async () => {
    const protocol = chatSubset([...socketIds, 'CHAT-2']);
    const r = await checkClient({ client: clientOf(protocol), runs: 20, seed: 1, failureDir }, protocols);
    expect(r.exitCode).toBe(3);
    expect(r.inconclusive).toEqual(socketIds);
    const dedupe = r.requirements.find((q) => q.id === 'CHAT-2')!;
    expect(dedupe.verdict).toBe('pass');
    expect(dedupe.exercised).toBeGreaterThan(0);
    expect(dedupe.exercised).toBe(dedupe.passed + dedupe.failed);
    for (const id of socketIds) {
      const q = r.requirements.find((x) => x.id === id)!;
      expect([q.verdict, q.exercised, q.passed, q.failed]).toEqual(['not-exercised', 0, 0, 0]);
      expect(q.notExercised).toBeGreaterThan(0);
      // The checkers' own words: the most frequent not-exercised evidence over the runs.
      const at = protocol.requirements.findIndex((x) => x.id === id);
      const said = r.runs.flatMap((run) => {
        const k = unexercisedByRequirement(run)[at];
        return k === undefined ? [] : [r.unexercisedEvidence![k]!];
      });
      expect(said.length).toBe(q.notExercised);
      const most = Math.max(...[...new Set(said)].map((t) => said.filter((x) => x === t).length));
      expect(said.filter((t) => t === q.notExercisedBecause).length).toBe(most);
    }
  });

  it('--allow-not-exercised: a feature the client knowingly lacks does not make it inconclusive; unknown ids are refused', async () => {
    const protocol = chatSubset([...socketIds, 'CHAT-2']);
    const client = clientOf(protocol);
    const allowed = await checkClient({ client, runs: 0, seed: 1, failureDir, allowNotExercised: socketIds }, protocols);
    expect([allowed.exitCode, allowed.inconclusive]).toEqual([0, []]);
    const partly = await checkClient({ client, runs: 0, seed: 1, failureDir, allowNotExercised: ['CHAT-9'] }, protocols);
    expect([partly.exitCode, partly.inconclusive]).toEqual([3, socketIds.filter((id) => id !== 'CHAT-9')]);
    await expect(checkClient({ client, runs: 0, seed: 1, failureDir, allowNotExercised: ['CHAT-99'] }, protocols)).rejects.toThrow(
      /allowNotExercised: unknown requirement "CHAT-99" of chat \(expected some of CHAT-1, CHAT-2, /,
    );
  });

  it('a SHOULD or a server requirement never makes a check inconclusive', async () => {
    const protocol = chatSubset(['CHAT-2', 'CHAT-9'], {
      requirements: chat.requirements
        .filter((q) => q.id === 'CHAT-2' || q.id === 'CHAT-9' || q.id === 'CHAT-5')
        .map((q) =>
          q.id === 'CHAT-9' ? { ...q, level: 'SHOULD' as const } : q.id === 'CHAT-5' ? { ...q, subject: 'server' as const } : q,
        ),
    });
    const r = await checkClient({ client: clientOf(protocol), runs: 0, seed: 1, failureDir }, protocols);
    expect(r.requirements.filter((q) => q.exercised === 0).map((q) => q.id)).toEqual(['CHAT-5', 'CHAT-9']);
    expect([r.exitCode, r.inconclusive]).toEqual([0, []]);
  });

  it('precedence: a failure (1) outranks inconclusive (3); bad input (2) outranks both', () => {
    const q = (id: string, verdict: 'pass' | 'fail' | 'not-exercised', subject: 'client' | 'server' = 'client') => ({
      id,
      level: 'MUST' as const,
      text: '',
      source: '',
      subject,
      verdict,
      exercised: verdict === 'not-exercised' ? 0 : 1,
      passed: verdict === 'pass' ? 1 : 0,
      failed: verdict === 'fail' ? 1 : 0,
      notExercised: verdict === 'not-exercised' ? 1 : 0,
    });
    const reqs = [q('A-1', 'fail'), q('A-2', 'not-exercised')];
    expect(exitCodeOf(reqs, [], false, inconclusiveOf(reqs))).toBe(1);
    expect(exitCodeOf([q('A-1', 'pass'), q('A-2', 'not-exercised')], [], false, ['A-2'])).toBe(3);
    expect(exitCodeOf([q('A-1', 'pass')], [{ invalidSnapshot: 'c1 at 0 ms: snapshot: …' }], false, [])).toBe(1);
    // A failed server requirement is the server's, not the client's.
    expect(exitCodeOf([q('A-1', 'pass'), q('S-1', 'fail', 'server')], [], false, [])).toBe(0);
    expect(worstExitCode([0, 3, 1, 3])).toBe(1);
    expect(worstExitCode([0, 3, 0])).toBe(3);
    expect(worstExitCode([3, 2, 1])).toBe(2);
    expect(worstExitCode([])).toBe(0);
  });

  it('the evidence shown is the most frequent not-exercised evidence, the earliest of equally frequent ones', () => {
    const run = (i: number, k: number | undefined): RunRecord => ({
      kind: 'property',
      index: i,
      name: `property run ${i}`,
      verdicts: k === undefined ? 'P' : 'N',
      ...(k === undefined ? {} : { unexercised: String(k) }),
    });
    const info = [{ id: 'R-1', level: 'MUST' as const, text: '', source: '' }];
    expect(aggregateRuns(info, [run(0, 0), run(1, 1), run(2, 1), run(3, 0), run(4, 2)], ['a', 'b', 'c'])[0]!.notExercisedBecause).toBe('a');
    expect(aggregateRuns(info, [run(0, 2), run(1, 1), run(2, 1)], ['a', 'b', 'c'])[0]!.notExercisedBecause).toBe('b');
    // Exercised once: no "never exercised" text.
    expect(aggregateRuns(info, [run(0, 0), run(1, undefined)], ['a'])[0]).toMatchObject({ verdict: 'pass', exercised: 1, notExercised: 1 });
    expect(aggregateRuns(info, [run(0, 0), run(1, undefined)], ['a'])[0]!.notExercisedBecause).toBeUndefined();
  });
});

describe('a check that would run nothing is bad input, never a pass', () => {
  it('--runs 0 and no scenario file', async () => {
    const client = await resolveClient('reference', 'chat');
    expect(() => planCheck({ client, runs: 0, scenarioFiles: [] })).toThrow(ScenarioError);
    expect(() => planCheck({ client, runs: 0, scenarioFiles: [] })).toThrow(
      /field "runs": expected at least one scenario or property run \(a check that runs nothing proves nothing\), found 0 property runs and no scenario file/,
    );
    await expect(checkClient({ client, runs: 0, seed: 1, failureDir, scenarioFiles: [] }, protocols)).rejects.toThrow(ScenarioError);
  });

  it('a shard that gets no scenario and no property run', async () => {
    const client = await resolveClient('reference', 'chat');
    const n = scenarioFilesOf('chat').length;
    expect(planCheck({ client, runs: 0, shard: { index: 0, count: n } })).toMatchObject({ scenarios: 1, propertyRuns: 0 });
    expect(() => planCheck({ client, runs: 2, shard: { index: n, count: n + 1 } })).toThrow(
      new RegExp(
        `field "shard": expected at least one scenario or property run for this shard \\(use at most ${n} shards, or more runs\\), found shard ${n + 1}/${n + 1} gets none of the ${n} scenario files and none of the 2 property runs`,
      ),
    );
  });
});

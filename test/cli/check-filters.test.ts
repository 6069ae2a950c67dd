import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { checkClient } from '../../src/conformance/check.js';
import { failureRecordName } from '../../src/conformance/failure-record.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('check --requirement and --scenario', () => {
  it('an unknown requirement is bad input that lists the ids and the closest one', async () => {
    const r = await cli('check', '--protocol', 'chat', '--requirement', 'CHAT-2O');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown requirement "CHAT-2O" (did you mean "CHAT-2"?)');
    expect(r.err).toMatch(/the requirements of chat are CHAT-1, CHAT-2, /);
  });

  it('an unknown scenario is bad input that lists the names and the closest one', async () => {
    const r = await cli('check', '--protocol', 'chat', '--scenario', 'tc1-normal-websocket-flwo');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no scenario "tc1-normal-websocket-flwo"');
    expect(r.err).toContain('(did you mean "tc1-normal-websocket-flow"?)');
  });

  it('a scenario of another protocol is bad input', async () => {
    const r = await cli('check', '--protocol', 'chat', '--scenario', 'scenarios/meal-log/' + readdirSync('scenarios/meal-log')[0]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is a meal-log scenario; this check is of chat/);
  });

  it('runs one scenario (no property runs unless asked) and judges only the requirements named', async () => {
    const r = await cli('check', '--protocol', 'chat', '--scenario', 'tc1-normal-websocket-flow', '--requirement', 'chat-2', '--requirement', 'CHAT-19', '--workers', '0');
    expect(r.err).toBe('');
    expect(r.out).toContain('chat / reference: 1 scenarios and 0 property runs, judging only CHAT-2, CHAT-19');
    const table = r.out.split('\n').filter((l) => /^CHAT-\d+ /.test(l));
    expect(table.map((l) => l.split(/ +/)[0])).toEqual(['CHAT-2', 'CHAT-19']);
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('failure records', () => {
  it('are named by protocol, client, server, seed and run', () => {
    expect(failureRecordName({ protocol: 'chat', client: 'zoo:chat/no-dedupe', seed: 7, run: 17, shrunk: true })).toBe('chat--zoo-chat-no-dedupe--seed-7--run-17--shrunk.json');
    expect(failureRecordName({ protocol: 'chat', client: 'src/my client.ts', server: 'slow', seed: 1, run: 0, shrunk: false })).toBe(
      'chat--src-my-client.ts--server-slow--seed-1--run-0.json',
    );
  });

  it('a SHOULD violated in a property run gets a replayable record; another seed never overwrites it', async () => {
    const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-should-'));
    const client = await resolveClient('zoo:chat/fixed-poll-interval', 'chat');
    const names: string[] = [];
    for (const seed of [1, 2]) {
      const r = await checkClient({ client, runs: 40, seed, failureDir, workers: 0, requirements: ['CHAT-13'], scenarioFiles: [] }, protocols);
      const q = r.requirements.find((x) => x.id === 'CHAT-13')!;
      expect(q.verdict).toBe('non-strict');
      expect(r.exitCode).toBe(0);
      const run = r.runs.find((x) => x.kind === 'property' && x.replay)!;
      const name = failureRecordName({ protocol: 'chat', client: client.name, seed, run: run.index, shrunk: false });
      expect(run.replay).toContain(name);
      expect(q.firstFailure!.replay).toBe(run.replay);
      expect(existsSync(join(failureDir, name))).toBe(true);
      names.push(name);
    }
    expect(new Set(readdirSync(failureDir))).toEqual(new Set(names));
    // The record replays, in the check's words.
    const replayed = await cli('replay', '--quiet', join(failureDir, names[0]!));
    expect(replayed.out).toContain('the same as recorded');
    expect(replayed.out).toMatch(/CHAT-13 +NON-STRICT/);
    expect(replayed.out).toContain('still NON-STRICT (a SHOULD is violated): CHAT-13');
    expect(replayed.code).toBe(0);
  }, 120_000);
});

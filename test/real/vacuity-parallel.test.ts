import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { expandScenarioPaths } from '../../src/real/scenario-paths.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A client that asks the control endpoint what to do until the run is done, and does nothing. */
const doNothing = `while :; do curl -s -H "Authorization: Bearer $LOCKSTEP_TOKEN" "$LOCKSTEP_CONTROL_URL/next-action?wait=1000" | grep -q '"done":true' && exit 0; done`;
const realClient = 'node --import tsx test/fixtures/real-client.ts';

/** The report's verdict letters per scenario, and its requirement verdicts: what must not depend on parallelism. */
function verdictsOf(reportDir: string): unknown {
  const r = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as {
    clients: { exitCode: number; requirements: { id: string; verdict: string }[]; scenarios: { name: string; findings: { requirement: string; verdict: string }[] }[] }[];
  };
  const c = r.clients[0]!;
  return {
    exitCode: c.exitCode,
    requirements: c.requirements.map((q) => `${q.id} ${q.verdict}`),
    scenarios: c.scenarios.map((s) => `${s.name}: ${s.findings.map((f) => f.verdict[0]).join('')}`),
  };
}

describe('check --real: no vacuous pass, and parallel runs that read as sequential ones', () => {
  it('a client that does nothing never passes: inconclusive (exit 3) on both real-socket fixtures', async () => {
    const [chat, sync] = await Promise.all([
      cli('check', '--real', '--client-cmd', doNothing, '--scenario', 'test/real/fixtures/chat-reset-refuse.yaml'),
      cli('check', '--real', '--client-cmd', doNothing, '--scenario', 'test/real/fixtures/sync-reset-refuse.yaml'),
    ]);
    for (const r of [chat, sync]) {
      expect(r.err).toBe('');
      expect(r.code, r.out).toBe(3);
      expect(r.out).toMatch(/: INCONCLUSIVE \(exit 3/);
    }
  }, 60_000);

  it('--parallel 2 prints and reports what --parallel 1 does, in the same order', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-par-'));
    // Two short scenarios (4 s each) that overlap when run in parallel.
    const scenario = (name: string, resetAt: number) => {
      const file = join(dir!, `${name}.yaml`);
      writeFileSync(
        file,
        [
          'protocol: chat',
          'duration: 3000',
          'heal: 1000',
          'faults:',
          `  - { kind: ws-reset, at: ${resetAt} }`,
          'actions:',
          '  - { at: 0, do: openConversation, args: { conversation: A } }',
          '  - { at: 300, do: send, args: { text: hello } }',
          '',
        ].join('\n'),
      );
      return file;
    };
    const scenarios = [scenario('short-reset-early', 1000), scenario('short-reset-late', 2000)];
    const run = (parallel: string, report: string) =>
      cli('check', '--real', '--client-cmd', realClient, '--scenario', scenarios[0]!, '--scenario', scenarios[1]!, '--parallel', parallel, '--report', join(dir!, report));
    const [seq, par] = [await run('1', 'seq'), await run('2', 'par')];
    const stable = (s: string) =>
      s
        .replace(/\d+(\.\d+)? s\)/g, 'N s)')
        .replace(/\d+ trace steps/g, 'N trace steps')
        .replace(/\/(seq|par)(\/|$)/gm, '/DIR$2')
        .replace(/1 at a time|2 at a time/, 'K at a time');
    expect(stable(par.out)).toEqual(stable(seq.out));
    expect(verdictsOf(join(dir, 'par'))).toEqual(verdictsOf(join(dir, 'seq')));
    expect(par.out.indexOf('short-reset-early.yaml')).toBeLessThan(par.out.indexOf('short-reset-late.yaml'));
  }, 60_000);

  it('--scenario takes folders and globs, repeated and comma-separated, each file once', () => {
    const files = expandScenarioPaths(['scenarios/chat/tc*.yaml', 'scenarios/chat/tc1-normal-websocket-flow.yaml,test/real/fixtures/chat-reset-refuse.yaml']);
    expect(files.map((f) => f.file)).toEqual([
      'scenarios/chat/tc1-normal-websocket-flow.yaml',
      'scenarios/chat/tc2-websocket-failure-polling.yaml',
      'scenarios/chat/tc3-disconnect-during-chat.yaml',
      'scenarios/chat/tc4-offline-online.yaml',
      'scenarios/chat/tc5-multiple-conversations.yaml',
      'test/real/fixtures/chat-reset-refuse.yaml',
    ]);
    expect(files[0]!.named).toBe(true);
    expect(files[1]!.named).toBe(false);
    expect(expandScenarioPaths(['scenarios/chat']).length).toBeGreaterThan(20);
    // A protocol's name: its shipped scenarios, from any project.
    expect(expandScenarioPaths(['chat']).map((f) => f.file.replace(/^.*scenarios\//, 'scenarios/'))).toEqual(
      expandScenarioPaths(['scenarios/chat']).map((f) => f.file),
    );
    expect(() => expandScenarioPaths(['scenarios/chat/nothing-*.yaml'])).toThrow(/found none matching it/);
    expect(() => expandScenarioPaths(['no/such.yaml'])).toThrow(/found no such file/);
  });

  it('bad real-mode flags are exit 2 with a message', async () => {
    const base = ['check', '--real', '--client-cmd', 'true', '--scenario', 'test/real/fixtures/chat-reset-refuse.yaml'];
    expect((await cli(...base, '--parallel', '0')).err).toMatch(/--parallel expects at least 1/);
    expect((await cli(...base, '--profile', 'fast')).err).toMatch(/--profile expects shipped or real-time, found "fast"/);
    expect((await cli(...base, '--runs', '3')).err).toMatch(/--runs does not apply to a real-socket check/);
    expect((await cli(...base, '--allow-not-exercised', 'CHAT-99')).err).toMatch(/requirement ids of chat/);
  });
});

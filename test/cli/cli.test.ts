import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { scenarioFilesOf } from '../../src/conformance/check.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lockstep CLI: bad input is exit 2 with a message, never a stack trace', () => {
  it('prints usage and version', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('lockstep check');
    expect((await cli('--version')).out).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['check'], /which protocol\? pass --protocol/],
    [['check', '--protocol', 'fax'], /unknown protocol "fax" \(expected one of chat/],
    [['check', '--protocol', 'chat', '--client', 'zoo:chat/nope'], /unknown variant "nope" of chat \(expected one of polls-while-healthy/],
    [['check', '--protocol', 'chat', '--client', './no/such/client.js'], /no such file/],
    [['check', '--protocol', 'chat', '--client', 'test/fixtures/broken-module.ts'], /the module threw while loading: Error: module initialisation failed/],
    [['check', '--protocol', 'chat', '--runs', 'many'], /--runs expects a whole number/],
    [['check', '--protocol', 'chat', '--shard', '5/4'], /--shard expects i\/n/],
    [['check', '--protocol', 'chat', '--bogus'], /unknown option --bogus/],
    [['run'], /expected at least one scenario: a file, or a shipped scenario by name/],
    [['run', 'scenarios/chat/nope.yaml'], /scenarios\/chat\/nope.yaml: file: expected a readable scenario file/],
    [['replay', 'package.json'], /package.json: field "format": expected "lockstep-failure"/],
  ])('%j', async (argv, message) => {
    const r = await cli(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('names the file and field of a bad scenario', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'protocol: chat\nactions:\n  - { at: -1, do: send, args: { text: 3 } }\n');
    const r = await cli('run', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}: field "actions[0].at": expected virtual milliseconds ≥ 0, found the number -1`);
    expect(r.err).toContain(`${file}: field "actions[0].args.text": expected a string, found the number 3`);
  });

  it('reports a client whose factory throws as an error of that client (exit 1)', async () => {
    const r = await cli('check', '--protocol', 'chat', '--client', 'test/fixtures/throwing-client.ts', '--runs', '0');
    expect(r.code).toBe(1);
    expect(r.out).toContain('the client factory threw on c1: cannot start: missing API key');
  });

  it('never overwrites a trace file without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const file = join(dir, 'trace.jsonl');
    writeFileSync(file, 'precious');
    const r = await cli('demo', '--duration', '10000', '--trace', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('exists and was not written by lockstep; pass --force');
    expect(readFileSync(file, 'utf8')).toBe('precious');
    const forced = await cli('demo', '--duration', '10000', '--trace', file, '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\{"t":0,"seq":0,"ev":"sim.start"/);
  });
});

describe('lockstep run, list and replay', () => {
  it('runs a scenario, prints its timeline and verdicts, exits 0 on the reference', async () => {
    const r = await cli('run', 'scenarios/chat/tc1-normal-websocket-flow.yaml');
    expect(r.code).toBe(0);
    expect(r.out).toContain('user: openConversation');
    expect(r.out).toMatch(/CHAT-4\s+PASS/);
    expect(r.out).toMatch(/trace sha256 [0-9a-f]{64}/);
  });

  it('lists requirements, scenarios and variants', async () => {
    const r = await cli('list', '--protocol', 'chat');
    expect(r.code).toBe(0);
    expect(r.out).toContain('CHAT-14');
    expect(r.out).toContain('chat/tc5-multiple-conversations');
    expect(r.out).toContain('zoo:chat/no-dedupe');
  });

  it('writes a replayable failure record that replays with the same trace hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const r = await cli('check', '--protocol', 'chat', '--client', 'zoo:chat/no-dedupe', '--runs', '60', '--seed', '3', '--report', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/CHAT-2 FAIL: first in /);
    // Named by protocol, client, seed and run: another seed never overwrites it.
    const name = readdirSync(join(dir, 'failures')).find((f) => /^chat--zoo-chat-no-dedupe--seed-3--run-\d+--shrunk\.json$/.test(f));
    expect(name).toBeDefined();
    const record = join(dir, 'failures', name!);
    expect(existsSync(record)).toBe(true);
    expect(r.out).toContain(`replay: npx lockstep replay ${record}`);
    const replay = await cli('replay', record, '--quiet');
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('the same as recorded');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.format).toBe('lockstep-report');
    expect(report.clients[0].requirements.find((q: { id: string }) => q.id === 'CHAT-2').verdict).toBe('fail');
  });
});

/** `lockstep` as a real process, as CI runs it: exit code, stdout and stderr. */
function lockstep(...argv: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/lockstep.js', ...argv], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('lockstep check: no vacuous pass (a real process)', () => {
  it('a chat client that never opens a WebSocket does not pass: a line per MUST requirement it never exercised', () => {
    const r = lockstep('check', '--protocol', 'chat', '--client', 'test/fixtures/polling-only-chat-client.ts', '--runs', '0');
    // 3 when nothing else fails; 1 if a requirement about using the socket catches it outright.
    expect([1, 3]).toContain(r.code);
    expect(r.out).toMatch(/^ {2}CHAT-4: .+$/m);
    expect(r.out).toMatch(/^ {2}CHAT-9: .+$/m);
    expect(r.out).toMatch(/never exercised/);
    expect(r.out).toMatch(new RegExp(`: ${r.code === 3 ? 'INCONCLUSIVE' : 'FAIL'} \\(exit ${r.code}, `));
  });

  it('exit 3 when a MUST requirement is never exercised, exit 0 once --allow-not-exercised names them all', () => {
    // One scenario, no property run: the reference cannot exercise everything.
    const files = scenarioFilesOf('chat').length;
    const r = lockstep('check', '--protocol', 'chat', '--runs', '0', '--shard', `1/${files}`);
    expect(r.err).toBe('');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^INCONCLUSIVE: \d+ MUST requirements? (was|were) never exercised/m);
    const ids = /--allow-not-exercised ([A-Z0-9,-]+)\.$/m.exec(r.out)![1]!;
    for (const id of ids.split(',')) expect(r.out).toMatch(new RegExp(`^ {2}${id}: .+$`, 'm'));
    expect(r.out).toContain('chat / reference: INCONCLUSIVE (exit 3, ');
    const allowed = lockstep('check', '--protocol', 'chat', '--runs', '0', '--shard', `1/${files}`, '--allow-not-exercised', ids);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain('Allowed to go unexercised (--allow-not-exercised): ');
    expect(allowed.out).toContain('chat / reference: PASS (exit 0, ');
  });

  it.each([
    [['--allow-not-exercised', 'CHAT-99'], /--allow-not-exercised expects requirement ids of chat \(CHAT-1, CHAT-2, .*\), found "CHAT-99"/],
    [['--runs', '0', '--shard', '99/99'], /nothing to run for chat \/ reference: shard 99\/99 gets none of the \d+ scenario files and none of the 0 property runs/],
    [['--guard', 'timer-storm=lots'], /--guard timer-storm: expected a whole number ≥ 1, found the string "lots"/],
    [['--guard', 'timerstorm=5'], /--guard timerstorm: expected one of the guards timer-storm, .*\(did you mean "timer-storm"\?\)/],
  ])('bad input %j: exit 2 with a message', (argv, message) => {
    const r = lockstep('check', '--protocol', 'chat', ...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).not.toContain('property runs\n');
  });
});

describe('lockstep check --help and --guard', () => {
  it('documents exit 3 and its precedence', async () => {
    const r = await cli('check', '--help');
    expect(r.out).toMatch(/3 {2}inconclusive: nothing failed, but a MUST requirement was never exercised/);
    expect(r.out).toMatch(/2 {2}bad input[\s\S]*1 {2}a MUST requirement failed[\s\S]*3 {2}inconclusive[\s\S]*0 {2}every MUST requirement was exercised and passed/);
    expect(r.out).toContain('--allow-not-exercised');
    expect(r.out).toContain('--guard');
  });

  it('--guard reaches every run and the report; a guard stop names the limit and how to raise it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-guard-'));
    const r = await cli('check', '--protocol', 'chat', '--runs', '2', '--guard', 'request-storm=1', '--guard=connect-storm=50', '--report', dir, '--reporter', 'json');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/stopped: c1: request storm: more than 1 HTTP requests within one virtual second .* Limit: request-storm=1 \(HTTP requests of one node per virtual second\); raise it with --guard request-storm=N or "guards: \{ request-storm: N \}" in the scenario file\./);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.options.guards).toEqual({ 'request-storm': 1, 'connect-storm': 50 });
    expect(report.clients[0].property.counterexample.failed).toContain('guard:request-storm');
    // The limits travel in the failure record: the replay stops at the same guard, the same trace.
    const record = JSON.parse(readFileSync(report.clients[0].property.failureFile, 'utf8'));
    expect(record.scenario.guards).toEqual({ 'request-storm': 1, 'connect-storm': 50 });
    const replay = await cli('replay', report.clients[0].property.failureFile, '--quiet');
    expect(replay.out).toContain('the same as recorded');
  });
});

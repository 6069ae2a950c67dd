import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

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
    [['run'], /expected at least one scenario file/],
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
    expect(r.err).toContain('already exists; pass --force');
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
    expect(r.out).toContain('scenarios/chat/tc5-multiple-conversations.yaml');
    expect(r.out).toContain('zoo:chat/no-dedupe');
  });

  it('writes a replayable failure record that replays with the same trace hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const r = await cli('check', '--protocol', 'chat', '--client', 'zoo:chat/no-dedupe', '--runs', '60', '--seed', '3', '--report', dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('CHAT-2 FAILED');
    const record = join(dir, 'failures', 'chat--zoo-chat-no-dedupe.json');
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

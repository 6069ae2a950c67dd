import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseTrace } from '../../src/sim/trace.js';
import { servedVariables, startLockstep, stop, type Proc } from './helpers.js';

let dir: string;
let proc: Proc | undefined;
afterEach(async () => {
  await stop(proc);
  proc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
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

const fixture = 'test/real/fixtures/chat-real-trace.jsonl';

describe('lockstep serve / judge / check --real: bad input is exit 2 with a message', () => {
  it.each([
    [['serve'], /lockstep serve: which protocol\? pass --protocol/],
    [['serve', '--protocol', 'fax'], /unknown protocol "fax"/],
    [
      ['serve', '--scenario', 'scenarios/chat/fault-app-background.yaml'],
      /entry 0 \(app-background\): cannot be applied over real sockets/,
    ],
    [['serve', '--protocol', 'chat', 'extra'], /unexpected argument "extra"/],
    [['judge'], /expected exactly one trace file/],
    [['judge', 'no/such/trace.jsonl', '--protocol', 'chat'], /cannot read no\/such\/trace.jsonl: ENOENT/],
    [['judge', 'package.json', '--protocol', 'chat'], /package.json: line 1: expected a JSON object/],
    [['judge', fixture, '--protocol', 'event-sync'], /recorded for protocol chat, but --protocol is event-sync/],
    [['check', '--protocol', 'chat', '--client-cmd', 'true'], /--client-cmd (and --scenario )?goe?s? with --real/],
    [['check', '--real', '--protocol', 'chat'], /--client-cmd "COMMAND" is required/],
    [['check', '--real', '--protocol', 'chat', '--client-cmd', 'true'], /--scenario FILE\|DIR\|GLOB is required/],
    [
      ['check', '--real', '--client-cmd', 'true', '--scenario', 'test/real/fixtures/chat-reset-refuse.yaml', '--runs', '5'],
      /--runs does not apply to a real-socket check/,
    ],
    [
      ['check', '--real', '--client-cmd', 'true', '--scenario', 'scenarios/chat/fault-app-background.yaml'],
      /cannot be applied over real sockets/,
    ],
    [
      ['serve', '--scenario', 'test/real/fixtures/unrealisable/device-clock.yaml'],
      /device-clock\.yaml: clock: cannot be applied over real sockets: a real client reads its device's own clock and time zone/,
    ],
    [
      ['serve', '--scenario', 'test/real/fixtures/unrealisable/storage-quota.yaml'],
      /entry 0 \(storage-failure\): cannot be applied over real sockets: the client's storage belongs to its own process or device/,
    ],
    [
      ['check', '--real', '--client-cmd', 'true', '--scenario', 'test/real/fixtures/unrealisable/client-limit.yaml'],
      /entry 0 \(message-too-big\): cannot be applied over real sockets: direction both \(the default\)/,
    ],
    [
      ['check', '--real', '--client-cmd', 'true', '--scenario', 'test/real/fixtures/unrealisable'],
      /none of the scenarios can run over real sockets/,
    ],
  ])('%j', async (argv, message) => {
    const r = await cli(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('never overwrites a trace file without --force', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const file = join(dir, 'run.jsonl');
    writeFileSync(file, 'keep me\n');
    const r = await cli('serve', '--protocol', 'chat', '--trace', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/pass --force to overwrite it/);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });
});

describe('lockstep judge', () => {
  it('judges a simulated trace exactly as lockstep run did', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const trace = join(dir, 'sim.jsonl');
    const scenario = 'scenarios/chat/tc1-normal-websocket-flow.yaml';
    const run = await cli('run', scenario, '--quiet', '--trace', trace);
    const judged = await cli('judge', trace, '--protocol', 'chat', '--scenario', scenario, '--report', dir);
    expect(judged.err).toBe('');
    const lines = (s: string) => s.split('\n').filter((l) => /^CHAT-\d+ +(PASS|FAIL|NOT-EXERCISED) /.test(l));
    // As many requirements as the protocol has (the catalogue grows): the same verdicts as the run's.
    expect(lines(judged.out).length).toBeGreaterThanOrEqual(14);
    expect(lines(judged.out)).toEqual(lines(run.out));
    expect(judged.out).toContain('simulated trace');
    // judge applies check's inconclusive rule, which lockstep run does not.
    expect(judged.code).toBe(run.code === 1 ? 1 : judged.out.includes('INCONCLUSIVE') ? 3 : 0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { clients: { requirements: { id: string }[] }[] };
    expect(report.clients[0]!.requirements).toHaveLength(lines(run.out).length);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite');
  });

  it('judges a real-socket trace from what it records, and says what a trace without snapshots cannot show', async () => {
    const r = await cli('judge', fixture, '--protocol', 'chat');
    expect(r.err).toBe('');
    // A 10 s run leaves MUST requirements unexercised: inconclusive, as lockstep check has it.
    expect(r.code).toBe(3);
    expect(r.out).toContain('INCONCLUSIVE');
    const allow = /--allow-not-exercised ([A-Z0-9,-]+)/.exec(r.out)![1]!;
    const allowed = await cli('judge', fixture, '--protocol', 'chat', '--allow-not-exercised', allow);
    expect(allowed.code).toBe(0);
    expect(r.out).toMatch(/real-socket trace of \d+ steps, faults lifted at 9\.0 s/);
    expect(r.out).toMatch(/CHAT-5 +PASS/);

    dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const bare = join(dir, 'bare.jsonl');
    const kept = readFileSync(fixture, 'utf8')
      .split('\n')
      .filter((l) => l && !l.includes('"ev":"client.snapshot"'));
    // Renumber seq so the trace stays gap-free.
    writeFileSync(bare, `${kept.map((l, i) => l.replace(/"seq":\d+/, `"seq":${i}`)).join('\n')}\n`);
    const b = await cli('judge', bare, '--protocol', 'chat');
    expect(b.err).toBe('');
    expect(b.out).toContain('note: the trace has no client.snapshot steps');
    for (const id of ['CHAT-2', 'CHAT-3', 'CHAT-10', 'CHAT-12'])
      expect(b.out).toMatch(new RegExp(`${id} +NOT-EXERCISED +this requirement reads what the client showed its user`));
    // What the server saw is still judged.
    expect(b.out).toMatch(/CHAT-1 +PASS/);
    expect(b.out).toMatch(/CHAT-8 +PASS/);
  });
});

describe('lockstep serve and check --real, in-process', () => {
  it('serve --duration stops by itself and leaves a complete trace', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const trace = join(dir, 'serve.jsonl');
    const r = await cli('serve', '--protocol', 'chat', '--duration', '300', '--heal', '100', '--trace', trace);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^LOCKSTEP_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.out).toMatch(/^LOCKSTEP_CONTROL_URL=http:\/\/127\.0\.0\.1:\d+\/__lockstep$/m);
    expect(r.out).toMatch(/^LOCKSTEP_TOKEN=token-c1$/m);
    expect(r.out).toMatch(/faults lifted at 0\.3 s, stops at 0\.4 s/);
    const events = parseTrace(readFileSync(trace, 'utf8'), trace);
    // (server.log: what the server application logs of its world, at t = 0)
    expect(events.map((e) => e.ev).filter((ev) => ev !== 'server.log')).toEqual(['sim.start', 'sim.heal', 'sim.end']);
    expect(events[0]).toMatchObject({ mode: 'real', protocol: 'chat', duration: 300, heal: 100 });
  });

  it('a killed serve keeps every line it recorded', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const trace = join(dir, 'killed.jsonl');
    proc = startLockstep(['serve', '--protocol', 'chat', '--trace', trace]);
    const vars = await servedVariables(proc);
    const r = await fetch(`${vars.LOCKSTEP_BASE_URL}/api/v1/consultations/A/messages`, {
      headers: { authorization: `Bearer ${vars.LOCKSTEP_TOKEN}` },
    });
    expect(r.status).toBe(200);
    proc.child.kill('SIGKILL');
    await proc.exited;
    const events = parseTrace(readFileSync(trace, 'utf8'), trace);
    expect(events.map((e) => e.ev).filter((ev) => ev !== 'server.log')).toEqual(['sim.start', 'http.request', 'http.serve', 'http.respond', 'http.response']);
  });

  it('check --real reports a client command that cannot start, without waiting for the start-up timeout', async () => {
    const t = performance.now();
    const r = await cli(
      'check',
      '--real',
      '--protocol',
      'chat',
      '--client-cmd',
      'echo starting >&2; exit 3',
      '--scenario',
      'test/real/fixtures/chat-reset-refuse.yaml',
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('the client command exited before the run could start (waiting for c1)');
    expect(r.out).toContain('--- c1 (exit code 3), last lines of stderr:\nstarting');
    expect(r.out).toContain('FAIL');
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The harness outlives its clients: each hostile client below is checked by the real
// command, as a user runs it, with small limits so that the suite stays fast. Every case
// must end by itself, exit 1 (never 0, never a crash of lockstep), and name the client,
// the cause and the virtual time.
const reports = mkdtempSync(join(tmpdir(), 'lockstep-hostile-'));

function check(fixture: string, ...extra: string[]): { code: number | null; out: string; err: string; ms: number } {
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    ['bin/lockstep.js', 'check', '--protocol', 'chat', '--client', `test/fixtures/hostile/${fixture}.ts`, '--runs', '5', '--workers', '1', '--report', join(reports, fixture), ...extra],
    { encoding: 'utf8', timeout: 170_000, env: { ...process.env, NO_COLOR: '1' } },
  );
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - started };
}

const cases: [fixture: string, flags: string[], cause: RegExp][] = [
  ['spin', ['--step-timeout', '1500'], /made no progress for 1\.5 s of wall time .* the user action send on c1 at \d+ ms virtual time\. .*raise --step-timeout/],
  ['microtasks', ['--step-timeout', '1500', '--max-heap', '96'], /(ran out of memory \(the heap limit is 96 MB\)|made no progress for 1\.5 s).* the user action send on c1 at \d+ ms virtual time/],
  ['allocate', ['--max-heap', '96'], /ran out of memory \(the heap limit is 96 MB\).* the user action send on c1 at \d+ ms virtual time\. .*raise --max-heap/],
  ['exits', [], /client error: c1 at \d+ ms, in c1\/action:send: ForbiddenProcessCall: client code called process\.exit\(0\)/],
  ['throwing-listener', [], /client error: c1 at [\d.]+ ms, in c1\/ws#\d+ message listener: TypeError: analytics is not configured \(.*throwing-listener\.ts:\d+:\d+\)\)/],
  ['cyclic-snapshot', [], /client error: c1 at 0 ms, in snapshot\(\): TypeError: canonical JSON cannot hold a circular structure/],
  ['date-now', [], /c1 called the real Date\.now\(\) at virtual time \d+ ms \(while running c1\/action:send\)/],
];

describe('a hostile client never takes the harness down or makes a run lie', () => {
  it.each(cases)('%s', (fixture, flags, cause) => {
    const r = check(fixture, ...flags);
    expect(r.code, r.out.slice(-2000) + r.err).toBe(1);
    expect(r.out).toMatch(cause);
    expect(r.out).toContain(`chat / test/fixtures/hostile/${fixture}.ts: FAIL`);
    // lockstep itself stays up: no native crash, no stack trace of its own.
    expect(r.err).not.toMatch(/FATAL ERROR|Aborted|internal error|^\s+at .*lockstep/m);
    // The reports are written and say the same.
    const report = JSON.parse(readFileSync(join(reports, fixture, 'report.json'), 'utf8')) as { clients: { exitCode: number }[] };
    expect(report.clients[0]!.exitCode).toBe(1);
  }, 180_000);
});

describe('--client-errors warn', () => {
  it('reports a throwing listener without failing a client that otherwise conforms', () => {
    const r = check('throwing-listener', '--client-errors', 'warn');
    expect(r.code, r.out.slice(-2000) + r.err).toBe(0);
    expect(r.out).toMatch(/client error \(warning only\): c1 at [\d.]+ ms, in c1\/ws#\d+ message listener: TypeError: analytics is not configured/);
  }, 180_000);
});

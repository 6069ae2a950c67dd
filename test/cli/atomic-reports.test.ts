import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A kill at any point of a check never leaves a partial or mixed report set: the folder
// holds the previous complete set or the new complete set. LOCKSTEP_KILL_AT makes the
// process SIGKILL itself at a named point of the write (fault injection).
const dir = mkdtempSync(join(tmpdir(), 'lockstep-atomic-'));
const report = join(dir, 'report');
const files = ['index.html', 'junit.xml', 'report.json'];

function check(seed: number, killAt?: string): number | null {
  const env = { ...process.env, ...(killAt ? { LOCKSTEP_KILL_AT: killAt } : {}) };
  return spawnSync(process.execPath, ['bin/lockstep.js', 'check', '--protocol', 'chat', '--client', 'zoo:chat/no-dedupe', '--runs', '20', '--seed', String(seed), '--workers', '0', '--report', report], { env, encoding: 'utf8', timeout: 120_000 }).status;
}

/** The current set — or, after a kill between the renames, the previous one waiting beside it (the next check puts it back). */
function snapshot(): Record<string, string> {
  const at = existsSync(report) ? report : join(dir, readdirSync(dir).find((f) => f.startsWith('.report.lockstep-old-'))!);
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(at, f), 'utf8')]));
}

describe('report sets are replaced whole', () => {
  it('a first check writes the set and a marker naming it', () => {
    expect(check(1)).toBe(1);
    expect(readdirSync(report).sort()).toEqual(['.lockstep-report.json', 'failures', ...files].sort());
  });

  it.each(['report-json', 'report-junit', 'report-html', 'before-swap', 'mid-swap', 'after-swap'])('killed at %s: the old set or the new one, never a mix', (point) => {
    const before = snapshot();
    expect(check(2 + point.length, point)).toBe(null); // killed by the signal
    if (!existsSync(report)) {
      // Killed between the two renames: the previous set waits, whole, beside it.
      const old = readdirSync(dir).find((f) => f.startsWith('.report.lockstep-old-'));
      expect(old).toBeDefined();
      for (const f of files) expect(readFileSync(join(dir, old!, f), 'utf8')).toBe(before[f]);
      return;
    }
    const after = snapshot();
    const same = files.filter((f) => after[f] === before[f]);
    expect([0, files.length]).toContain(same.length);
    for (const f of files) expect(after[f]!.length).toBeGreaterThan(0);
    JSON.parse(after['report.json']!);
  }, 150_000);
});

describe('output paths are checked before any work', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/lockstep.js', ...args], { encoding: 'utf8', timeout: 30_000 });
  it.each([
    [['check', '--protocol', 'chat', '--report', '/proc/lockstep-x'], /--report \/proc\/lockstep-x: expected a place for files, found the system folder \/proc/],
    [['run', 'chat/tc1-normal-websocket-flow', '--trace', '/proc/x/t'], /--trace \/proc\/x\/t: expected a place for files/],
    [['check', '--protocol', 'chat', '--report', 'package.json'], /--report package\.json: expected a folder, found a file/],
    [['check', '--protocol', 'chat', '--report', 'docs'], /--report docs: the folder holds files lockstep did not write .*--force/],
    [['run', 'chat/tc1-normal-websocket-flow', '--trace', 'README.md'], /--trace README\.md exists and was not written by lockstep; pass --force/],
    [['merge', join(dir, 'report'), '--report', dir], /would replace the shard report/],
  ])('%j', (args, message) => {
    const started = performance.now();
    const r = run(...args);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(performance.now() - started).toBeLessThan(20_000); // at once, never after the work
  });
});

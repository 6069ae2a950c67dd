import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseTrace } from '../../src/sim/trace.js';
import { documentedCommands, guide, servedVariables, shellWords, startLockstep, stop, type Proc } from './helpers.js';

// Every `$ command` of docs/real-socket-mode.md is run: here (serve, curl, judge), or —
// for check --real, which takes a scenario's wall-clock time — in chat-real.test.ts,
// which runs the very command the guide shows. Its ```sh block runs in
// test/docs/doc-commands.test.ts.

let procs: Proc[] = [];
afterEach(async () => {
  await Promise.all(procs.map((p) => stop(p)));
  procs = [];
});

const hasCurl = (() => {
  try {
    return existsSync('/usr/bin/curl') || existsSync('/bin/curl') || existsSync('/usr/local/bin/curl');
  } catch {
    return false;
  }
})();

function bash(cmd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', cmd], { env: { ...process.env, ...env }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe(`the commands of ${guide}`, () => {
  const commands = documentedCommands();

  it('are all of a kind a test runs', () => {
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) expect(c, c).toMatch(/^(lockstep (serve|judge|check --real) |curl )/);
    expect(commands.filter((c) => c.startsWith('lockstep check --real'))).toHaveLength(1);
  });

  it.skipIf(!hasCurl)(
    'work as shown: serve, a curl client, judge; serve with a fault plan',
    async () => {
      let vars: Record<string, string> = {};
      const serves: Proc[] = [];
      const traces: string[] = [];
      for (const command of commands) {
        const words = shellWords(command);
        if (command.startsWith('lockstep serve ')) {
          const t = words[words.indexOf('--trace') + 1]!;
          rmSync(t, { force: true });
          traces.push(t);
          const p = startLockstep(words.slice(1));
          procs.push(p);
          serves.push(p);
          vars = await servedVariables(p);
          continue;
        }
        if (command.startsWith('curl ')) {
          const r = await bash(`${command} -f -w '\\n%{http_code}'`, vars);
          expect(r.code, `${command}\n${r.stderr}`).toBe(0);
          expect(r.stdout.trim().split('\n').pop(), command).toMatch(/^20[014]$/);
          continue;
        }
        if (command.startsWith('lockstep judge ')) {
          // Stop the servers first (Ctrl-C in the guide): each records sim.end and exits 0.
          for (const p of serves.splice(0)) {
            p.child.kill('SIGINT');
            expect(await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))])).toBe(0);
            expect(p.lines.join('\n')).toMatch(/run ended at/);
          }
          const out: string[] = [];
          const err: string[] = [];
          const code = await main(
            words.slice(1),
            (s) => out.push(s),
            (s) => err.push(s),
          );
          expect(err.join('\n')).toBe('');
          expect([0, 1, 3]).toContain(code);
          expect(out.join('\n')).toMatch(/CHAT-1 .*\n[\s\S]*CHAT-14/);
        }
      }
      // The serve started after the last judge (the fault-plan one) is still up: its URLs work.
      expect(serves).toHaveLength(1);
      const r = await fetch(`${vars.LOCKSTEP_BASE_URL}/api/v1/consultations/B/messages`, {
        headers: { authorization: `Bearer ${vars.LOCKSTEP_TOKEN}` },
      });
      expect(r.status).toBe(200);
      serves[0]!.child.kill('SIGTERM');
      expect(await serves[0]!.exited).toBe(0);
      // Each trace was written as the run went and ends with sim.end.
      for (const t of traces) {
        const events = parseTrace(readFileSync(t, 'utf8'), t);
        expect(events[0]!.ev).toBe('sim.start');
        expect(events[events.length - 1]!.ev).toBe('sim.end');
      }
      const walkthrough = parseTrace(readFileSync(traces[0]!, 'utf8'), traces[0]);
      expect(walkthrough.filter((e) => e.ev === 'client.action')).toHaveLength(1);
      expect(walkthrough.filter((e) => e.ev === 'client.snapshot').length).toBeGreaterThanOrEqual(2);
      expect(walkthrough.filter((e) => e.ev === 'http.serve')).toHaveLength(2);
      expect(walkthrough.some((e) => e.ev === 'server.log' && e.msg === 'message.stored' && e.content === 'hello')).toBe(true);
    },
    40_000,
  );
});

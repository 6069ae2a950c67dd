import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { protocols, getProtocol } from '../../src/conformance/registry.js';
import { resolveScenario } from '../../src/conformance/scenario.js';
import { createRealTimers, hostTimers } from '../../src/real/clock.js';
import { maxTimerMs } from '../../src/real/limits.js';
import { RealServer } from '../../src/real/server.js';
import { chatServer, connect, sleep, steps } from './harness.js';

// Node's timers hold at most 2³¹−1 ms; a longer delay fires after 1 ms. A real-socket run
// refuses a schedule past that at the start (exit 2), and the server application's own
// timers wait as long as they are asked to.

let dir: string | undefined;
let server: RealServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
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

function scenarioFile(duration: number, heal = 0): string {
  dir ??= mkdtempSync(join(tmpdir(), 'lockstep-durations-'));
  const file = join(dir, `long-${duration}.yaml`);
  writeFileSync(file, `protocol: chat\nname: long\nduration: ${duration}\nheal: ${heal}\n`);
  return file;
}

describe('serve and check --real: durations Node timers cannot hold are refused with exit 2', () => {
  it.each([
    [['--duration', '2147483648'], /--duration expects a whole number from 0 to 2,147,483,647 \(Node's timers hold at most 2³¹−1 ms/],
    [['--duration', '99999999999999'], /--duration expects a whole number from 0 to 2,147,483,647/],
    [['--duration', '-5'], /--duration expects a whole number from 0 to 2,147,483,647, found "-5"/],
    [['--duration', 'NaN'], /--duration expects a whole number .*found "NaN"/],
    [['--duration', '1e3'], /--duration expects a whole number .*found "1e3"/],
    [['--duration', '0'], /--duration expects at least 1 ms, found 0/],
    [['--duration', '1000', '--heal', '2147483648'], /--heal expects a whole number from 0 to 2,147,483,647/],
    [['--duration', '2147483647', '--heal', '1'], /duration \+ heal must be at most 2147483647 ms .*found 2147483647 \+ 1 = 2147483648/],
  ])('serve %j', async (flags, message) => {
    const r = await cli('serve', '--protocol', 'chat', ...flags);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a scenario lasting longer than the timers hold: serve and check --real', async () => {
    // The scenario loader may refuse it already (its own virtual-ms limit); either way: exit 2, naming the limit.
    const file = scenarioFile(2_000_000_000, 1_000_000_000);
    for (const r of [await cli('serve', '--scenario', file), await cli('check', '--real', '--client-cmd', 'true', '--scenario', file)]) {
      expect(r.code).toBe(2);
      expect(r.err).toContain(file);
      expect(r.err).toMatch(/2,?147,?483,?647/);
    }
  });

  it('a fault plan past the limit in a run without end: the plan file is named', async () => {
    dir ??= mkdtempSync(join(tmpdir(), 'lockstep-durations-'));
    const plan = join(dir, 'plan.yaml');
    writeFileSync(plan, '- kind: partition\n  at: 2147483000\n  duration: 100000\n');
    const r = await cli('serve', '--protocol', 'chat', '--fault-plan', plan);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${plan}: fault entry 0 (partition): at + duration must be at most 2147483647 ms`);
  });

  it('the longest run that fits starts and keeps running; one a millisecond longer is refused', async () => {
    // Built past the scenario loader, which has limits of its own: the server checks for itself.
    const scenario = (duration: number, heal: number) => ({
      ...resolveScenario({ protocol: 'chat', network: { link: { latency: 1 } } }, 'test', protocols),
      duration,
      heal,
    });
    server = await RealServer.listen({ protocol: getProtocol('chat'), scenario: scenario(maxTimerMs - 10, 10) });
    await sleep(150);
    expect(server.endAt).toBeUndefined();
    expect(steps(server, 'sim.heal')).toEqual([]);
    await expect(RealServer.listen({ protocol: getProtocol('chat'), scenario: scenario(maxTimerMs - 10, 11) })).rejects.toThrow(
      /test: duration \+ heal must be at most 2147483647 ms/,
    );
  });

  it('an untimed run refuses fault times past the limit', async () => {
    const scenario = resolveScenario({ protocol: 'chat' }, 'test', protocols);
    scenario.faults = [{ kind: 'partition', at: maxTimerMs - 10, duration: 1000 }];
    await expect(RealServer.listen({ protocol: getProtocol('chat'), scenario, timed: false })).rejects.toThrow(
      /test: fault entry 0 \(partition\): at \+ duration must be at most 2147483647 ms/,
    );
  });
});

describe('timers of a real-socket run wait as long as they are asked to', () => {
  it('the host never fires a timer early, however long its delay', async () => {
    let fired = 0;
    const h = hostTimers.setTimeout(() => fired++, 2 ** 33);
    await sleep(50);
    expect(fired).toBe(0);
    hostTimers.clearTimeout(h);
  });

  it("the application's timers past 2³¹−1 ms do not fire at once, and can be cleared", async () => {
    const errors: string[] = [];
    const timers = createRealTimers('server', (s) => errors.push(s));
    let fired = 0;
    const once = timers.setTimeout(() => fired++, 2 ** 31 + 5);
    const every = timers.setInterval(() => fired++, 2 ** 32);
    const soon = timers.setTimeout(() => fired++, 5);
    await sleep(60);
    expect(fired).toBe(1);
    timers.clearTimeout(once);
    timers.clearInterval(every);
    expect(soon).toBeDefined();
    timers.cancelAll();
    expect(errors).toEqual([]);
  });

  it('a server token revocation a month away leaves the socket open (it used to fire at once)', async () => {
    server = await chatServer([], { server: { options: { revokeAt: 30 * 24 * 3600 * 1000 } } });
    const s = connect(server);
    await s.opened;
    await sleep(150);
    expect(steps(server, 'server.log').filter((e) => e.msg === 'auth.revoked')).toEqual([]);
    expect(s.ws.readyState).toBe(1); // OPEN
    s.ws.close(1000);
    await s.closed;
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseTrace } from '../../src/sim/trace.js';
import { simulatedVerdicts, servedVariables, start, startLockstep, startRealClient, stop, type Proc } from './helpers.js';

const scenario = 'test/real/fixtures/sync-reset-refuse.yaml';
let procs: Proc[] = [];
let dir: string | undefined;

afterEach(async () => {
  await Promise.all(procs.map((p) => stop(p)));
  procs = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('event-sync over real sockets: lockstep serve, the reference client in its own process, lockstep judge', () => {
  it('gets the same verdict per requirement as the simulated run of the same scenario', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-real-'));
    const trace = join(dir, 'sync.jsonl');
    const serve = startLockstep(['serve', '--scenario', scenario, '--wait-for-clients', '--trace', trace]);
    procs.push(serve);
    const vars = await servedVariables(serve);
    expect(vars.LOCKSTEP_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(vars.LOCKSTEP_WS_URL).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(vars.LOCKSTEP_CONTROL_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__lockstep$/);
    const client = startRealClient('event-sync', vars);
    procs.push(client);
    // serve stops by itself after the scenario's duration + heal (5 s from the client's first poll).
    const code = await Promise.race([serve.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(code, serve.stderr.join('')).toBe(0);
    expect(serve.lines.join('\n')).toMatch(/run ended at \d/);
    await Promise.race([client.exited, new Promise((r) => setTimeout(r, 5000))]);
    expect(client.stderr.join('')).toBe('');

    const events = parseTrace(readFileSync(trace, 'utf8'), trace);
    const kinds = new Set(events.map((e) => e.ev));
    for (const ev of ['sim.start', 'client.action', 'client.snapshot', 'ws.reset', 'ws.refuse', 'http.request', 'sim.heal', 'sim.end'])
      expect(kinds, ev).toContain(ev);
    expect(events.find((e) => e.ev === 'ws.refuse')?.status).toBe(503);

    const out: string[] = [];
    const err: string[] = [];
    const judged = await main(
      ['judge', trace, '--protocol', 'event-sync', '--scenario', scenario, '--report', dir],
      (s) => out.push(s),
      (s) => err.push(s),
    );
    expect(err).toEqual([]);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
      clients: { scenarios: { findings: { requirement: string; verdict: string; evidence: string }[] }[] }[];
    };
    const findings = report.clients[0]!.scenarios[0]!.findings;
    const real = Object.fromEntries(findings.map((f) => [f.requirement, f.verdict]));
    const sim = await simulatedVerdicts(scenario);
    expect(real, findings.map((f) => `${f.requirement} ${f.verdict}: ${f.evidence}`).join('\n')).toEqual(sim);
    // judge applies check's inconclusive rule: a 4 s run leaves MUST requirements unexercised.
    expect(judged).toBe(Object.values(sim).includes('fail') ? 1 : Object.values(real).includes('not-exercised') ? 3 : 0);
  }, 45_000);
});

void start;

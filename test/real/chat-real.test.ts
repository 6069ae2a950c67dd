import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseTrace } from '../../src/sim/trace.js';
import { documentedCommand, shellWords, simulatedVerdicts } from './helpers.js';

interface Report {
  clients: {
    exitCode: number;
    scenarios: { name: string; error?: string; findings: { requirement: string; verdict: string; evidence: string }[] }[];
  }[];
}

describe('the reference chat client in its own process (real fetch, a real WebSocket) under lockstep check --real', () => {
  it('gets the same verdict per requirement as the simulated run of the same scenario (a reset, a refused reconnect, a switch and back)', async () => {
    // The command the guide shows, run as shown (child processes are stopped by lockstep itself).
    const command = documentedCommand((c) => c.startsWith('lockstep check --real'));
    const argv = shellWords(command).slice(1);
    const scenario = argv[argv.indexOf('--scenario') + 1]!;
    const reportDir = argv[argv.indexOf('--report') + 1]!;
    rmSync(reportDir, { recursive: true, force: true });
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      argv,
      (s) => out.push(s),
      (s) => err.push(s),
    );
    expect(err).toEqual([]);

    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as Report;
    const run = report.clients[0]!.scenarios[0]!;
    expect(run.error).toBeUndefined();
    const real = Object.fromEntries(run.findings.map((f) => [f.requirement, f.verdict]));
    const sim = await simulatedVerdicts(scenario);
    expect(real, run.findings.map((f) => `${f.requirement} ${f.verdict}: ${f.evidence}`).join('\n')).toEqual(sim);
    // A short scenario leaves some MUST requirements unexercised: inconclusive (exit 3), as lockstep check has it.
    const mustUnexercised = report.clients[0]!.scenarios.length > 0 && Object.values(real).includes('not-exercised');
    expect(code).toBe(Object.values(sim).includes('fail') ? 1 : mustUnexercised ? 3 : 0);
    expect(out.join('\n')).toContain(
      `chat / cmd:node --import tsx test/fixtures/real-client.ts: ${code === 0 ? 'PASS' : code === 3 ? 'INCONCLUSIVE' : 'FAIL'}`,
    );

    // The faults happened on the wire, and the client reported what its user saw.
    const file = join(reportDir, 'traces', `${run.name}.jsonl`);
    const events = parseTrace(readFileSync(file, 'utf8'), file);
    const of = (ev: string) => events.filter((e) => e.ev === ev);
    expect(events[0]).toMatchObject({ ev: 'sim.start', mode: 'real', protocol: 'chat', clients: ['c1'] });
    expect(of('ws.reset')).toHaveLength(1);
    expect(of('ws.close').find((e) => e.side === 'client' && e.code === 1006 && e.why === 'ws-reset (fault entry 0)')).toBeDefined();
    expect(of('ws.refuse').map((e) => e.status)).toContain(503);
    expect(of('ws.open').length).toBeGreaterThanOrEqual(2);
    expect(of('client.action').map((e) => [e.do, (e.args as { conversation?: string } | undefined)?.conversation])).toEqual([
      ['openConversation', 'A'],
      ['send', undefined],
      ['openConversation', 'B'],
      ['openConversation', 'A'],
    ]);
    expect(of('client.snapshot').length).toBeGreaterThan(3);
    expect(
      of('server.log')
        .filter((e) => e.msg === 'message.stored')
        .map((e) => e.content),
    ).toEqual(['hello', 'Reply to: hello']);
    // Times are wall-clock milliseconds since the start, in order.
    for (let i = 1; i < events.length; i++) expect(events[i]!.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
    expect(events[events.length - 1]).toMatchObject({ ev: 'sim.end' });
    expect(events[events.length - 1]!.t).toBeGreaterThanOrEqual(10_000);
  }, 45_000);
});

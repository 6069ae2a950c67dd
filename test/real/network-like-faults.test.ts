import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProtocol, protocols } from '../../src/conformance/registry.js';
import { loadScenarioFile, resolveScenario } from '../../src/conformance/scenario.js';
import { checkReal } from '../../src/real/check-real.js';
import { realTimeScenario } from '../../src/real/profile.js';
import { RealServer } from '../../src/real/server.js';

const chat = getProtocol('chat');

/** The error code of a failed fetch (Node's fetch puts the socket's error in `cause`). */
async function fetchOutcome(url: string): Promise<string> {
  try {
    const r = await fetch(url, { headers: { authorization: 'Bearer token-c1' } });
    await r.text();
    return String(r.status);
  } catch (e) {
    return String(((e as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (e as Error).message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('faults that look like the network', () => {
  it('a dead server and an offline device refuse the connect (ECONNREFUSED), and the same port answers again afterwards', async () => {
    const scenario = {
      ...resolveScenario({ protocol: 'chat', name: 'refuse' }, '(test)', protocols),
      duration: 60_000,
      heal: 0,
      faults: [
        { kind: 'server-restart' as const, at: 300, downtime: 1500, state: 'keep' as const, closeCode: 1006 as const },
        { kind: 'client-offline' as const, at: 3000, duration: 1500 },
      ],
    };
    const server = await RealServer.listen({ protocol: chat, scenario });
    // Each step waits for what the trace says happened, not for a time: a busy machine only slows it.
    const reached = async (ev: string, kind?: string): Promise<void> => {
      while (!server.trace.events().some((e) => e.ev === ev && (kind === undefined || e.kind === kind))) await sleep(20);
    };
    try {
      const url = `${server.urlsOf('c1').baseUrl}/api/v1/consultations/A/messages`;
      expect(await fetchOutcome(url)).toBe('200');
      await reached('server.restart');
      expect(await fetchOutcome(url)).toBe('ECONNREFUSED');
      await reached('server.up');
      expect(await fetchOutcome(url)).toBe('200');
      await reached('fault.start', 'client-offline');
      expect(await fetchOutcome(url)).toBe('ECONNREFUSED');
      await reached('fault.end', 'client-offline');
      expect(await fetchOutcome(url)).toBe('200');
      // The refused connects are nowhere in the trace: only the three that got through.
      expect(server.trace.events().filter((e) => e.ev === 'http.request')).toHaveLength(3);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('the four chat scenarios that failed a client whose HTTP library retries a reset request pass it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-retry-'));
    const retryLog = join(dir, 'retries.log');
    const names = ['tc4-offline-online', 'app-restart-outbox', 'fault-server-restart', 'fault-client-offline-stall'];
    // The real-time profile's timeline with a short heal: a lost message still shows as a
    // second store or a duplicate entry; only "eventually shown" needs the long heal.
    const scenarios = names.map((n) => ({ ...realTimeScenario(loadScenarioFile(`scenarios/chat/${n}.yaml`, protocols)), heal: 3000 }));
    const lines: string[] = [];
    const result = await checkReal({
      protocol: chat,
      scenarios,
      command: 'node --import tsx test/real/fixtures/retrying-client.mjs',
      env: { RETRY_LOG: retryLog },
      parallel: 4,
      out: (s) => lines.push(s),
    });
    const failures = result.scenarios.flatMap((s) =>
      s.error ? [`${s.name}: ${s.error}`] : s.findings.filter((f) => f.verdict === 'fail').map((f) => `${s.name} ${f.requirement}: ${f.evidence}`),
    );
    expect(failures, lines.join('\n')).toEqual([]);
    expect(result.scenarios.map((s) => s.name)).toEqual(names);
    // Whether the library's retry fired is recorded, for the reader; the verdicts above hold either way.
    const retries = existsSync(retryLog) ? readFileSync(retryLog, 'utf8').trim().split('\n').filter(Boolean) : [];
    console.log(`retrying client: ${retries.length} silent retries\n${retries.join('\n')}`);
  }, 120_000);
});

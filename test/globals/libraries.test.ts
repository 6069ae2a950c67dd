import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Real libraries, unmodified, inside chat clients written against browser globals
 * (test/fixtures/libraries/), checked with `--globals` as real processes.
 */
const run = promisify(execFile);
const lockstep = (args: string[]) =>
  run('npx', ['lockstep', ...args], { cwd: process.cwd(), maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
const fixture = (f: string) => `test/fixtures/libraries/${f}`;

interface TraceLine {
  t: number;
  ev: string;
  id?: string;
  status?: number;
  method?: string;
  code?: number;
}
async function traceOf(scenario: string, client: string): Promise<{ lines: TraceLine[]; hash: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'lockstep-libs-')), 'trace.jsonl');
  const r = await lockstep(['run', scenario, '--client', fixture(client), '--globals', '--quiet', '--trace', file]);
  expect(r.out).toMatch(/trace sha256 [0-9a-f]{64}/);
  const text = readFileSync(file, 'utf8');
  return { lines: text.trim().split('\n').map((l) => JSON.parse(l) as TraceLine), hash: /trace sha256 ([0-9a-f]{64})/.exec(r.out)![1]! };
}
/** Virtual times between each socket's close and the next connect. */
function reconnectGaps(lines: TraceLine[]): number[] {
  const gaps: number[] = [];
  let closedAt: number | undefined;
  for (const l of lines) {
    if (l.ev === 'ws.closed' || l.ev === 'ws.close') closedAt ??= l.t;
    if (l.ev === 'ws.connect' && closedAt !== undefined) {
      gaps.push(Math.round(l.t - closedAt));
      closedAt = undefined;
    }
  }
  return gaps;
}

describe('real libraries under --globals', { timeout: 240_000 }, () => {
  it('reconnecting-websocket + axios (node:http): byte-identical traces in two processes, the configured backoff 2, 4, 8 s in the trace', async () => {
    const [a, b] = await Promise.all([traceOf('chat/sync2-websocket-fails', 'rws-axios-client.ts'), traceOf('chat/sync2-websocket-fails', 'rws-axios-client.ts')]);
    expect(a.hash).toBe(b.hash);
    expect(a.lines.filter((l) => l.ev === 'http.request').length).toBeGreaterThan(3);
    const gaps = reconnectGaps(a.lines);
    expect(gaps.slice(0, 3).map((g) => Math.round(g / 1000))).toEqual([2, 4, 8]);
  });

  it('partysocket + ky: same trace in two processes; ky retries a 503 GET after 300 ms, partysocket backs off 2 s then 4 s', async () => {
    const [a, b] = await Promise.all([traceOf('chat/fault-http-503', 'partysocket-ky-client.ts'), traceOf('chat/fault-http-503', 'partysocket-ky-client.ts')]);
    expect(a.hash).toBe(b.hash);
    const answered = a.lines.find((l) => l.ev === 'http.response' && l.status === 503)!;
    const retry = a.lines.find((l) => l.ev === 'http.request' && l.method === 'GET' && Math.abs(l.t - answered.t - 300) < 1e-6);
    expect(retry, 'ky retry 300 ms after the first 503').toBeDefined();
    expect(reconnectGaps(a.lines).slice(0, 2).map((g) => Math.round(g / 1000))).toEqual([2, 4]);
  });

  it('ofetch + global WebSocket: same trace in two processes; ofetch retries a 503 GET after its retryDelay of 700 ms', async () => {
    const [a, b] = await Promise.all([traceOf('chat/fault-http-503', 'ofetch-client.ts'), traceOf('chat/fault-http-503', 'ofetch-client.ts')]);
    expect(a.hash).toBe(b.hash);
    const answered = a.lines.find((l) => l.ev === 'http.response' && l.status === 503)!;
    const retry = a.lines.find((l) => l.ev === 'http.request' && l.method === 'GET' && Math.abs(l.t - answered.t - 700) < 1e-6);
    expect(retry, 'ofetch retry 700 ms after the first 503').toBeDefined();
  });

  it('check --globals --runs 50 runs every shipped scenario (two client nodes, restarts) with the same report and failure records in two processes; replay reproduces a failure in 10 of 10 processes', async () => {
    const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'lockstep-libs-check-')));
    const results = await Promise.all(dirs.map((d) => lockstep(['check', '--protocol', 'chat', '--globals', '--client', fixture('rws-axios-client.ts'), '--runs', '50', '--workers', '0', '--report', d])));
    expect(results.map((r) => r.code)).toEqual([1, 1]);
    expect(results[0]!.out).not.toMatch(/runs one client node|exit 2/);
    const verdicts = (d: string) => {
      const r = JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as { results?: unknown; requirements?: unknown };
      // The report folder's name is the only difference allowed (and wall-clock figures).
      return JSON.stringify(r, (k, v: unknown) => (/wall|elapsed|generated/i.test(k) && typeof v !== 'object' ? undefined : v)).split(d).join('<dir>');
    };
    expect(verdicts(dirs[0]!)).toBe(verdicts(dirs[1]!));
    const records = (d: string) =>
      readdirSync(join(d, 'failures'))
        .sort()
        .map((f) => [f, createHash('sha256').update(readFileSync(join(d, 'failures', f))).digest('hex')]);
    expect(records(dirs[0]!).length).toBeGreaterThan(0);
    expect(records(dirs[0]!)).toEqual(records(dirs[1]!));

    const record = join(dirs[0]!, 'failures', readdirSync(join(dirs[0]!, 'failures')).find((f) => f.endsWith('shrunk.json')) ?? readdirSync(join(dirs[0]!, 'failures'))[0]!);
    const hashes: string[] = [];
    for (const batch of [0, 1]) {
      const rs = await Promise.all([0, 1, 2, 3, 4].map(() => lockstep(['replay', record])));
      for (const r of rs) hashes.push(/trace sha256 ([0-9a-f]{64})/.exec(r.out)?.[1] ?? `no hash: ${r.out.slice(-400)}` + String(batch));
    }
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { servedVariables, start, stop, type Proc } from './helpers.js';

// `lockstep serve` under a flood of rejected requests: its memory stays flat because the
// trace goes to the file only (it used to keep every step: +1.3 KB per rejected request).
// The server runs in its own process; its resident set is read from /proc. V8 lets
// garbage pile up to a limit of its choosing before it collects (tens of MB, at a moment
// that varies from run to run), so before each reading the test asks the server's V8 for
// a full collection over the inspector protocol: what is left is what the server keeps.

let proc: Proc | undefined;
let dir: string | undefined;
afterEach(async () => {
  await stop(proc);
  proc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const linux = existsSync('/proc/self/status');

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** Rejected requests of four kinds, sent over keep-alive connections, `concurrency` at a time. */
function flooder(vars: Record<string, string>, concurrency = 32) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const api = new URL(vars.LOCKSTEP_BASE_URL!);
  const control = new URL(vars.LOCKSTEP_CONTROL_URL!);
  const deep = `{"msg":"x","a":${'['.repeat(200)}${']'.repeat(200)}}`;
  const kinds = [
    { url: api, path: '/api/v1/consultations/A/messages', token: 'token-zz', status: 401 },
    { url: api, path: '/api/v1/consultations/A%ZZ/messages', token: 'token-zz', status: 400 },
    { url: control, path: '/__lockstep/next-action', token: 'token-zz', status: 401 },
    { url: control, path: '/__lockstep/log', token: vars.LOCKSTEP_TOKEN!, status: 400, body: deep },
  ];
  const one = (i: number): Promise<void> => {
    // Mostly the API's unknown-token case, which the trace records.
    const k = kinds[i % 10 < 7 ? 0 : (i % 10) - 6]!;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: k.url.hostname,
          port: k.url.port,
          path: k.path,
          method: k.body ? 'POST' : 'GET',
          agent,
          headers: { authorization: `Bearer ${k.token}`, ...(k.body ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === k.status ? resolve() : reject(new Error(`${k.path}: ${res.statusCode}, expected ${k.status}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(k.body);
    });
  };
  let sent = 0;
  return {
    /** Sends requests until `total` have been sent since the start. */
    async upTo(total: number): Promise<void> {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (sent < total) await one(sent++);
        }),
      );
    },
    close: () => agent.destroy(),
  };
}

/** The inspector URL the child printed on stderr (`--inspect=127.0.0.1:0`). */
async function inspectorUrl(p: Proc): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /Debugger listening on (ws:\/\/\S+)/.exec(p.stderr.join(''));
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server printed no inspector URL; stderr:\n${p.stderr.join('')}`);
}

/** A full garbage collection in the child (DevTools protocol `HeapProfiler.collectGarbage`), then a moment to settle. */
async function collectGarbage(url: string): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const done = new Promise<void>((resolve) =>
    ws.on('message', (d: Buffer) => {
      if ((JSON.parse(d.toString()) as { id?: number }).id === 1) resolve();
    }),
  );
  ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  await done;
  ws.close();
  await new Promise((r) => setTimeout(r, 300));
}

describe('lockstep serve memory', () => {
  it.skipIf(!linux)(
    'RSS after 100,000 rejected requests is within 20 % of its RSS after 1,000',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'lockstep-flood-'));
      const trace = join(dir, 'flood.jsonl');
      proc = start(process.execPath, ['--inspect=127.0.0.1:0', 'bin/lockstep.js', 'serve', '--protocol', 'chat', '--trace', trace]);
      const vars = await servedVariables(proc);
      const inspector = await inspectorUrl(proc);
      const flood = flooder(vars);
      try {
        await flood.upTo(1_000);
        await collectGarbage(inspector);
        const early = rssMb(proc.child.pid!);
        const t = performance.now();
        await flood.upTo(100_000);
        const seconds = (performance.now() - t) / 1000;
        await collectGarbage(inspector);
        const late = rssMb(proc.child.pid!);
        const figures = `RSS ${early.toFixed(1)} MB after 1,000, ${late.toFixed(1)} MB after 100,000 (${(late / early).toFixed(3)}×; 99,000 requests in ${seconds.toFixed(1)} s)`;
        console.log(`lockstep serve under a flood: ${figures}`);
        expect(late / early, figures).toBeLessThanOrEqual(1.2);
        // Every API rejection is in the file (3 steps each), none in memory.
        expect(statSync(trace).size, figures).toBeGreaterThan(70_000 * 3 * 100);
      } finally {
        flood.close();
      }
      await stop(proc);
      expect(proc.lines.join('\n')).toMatch(/run ended at [\d.]+ s: \d+ trace steps in /);
    },
    120_000,
  );
});

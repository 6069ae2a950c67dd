import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `--server-module`: a team's msw handlers in front of the reference server, in real
// processes as a user runs them. The fixture answers every chat message list with one
// message the server never stored; sends and the WebSocket fall through to the reference.
const handlers = 'test/fixtures/server-module/handlers.ts';

function lockstep(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/lockstep.js', ...args], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hashOf = (out: string): string | undefined => /trace sha256 ([0-9a-f]{64})/.exec(out)?.[1];

interface Report {
  clients: {
    scenarios: { name: string; hash: string }[];
    runs: { name: string; verdicts: string; replay?: string }[];
    property?: { failureFile?: string; replay?: string };
  }[];
}

describe('--server-module', () => {
  it('lockstep run: the handlers answer what they match, the reference server the rest', () => {
    const plain = lockstep('run', 'chat/tc1-normal-websocket-flow');
    const r = lockstep('run', 'chat/tc1-normal-websocket-flow', '--server-module', handlers);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`msw handlers of ${handlers} in front of the server`);
    // The handler's message reaches the user; the answer over the WebSocket (the reference server) too.
    expect(r.out).toMatch(/c1 shows .*"content":"injected by msw"/);
    expect(r.out).toMatch(/server → client frame #\d+ \{"type":"message"/);
    expect(plain.out).not.toContain('injected by msw');
    expect(hashOf(r.out)).not.toBe(hashOf(plain.out));
    // Same module, same seed: the same trace in another process.
    expect(hashOf(lockstep('run', 'chat/tc1-normal-websocket-flow', '--server-module', handlers, '--quiet').out)).toBe(hashOf(r.out));
  }, 120_000);

  it('lockstep check: workers and in-process runs agree; failure records and replay carry the module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-server-module-'));
    const inWorkers = lockstep(
      'check',
      '--protocol',
      'chat',
      '--server-module',
      handlers,
      '--runs',
      '20',
      '--workers',
      '2',
      '--report',
      join(dir, 'w'),
    );
    // The handlers hide the messages the server stored: even the reference client cannot show them.
    expect(inWorkers.code, inWorkers.err).toBe(1);
    expect(inWorkers.out).toMatch(/CHAT-10\s+MUST\s+FAIL/);
    expect(inWorkers.out).toContain(`--server-module ${handlers}`);
    const inProcess = lockstep(
      'check',
      '--protocol',
      'chat',
      '--server-module',
      handlers,
      '--runs',
      '20',
      '--workers',
      '0',
      '--report',
      join(dir, 'p'),
    );
    expect(inProcess.code, inProcess.err).toBe(1);
    const w = (JSON.parse(readFileSync(join(dir, 'w', 'report.json'), 'utf8')) as Report).clients[0]!;
    const p = (JSON.parse(readFileSync(join(dir, 'p', 'report.json'), 'utf8')) as Report).clients[0]!;
    expect(p.scenarios.map((s) => s.hash)).toEqual(w.scenarios.map((s) => s.hash));
    expect(p.runs.map((r) => r.verdicts)).toEqual(w.runs.map((r) => r.verdicts));

    // Printed `run` commands of failing scenarios carry the flag.
    const run = w.runs.find((r) => r.verdicts.includes('F') && r.name.startsWith('scenario '));
    expect(run?.replay).toContain(`--server-module ${handlers}`);

    // The record keeps the module; replay reproduces the trace hash, with or without the flag.
    const file = w.property!.failureFile!;
    const record = JSON.parse(readFileSync(file, 'utf8')) as { serverModule?: string; hash: string };
    expect(record.serverModule).toBe(handlers);
    expect(w.property!.replay).toBe(`npx lockstep replay ${file} --server-module ${handlers}`);
    for (const args of [['--server-module', handlers], []]) {
      const replay = lockstep('replay', file, '--quiet', ...args);
      expect(replay.code, replay.err).toBe(1);
      expect(replay.out).toContain(`trace sha256 ${record.hash} — the same as recorded`);
    }
  }, 240_000);

  it.each([
    [
      'test/fixtures/server-module/not-handlers.ts',
      'the "handlers" export must be an array of msw handlers (http.*, graphql.*, ws.link()), found an object with keys get',
    ],
    [
      'test/fixtures/server-module/no-export.ts',
      'expected an export named "handlers" (or a default export): an array of msw handlers; found only the exports "routes"',
    ],
    [
      'test/fixtures/server-module/not-msw.ts',
      '"default"[0] must be an msw handler (made by http.*, graphql.* or ws.link().addEventListener), found string "GET /api/v1/consultations/:id/messages"',
    ],
    ['test/fixtures/server-module/missing.ts', 'no such file'],
  ])(
    'a bad module is bad input: %s',
    (file, message) => {
      for (const args of [
        ['run', 'chat/tc1-normal-websocket-flow'],
        ['check', '--protocol', 'chat', '--runs', '1'],
      ]) {
        const r = lockstep(...args, '--server-module', file);
        expect(r.code, r.out).toBe(2);
        expect(r.err).toContain(`lockstep ${args[0]}: --server-module ${file}: ${message}`);
        expect(r.err).not.toMatch(/^\s+at /m);
      }
    },
    60_000,
  );
});

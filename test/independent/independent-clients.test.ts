import { readdirSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';

// Clients written by outside teams from docs/protocols/<protocol>.md alone (they never
// read the reference implementation), each differing from the reference in ways the spec
// permits: other data structures, timeout-chained or interval polling, chunked processing
// on zero-delay timers, binary request frames, jittered backoff, different retry and
// reconnect policies. Each must pass — a failure here is lockstep failing a correct client.
const clients = ['chat', 'meal-log', 'event-sync', 'live-support'].flatMap((p) =>
  readdirSync(join('test/independent', p))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [p, `test/independent/${p}/${f}`] as const),
);

describe('independently written correct clients pass', () => {
  it('has at least two per protocol', () => {
    for (const p of ['chat', 'meal-log', 'event-sync', 'live-support']) expect(clients.filter(([q]) => q === p).length, p).toBeGreaterThanOrEqual(2);
  });

  it.each(clients)('%s: %s', async (protocol, file) => {
    const client = await resolveClient(file, protocol);
    const r = await checkClient({ client, runs: 300, seed: 1, workers: 0, failureDir: mkdtempSync(join(tmpdir(), 'lockstep-independent-')) }, protocols);
    // Server requirements judge the scenario's (possibly faulty) server, never the client.
    const failed = r.requirements.filter((q) => q.verdict === 'fail' && q.subject !== 'server').map((q) => `${q.id}: ${q.firstFailure?.evidence}`);
    const broken = r.scenarios.flatMap((s) => [s.stopped, s.error, s.invalidSnapshot, s.clientError].filter(Boolean).map((m) => `${s.name}: ${m}`));
    expect({ exitCode: r.exitCode, failed, broken, counterexample: r.property?.counterexample?.failed }).toEqual({ exitCode: 0, failed: [], broken: [], counterexample: undefined });
  }, 240_000);
});

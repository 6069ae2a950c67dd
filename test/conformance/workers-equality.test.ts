import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, type ClientCheckResult } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';

// A check gives the same result whether its runs execute in lockstep's own thread or in
// any number of worker threads: same verdicts and counts, same first failing run, same
// shrunk counterexample, same trace hashes — everything but wall-clock times.
function comparable(r: ClientCheckResult): unknown {
  return JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'wallMs' || k === 'failureFile' || k === 'replay' ? undefined : v)));
}

async function check(client: string, protocol: string, workers: number, runs: number): Promise<ClientCheckResult> {
  const c = await resolveClient(client, protocol);
  return checkClient({ client: c, runs, seed: 3, workers, failureDir: mkdtempSync(join(tmpdir(), 'lockstep-workers-')) }, protocols);
}

describe('serial and worker runs give identical results', () => {
  it.each([
    ['zoo:chat/no-dedupe', 'chat', 120],
    ['zoo:event-sync/concurrent-pulls', 'event-sync', 60],
    ['reference', 'live-support', 40],
  ])('%s', async (client, protocol, runs) => {
    const serial = await check(client, protocol, 0, runs);
    const one = await check(client, protocol, 1, runs);
    const two = await check(client, protocol, 2, runs);
    expect(comparable(one)).toEqual(comparable(serial));
    expect(comparable(two)).toEqual(comparable(serial));
    if (client.startsWith('zoo:')) expect(serial.property?.counterexample).toBeDefined();
  }, 240_000);
});

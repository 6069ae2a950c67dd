import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import type { ClientFactory } from '../../../src/conformance/driver.js';
import { getProtocol, protocols } from '../../../src/conformance/registry.js';
import { createEventSyncClient } from '../../../src/reference/event-sync/client.js';
import type { ClientEnv } from '../../../src/sim/client-node.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-event-sync-alternatives-'));

// Correct clients built differently from the reference, as client teams built theirs from
// the spec alone (issue #12). The suite must pass each of them: scenarios and property runs.

/** Sends its stream request as a binary frame holding UTF-8 JSON (the source's iOS client does). */
const binaryRequests: ClientFactory = (env) => {
  class BinaryWebSocket extends env.WebSocket {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      super.send(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    }
  }
  return createEventSyncClient({ ...env, WebSocket: BinaryWebSocket });
};

/**
 * Applies what arrives asynchronously: every frame and page waits a few zero-delay
 * timers (one per 100 events, as a client yielding between chunks does) before the
 * client sees it, in order.
 */
const asynchronous: ClientFactory = (env) => {
  const later = (n: number): Promise<void> =>
    n <= 0 ? Promise.resolve() : new Promise<void>((r) => env.setTimeout(() => r(), 0)).then(() => later(n - 1));
  const chunks = (text: unknown): number => 1 + Math.floor((typeof text === 'string' ? text.length : 0) / 10_000);
  class DeferringWebSocket extends env.WebSocket {
    private queue = Promise.resolve();
    private defer(fn: () => void, n: number): void {
      this.queue = this.queue.then(() => later(n)).then(fn);
    }
    override set onmessage(h: ((e: MessageEvent) => void) | null) {
      super.onmessage = h && ((e: MessageEvent) => this.defer(() => h(e), chunks(e.data)));
    }
    override set onclose(h: ((e: CloseEvent) => void) | null) {
      super.onclose = h && ((e: CloseEvent) => this.defer(() => h(e), 1));
    }
    override set onopen(h: ((e: Event) => void) | null) {
      super.onopen = h && ((e: Event) => this.defer(() => h(e), 1));
    }
  }
  const fetch: ClientEnv['fetch'] = async (input, init) => {
    const r = await env.fetch(input, init);
    const text = await r.text();
    await later(chunks(text));
    return new Response(text, { status: r.status, headers: r.headers });
  };
  return createEventSyncClient({ ...env, WebSocket: DeferringWebSocket, fetch });
};

/** Shows its store digest in upper-case hex. */
const upperCaseDigest: ClientFactory = (env) => {
  const client = createEventSyncClient(env);
  return {
    ...client,
    snapshot: () => {
      const s = client.snapshot();
      return { ...s, store: { ...s.store, digest: s.store.digest.toUpperCase() } };
    },
  };
};

describe.each([
  ['binary stream requests', binaryRequests],
  ['asynchronous, chunked application', asynchronous],
  ['an upper-case digest', upperCaseDigest],
])('an event-sync client with %s', (name, factory) => {
  it('passes the scenarios and 150 property runs', async () => {
    const client = { protocol: getProtocol('event-sync'), factory, name: `alternative: ${name}` };
    const r = await checkClient({ client, runs: 150, seed: 7, failureDir }, protocols);
    const failed = r.requirements.filter((q) => q.verdict === 'fail').map((q) => `${q.id}: ${q.firstFailure?.evidence ?? ''}`);
    expect(failed).toEqual([]);
    expect(r.scenarios.filter((s) => s.stopped || s.error).map((s) => `${s.name}: ${s.stopped ?? s.error}`)).toEqual([]);
    expect(r.property?.counterexample).toBeUndefined();
  });
});

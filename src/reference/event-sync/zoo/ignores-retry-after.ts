/**
 * Bug: the `Retry-After` of a 429 or 503 is ignored: the failed page is retried on the
 * client's own backoff (1 s, 2 s, 4 s …), so a rate-limited or overloaded server gets the
 * request again long before it asked for it.
 * Where it comes from: retry helpers that back off on status alone (the source's "REST
 * polling logic is unchanged" knows no Retry-After); RFC 9110 § 10.2.3 says how long the
 * user agent "ought to wait".
 * Caught by: SYNC-15 (no page before the Retry-After has passed).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

class IgnoresRetryAfterMachine extends EventSyncMachine {
  protected override onPageFailed(request: number, status: number | undefined, reason: string | undefined): void {
    super.onPageFailed(request, status, reason, undefined);
  }
}

/** The client that retries before the server's Retry-After. */
export const ignoresRetryAfter: ClientVariant = {
  description: 'ignores Retry-After on a 429/503 page and retries on its own backoff',
  violates: ['SYNC-15'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new IgnoresRetryAfterMachine(config, state) }),
};

/**
 * Bug: a page answered 401 is retried like any failed page — 1, 2, 4 … 30 s later, with
 * the same token, forever: once the token has expired the client hammers the server with
 * credentials it already refused.
 * Where it comes from: medplum/medplum#9680 (the client "re-sends the same rejected token
 * indefinitely"), vaadin/vaadin-connect#335 ("an infinite flood of requests … the server
 * responding 401"); generic retry wrappers that retry every non-2xx status.
 * Caught by: SYNC-14 (no request with a refused token until the user syncs again).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

class RetriesRefusedTokenMachine extends EventSyncMachine {
  protected override onPageFailed(request: number, status: number | undefined, reason: string | undefined, retryAfter: number | undefined): void {
    super.onPageFailed(request, status === 401 ? undefined : status, status === 401 ? 'HTTP 401' : reason, retryAfter);
  }
}

/** The client that retries pages answered 401. */
export const retriesRefusedToken: ClientVariant = {
  description: 'retries a page answered 401 with the same token, on its backoff schedule, forever',
  violates: ['SYNC-14'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new RetriesRefusedTokenMachine(config, state) }),
};

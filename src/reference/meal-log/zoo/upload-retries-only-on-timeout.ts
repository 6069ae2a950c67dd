/**
 * zoo:meal-log/upload-retries-only-on-timeout — the outbox retries an upload that timed out
 * or got an error status, but treats a request that fails fast with a network error (a
 * connection reset, `TypeError: fetch failed`) as final: the meal is shown `failed` and
 * never uploaded again.
 *
 * Where it comes from: issue #14 ("request-reset: a single request fails fast with a network
 * error"); the retry path written for the failure a developer saw on a slow network
 * (`catch (e) { if (e.name === 'TimeoutError') retry(); else markFailed(); }`) — a
 * reset proxy connection or a flaky cellular hand-over rejects `fetch` within one round
 * trip instead. A patched `onPostFailed`.
 *
 * Caught by MEAL-7 (each submitted meal is created on the server exactly once — and no fewer).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class UploadRetriesOnlyOnTimeout extends MealLogMachine {
  protected override onPostFailed(localId: string, status: number | undefined, error?: 'timeout' | 'network'): void {
    if (error !== 'network') return super.onPostFailed(localId, status, error);
    if (this.uploadInFlight === localId) this.uploadInFlight = undefined;
    this.outbox = this.outbox.filter((e) => e.localId !== localId);
    const shown = this.meals.get(localId);
    if (shown) shown.status = 'failed';
    this.persist();
    this.flushOutbox();
  }
}

/** The variant, as registered in variants.ts. */
export const uploadRetriesOnlyOnTimeout: ClientVariant = {
  description: 'an upload that fails fast with a network error (a reset) is given up: only timeouts are retried',
  violates: ['MEAL-7'],
  create: (env) => createMealLogClient(env, { Machine: UploadRetriesOnlyOnTimeout }),
};

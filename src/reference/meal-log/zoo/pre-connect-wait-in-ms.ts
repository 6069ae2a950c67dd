/**
 * zoo:meal-log/pre-connect-wait-in-ms — the pre-connection wait is 5 ms, not 5 s: an
 * upload barely waits for a connection in progress.
 *
 * Where it comes from: the document's Future Improvement 4, `waitForConnection(timeout:
 * 5.0)` in seconds, ported to a timer API that takes milliseconds — the classic unit bug
 * (`setTimeout(resolve, 5.0)`). Only the shell's configuration differs from the reference.
 *
 * Caught by MEAL-10 (SHOULD: a meal submitted while connecting is uploaded once the socket
 * opened or failed, or after 5 s).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createMealLogClient } from '../client.js';

/** The variant, as registered in variants.ts. */
export const preConnectWaitInMs: ClientVariant = {
  description: 'waits 5 ms instead of 5 s for a connection in progress before uploading (seconds passed as milliseconds)',
  violates: ['MEAL-10'],
  create: (env) => createMealLogClient(env, { config: { preConnectWait: 5 } }),
};

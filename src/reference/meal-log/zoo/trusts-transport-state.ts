/**
 * zoo:meal-log/trusts-transport-state — the socket counts as verified
 * (`isWebSocketConnected = true`) as soon as it opens, before any server message.
 *
 * Where it comes from: the source's own Solution 2 and 5 code sets `isWebSocketConnected =
 * true` right after `webSocketService.connect(...)` / `reconnect(...)` returns — the very
 * service-level state its Key Learnings 2 and 4 warn against trusting ("Trust but verify").
 * The reference's `onOpen`, followed by the verification it should wait a message for.
 *
 * Caught by MEAL-2 (verified only after a server message arrived on the open socket).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

/** The reference machine that counts an open socket as verified (exported for the machine's unit tests). */
export class TrustsTransportState extends MealLogMachine {
  protected override onOpen(id: number): void {
    super.onOpen(id);
    const s = this.socket;
    // The bug: the open event is taken as proof that the backend registered the socket.
    if (s && s.id === id) this.verified(s);
  }
}

/** The variant, as registered in variants.ts. */
export const trustsTransportState: ClientVariant = {
  description: 'treats the socket as verified (isWebSocketConnected) as soon as it opens, before any server message',
  violates: ['MEAL-2'],
  create: (env) => createMealLogClient(env, { Machine: TrustsTransportState }),
};

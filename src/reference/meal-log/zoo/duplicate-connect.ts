/**
 * zoo:meal-log/duplicate-connect — no guard against a connection in progress: a second
 * connect opens a second socket, and the first, when it opens, is leaked rather than closed.
 *
 * Where it comes from: the source's code before Solution 1–2, which guards only on
 * `isWebSocketConnected` — the `guard !isWebSocketConnecting` and the Implementation
 * Checklist's "connection state guards to prevent duplicate connections" are what it lacks.
 * A patched copy of the reference's `connect` (busy only when verified), and its `onOpen`
 * no longer closes a socket it no longer tracks.
 *
 * Caught by MEAL-1 (at most one socket connecting or open).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

/** The reference machine without the guard against a connection in progress (exported for the machine's unit tests). */
export class DuplicateConnect extends MealLogMachine {
  protected override connect(): void {
    if (!this.online || this.reconnectPending) return;
    // The bug: a socket still connecting (or open but not yet verified) does not count.
    if (this.socket?.verified) {
      this.log('WebSocket already connected');
      return;
    }
    const id = ++this.socketCounter;
    this.socket = { id, state: 'connecting', verified: false, awaitingPong: false };
    this.metrics.connectionAttempts++;
    this.cmd({ type: 'connect', socket: id });
  }

  protected override onOpen(id: number): void {
    // The superseded socket is forgotten, not closed: it leaks.
    if (this.socket?.id !== id) return;
    super.onOpen(id);
  }
}

/** The variant, as registered in variants.ts. */
export const duplicateConnect: ClientVariant = {
  description: 'no guard against a connection in progress: a second connect opens a second socket and leaks the first',
  violates: ['MEAL-1'],
  create: (env) => createMealLogClient(env, { Machine: DuplicateConnect }),
};

/**
 * zoo:meal-log/never-connects — a client that never opens `/ws/meal-logs` and relies on
 * polling alone.
 *
 * Where it comes from: the document's "Before Fix" table, where the UI is updated by
 * polling only ("WebSocket Update ❌ Never"); here the WebSocket integration was never
 * wired up, so `connectWebSocket()` does nothing. Everything else — polling while a meal
 * is processing, the outbox — is the reference's, so the meal still shows up, 5–10 s late.
 *
 * Caught by MEAL-13 (the client connects when it first needs its socket).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class NeverConnects extends MealLogMachine {
  protected override connect(): void {
    // The bug: no WebSocket is ever opened.
  }
}

/** The variant, as registered in variants.ts. */
export const neverConnects: ClientVariant = {
  description: 'never opens /ws/meal-logs: the WebSocket integration was never wired up, so the client relies on polling alone',
  violates: ['MEAL-13'],
  create: (env) => createMealLogClient(env, { Machine: NeverConnects }),
};

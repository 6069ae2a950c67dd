/**
 * --server forgets-pending — registers correctly, but drops (rather than keeps until the
 * user's next registration) a completion for a user who is not connected.
 *
 * Where it comes from: the source's backend ("User not connected to WebSocket, skipping
 * notification") with its registration race fixed but its skip left in place — the
 * reference's `undeliverable` decision replaced by a drop with the document's log line.
 * A correct client survives it: it polls while unverified and reloads when a socket is
 * verified.
 *
 * Caught by the server requirement MEAL-6 (a completion for an unreachable user is kept);
 * every client requirement passes.
 */
import type { MealLog } from '../wire.js';
import { skipMessage, type MealLogEffect } from '../server-core.js';
import type { MealLogServerVariant } from '../server.js';

/** The source backend's `undeliverable`: the completion is dropped, with its log line (shared with late-registration). */
export function dropUndeliverable(_state: unknown, meal: MealLog): MealLogEffect[] {
  return [{ type: 'log', event: skipMessage, fields: { userId: meal.userId, mealLogId: meal.id } }];
}

/** The variant, as registered in variants.ts. */
export const forgetsPendingServer: MealLogServerVariant = {
  description:
    'registers correctly, but drops (rather than keeps until the next registration) a completion for a user who is not connected',
  breaks: ['MEAL-6'],
  decisions: { undeliverable: dropUndeliverable },
};

/**
 * --server late-registration — the source's backend: acknowledges a connection at once but
 * registers it only `registrationDelay` (30 s) later, and drops a completion that finds no
 * registered connection.
 *
 * Where it comes from: the source's Problem Statement and Root Cause ("Backend doesn't
 * detect the connection (or connection not fully registered)"; the log line "User not
 * connected to WebSocket, skipping notification"). The reference's `admit` decision is
 * replaced by acknowledge-now-register-later; its `undeliverable` by the same drop as
 * forgets-pending — together they are the one backend the document describes.
 *
 * What it breaks: the reference client's MEAL-4 (the client is rightly verified, so it must
 * not poll, and the dropped completion is never seen) and the server requirement MEAL-6.
 * The fix belongs to the server.
 */
import type { MealLogEffect, MealLogServerConfig, MealLogServerState, PendingRegistration } from '../server-core.js';
import type { MealLogServerVariant } from '../server.js';
import { dropUndeliverable } from './forgets-pending-server.js';

function acknowledgeThenRegisterLate(
  state: MealLogServerState,
  config: MealLogServerConfig,
  socket: string,
  userId: string,
  now: number,
): MealLogEffect[] {
  const ack: MealLogEffect = { type: 'send', socket, frame: { type: 'connected', userId } };
  const registration: PendingRegistration = { socket, userId, dueAt: now + config.registrationDelay };
  state.registrations.push(registration);
  return [
    ack,
    { type: 'log', event: 'ws.acknowledged', fields: { socket, userId, registersAt: registration.dueAt } },
    { type: 'arm-registration', registration },
  ];
}

/** The variant, as registered in variants.ts. */
export const lateRegistrationServer: MealLogServerVariant = {
  description:
    'the document\u2019s backend: acknowledges a connection at once but registers it only after registrationDelay (30 s), and drops a completion that finds no registered connection ("User not connected to WebSocket, skipping notification")',
  breaks: ['MEAL-4', 'MEAL-6'],
  decisions: { admit: acknowledgeThenRegisterLate, undeliverable: dropUndeliverable },
};

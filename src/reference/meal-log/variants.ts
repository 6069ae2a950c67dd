import type { ClientVariant, ServerVariant } from '../../conformance/protocol.js';
import type { MealLogClientBugs, MealLogServerBugs } from './bugs.js';
import { createMealLogClient } from './client.js';
import { batchesPushedUpdates } from './zoo/batches-pushed-updates.js';
import { neverConnects } from './zoo/never-connects.js';
import { neverReconnectsAfterOffline } from './zoo/never-reconnects-after-offline.js';
import { pollsEvery100ms } from './zoo/polls-every-100ms.js';

const variant = (description: string, violates: string[], bugs: MealLogClientBugs): ClientVariant => ({
  description,
  violates,
  create: (env) => createMealLogClient(env, { bugs }),
});

/** The meal-log client zoo: realistic bugs, each caught by the requirement named (docs/protocols/meal-log.md). */
export const mealLogVariants: Record<string, ClientVariant> = {
  'connects-after-submit': variant(
    'the document\u2019s timeline: the socket is opened only when NutritionView appears, after the meal was uploaded, with no pre-connection check',
    ['MEAL-12'],
    { connectsAfterSubmit: true },
  ),
  'trusts-transport-state': variant(
    'treats the socket as verified (isWebSocketConnected) as soon as it opens, before any server message',
    ['MEAL-2'],
    {
      trustsTransportState: true,
    },
  ),
  'polls-forever': variant(
    'the polling loop never checks whether a meal is still processing: it polls whenever the socket is not verified',
    ['MEAL-5'],
    {
      pollsForever: true,
    },
  ),
  'stops-polling-on-connect': variant(
    'stops polling the moment the socket opens and fetches nothing to catch up, so a completion the server could not deliver is never seen',
    ['MEAL-4'],
    { stopsPollingOnConnect: true },
  ),
  'duplicate-connect': variant(
    'no guard against a connection in progress: a second connect opens a second socket and leaks the first',
    ['MEAL-1'],
    {
      duplicateConnect: true,
    },
  ),
  'outbox-double-upload': variant(
    'each upload attempt mints a fresh local id, so a retried upload whose answer was lost creates the meal twice',
    ['MEAL-7'],
    {
      outboxDoubleUpload: true,
    },
  ),
  'never-connects': neverConnects,
  'never-reconnects-after-offline': neverReconnectsAfterOffline,
  'polls-every-100ms': pollsEvery100ms,
  'batches-pushed-updates': batchesPushedUpdates,
};

/** Faulty servers, addressed with `--server NAME`, and what they do to the reference client. */
export const mealLogServerVariants: Record<string, ServerVariant & { bugs: MealLogServerBugs }> = {
  'late-registration': {
    description:
      'the document\u2019s backend: acknowledges a connection at once but registers it only after registrationDelay (30 s), and drops a completion that finds no registered connection ("User not connected to WebSocket, skipping notification")',
    breaks: ['MEAL-4', 'MEAL-6'],
    bugs: { lateRegistration: true },
  },
  'forgets-pending': {
    description:
      'registers correctly, but drops (rather than keeps until the next registration) a completion for a user who is not connected',
    breaks: ['MEAL-6'],
    bugs: { forgetsPending: true },
  },
};

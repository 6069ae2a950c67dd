import { draft202012, errorBody, ref, timestamp, type JsonSchema, type ProtocolSchema } from './types.js';

const typed = (title: string, description: string, type: string, fields: Record<string, JsonSchema> = {}): JsonSchema => ({
  title,
  description,
  type: 'object',
  properties: { type: { const: type }, ...fields },
  required: ['type', ...Object.keys(fields)],
  additionalProperties: false,
});

/** The meal-log protocol's contract (docs/protocols/meal-log.md), mirroring src/reference/meal-log/wire.ts. */
export const mealLogSchema: ProtocolSchema = {
  protocol: 'meal-log',
  title: 'meal-log',
  spec: 'docs/protocols/meal-log.md',
  endpoints: [
    {
      kind: 'rest',
      id: 'submit',
      method: 'POST',
      address: '/api/v1/meal-logs/natural',
      description:
        'Submit a meal in natural language: `201 {"mealLog"}` with status `processing`; a repeated `localId` (same user) answers `200` with the meal as stored. `400 {"error","reason"}` naming the field; 401 for a bad token.',
      request: 'SubmitMealBody',
      responses: ['MealLogAck', 'ErrorBody'],
    },
    {
      kind: 'rest',
      id: 'list',
      method: 'GET',
      address: '/api/v1/meal-logs',
      query: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'The UTC day of `loggedAt`, `YYYY-MM-DD`.' } },
      description:
        'Today\'s meals (what polling fetches), `?date=YYYY-MM-DD` (the UTC day of `loggedAt`): `200 {"mealLogs": [...]}`, ordered by `loggedAt`.',
      responses: ['MealLogList', 'ErrorBody'],
    },
    {
      kind: 'rest',
      id: 'one',
      method: 'GET',
      address: '/api/v1/meal-logs/{id}',
      description: 'One meal: `200 {"mealLog"}` or `404`.',
      responses: ['MealLogAck', 'ErrorBody'],
    },
    {
      kind: 'ws',
      id: 'live',
      address: '/ws/meal-logs',
      query: { token: { type: 'string', description: "The user's token (browsers cannot set headers on a WebSocket)." } },
      description:
        'Live updates, `?token={token}` in the query string (a bad token: the upgrade is refused with 401). `connected` is sent once the connection is registered.',
      clientFrames: ['ClientFrame'],
      serverFrames: ['ServerFrame'],
    },
  ],
  schema: {
    $schema: draft202012,
    $id: 'https://lockstep.test/schemas/meal-log.schema.json',
    title: 'meal-log protocol wire messages',
    description:
      'Every WebSocket frame (JSON text) and REST body of the meal-log protocol (docs/protocols/meal-log.md). Validate a message against one of the `$defs`: `ServerFrame`, `ClientFrame`, `SubmitMealBody`, `MealLogList`, `MealLogAck`, `ErrorBody`.',
    anyOf: [ref('ServerFrame'), ref('ClientFrame'), ref('SubmitMealBody'), ref('MealLogList'), ref('MealLogAck'), ref('ErrorBody')],
    $defs: {
      MealNutrition: {
        title: 'MealNutrition',
        description: 'Nutrition the AI processor found (completed meals only).',
        type: 'object',
        properties: { calories: { type: 'number' }, proteinG: { type: 'number' }, carbsG: { type: 'number' }, fatG: { type: 'number' } },
        required: ['calories', 'proteinG', 'carbsG', 'fatG'],
        additionalProperties: false,
      },
      MealLog: {
        title: 'MealLog',
        description: 'A meal log as the backend stores it.',
        type: 'object',
        properties: {
          id: { type: 'string', description: 'The backend id (`ml-7`).' },
          localId: { type: 'string', description: "The client's local id, sent with the upload (idempotency key)." },
          userId: { type: 'string' },
          rawInput: { type: 'string', description: 'What the user typed.' },
          status: { enum: ['processing', 'completed', 'failed'], description: '`MealLogStatus`.' },
          loggedAt: timestamp('RFC 3339 with milliseconds.'),
          createdAt: timestamp('RFC 3339 with milliseconds.'),
          updatedAt: timestamp('RFC 3339 with milliseconds.'),
          nutrition: ref('MealNutrition'),
          error: { type: 'string', description: 'Why processing failed (`failed` only).' },
        },
        required: ['id', 'localId', 'userId', 'rawInput', 'status', 'loggedAt', 'createdAt', 'updatedAt'],
        additionalProperties: false,
      },
      ConnectedFrame: typed('ConnectedFrame', 'The connection is registered (the acknowledgement).', 'connected', {
        userId: { type: 'string' },
      }),
      PongFrame: typed('PongFrame', 'The answer to a ping.', 'pong'),
      MealLogCompletedFrame: typed('MealLogCompletedFrame', '`MealLogCompletedPayload`: processing completed.', 'meal_log_completed', {
        payload: { type: 'object', properties: { mealLog: ref('MealLog') }, required: ['mealLog'], additionalProperties: false },
      }),
      MealLogFailedFrame: typed('MealLogFailedFrame', 'Processing failed.', 'meal_log_failed', {
        payload: {
          type: 'object',
          properties: { mealLog: ref('MealLog'), error: { type: 'string' } },
          required: ['mealLog', 'error'],
          additionalProperties: false,
        },
      }),
      PingFrame: typed(
        'PingFrame',
        'Heartbeat: every 15 s and as soon as a socket opens; no server message within 5 s means the socket is abandoned.',
        'ping',
      ),
      ServerFrame: {
        title: 'ServerFrame',
        description: 'Server → client WebSocket frames.',
        oneOf: [ref('ConnectedFrame'), ref('PongFrame'), ref('MealLogCompletedFrame'), ref('MealLogFailedFrame')],
      },
      ClientFrame: { title: 'ClientFrame', description: 'Client → server WebSocket frames.', oneOf: [ref('PingFrame')] },
      SubmitMealBody: {
        title: 'SubmitMealBody',
        description: 'Body of `POST /api/v1/meal-logs/natural`.',
        type: 'object',
        properties: {
          localId: { type: 'string', minLength: 1, description: 'Idempotency key (per user).' },
          rawInput: { type: 'string', minLength: 1, pattern: '\\S', description: 'What the user typed ("two eggs and toast"); not blank.' },
          loggedAt: timestamp('Default: when the server receives it.'),
        },
        required: ['localId', 'rawInput'],
        additionalProperties: false,
      },
      MealLogList: {
        title: 'MealLogList',
        description: 'Body of a `200` answer to `GET /api/v1/meal-logs`.',
        type: 'object',
        properties: { mealLogs: { type: 'array', items: ref('MealLog') } },
        required: ['mealLogs'],
        additionalProperties: false,
      },
      MealLogAck: {
        title: 'MealLogAck',
        description: "Body of a submission's answer (`201`, or `200` for a repeat) and of `GET /api/v1/meal-logs/{id}`.",
        type: 'object',
        properties: { mealLog: ref('MealLog') },
        required: ['mealLog'],
        additionalProperties: false,
      },
      ErrorBody: errorBody,
    },
  },
};

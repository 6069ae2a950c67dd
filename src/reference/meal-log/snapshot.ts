/**
 * The contract of a meal-log client's `snapshot()` (docs/protocols/meal-log.md,
 * "Snapshot"): what its user sees. The harness validates every recorded snapshot against
 * this schema; the checkers read only `meals` (MEAL-4, MEAL-16) and `verified` (MEAL-2).
 * The other fields are reported for the timeline and never judged, so they are optional.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A meal as the user sees it. */
export const ShownMealSchema = Type.Object(
  {
    localId: Type.String({ minLength: 1, description: 'The id the client gave the meal when the user submitted it (sent as `localId`).' }),
    id: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        description: 'The backend id (`MealLog.id`) once the backend told the client; null or absent before.',
      }),
    ),
    text: Type.String({ description: 'What the user typed (`rawInput`).' }),
    status: Type.Union([Type.Literal('uploading'), Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')], {
      description: '`uploading` until the backend acknowledged the meal, then the last `MealLog.status` the client applied.',
    }),
  },
  { description: 'One meal of today, as shown.' },
);

/** The document's `ConnectionMetrics` (Future Improvements 3): reported, never judged. */
export const ConnectionMetricsSchema = Type.Object(
  {
    connectionAttempts: Type.Integer({ minimum: 0, description: 'WebSocket connections started since the app launched.' }),
    successfulConnections: Type.Integer({ minimum: 0, description: 'Sockets verified by a server message.' }),
    failedConnections: Type.Integer({ minimum: 0, description: 'Sockets that ended before any server message arrived.' }),
    messagesReceived: Type.Integer({ minimum: 0, description: 'Server frames received.' }),
    averageLatency: Type.Number({ minimum: 0, description: 'Mean ping → pong round trip in ms (0 before the first pong).' }),
  },
  { description: 'Connection quality metrics.' },
);

/** What the user of a meal-log client sees: the schema every recorded snapshot must satisfy. */
export const MealLogSnapshotSchema = Type.Object(
  {
    meals: Type.Array(ShownMealSchema, { description: "Today's meals, in the order they were logged." }),
    verified: Type.Boolean({
      description: '`isWebSocketConnected`: a server message arrived on the socket the client has open now.',
    }),
    connection: Type.Optional(
      Type.Union([Type.Literal('disconnected'), Type.Literal('connecting'), Type.Literal('connected')], {
        description: 'The transport: no socket, `isWebSocketConnecting`, or open.',
      }),
    ),
    polling: Type.Optional(Type.Boolean({ description: 'The fallback polling loop is running.' })),
    pollingInterval: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()], {
        description: 'The current polling interval in ms; null when not polling.',
      }),
    ),
    outbox: Type.Optional(Type.Integer({ minimum: 0, description: 'Meals submitted but not yet acknowledged by the backend.' })),
    metrics: Type.Optional(ConnectionMetricsSchema),
  },
  { description: 'What the user of a meal-log client sees (`snapshot()`).' },
);

/** A meal as the user sees it (`uploading` until the backend acknowledged it). */
export type ShownMeal = Static<typeof ShownMealSchema>;
/** Connection quality metrics (the document's `ConnectionMetrics`). */
export type ConnectionMetrics = Static<typeof ConnectionMetricsSchema>;
/** What the user of a meal-log client sees (`snapshot()`). */
export type MealLogSnapshot = Static<typeof MealLogSnapshotSchema>;

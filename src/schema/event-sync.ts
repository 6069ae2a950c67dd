import { draft202012, errorBody, ref, rfc3339Pattern, timestamp, type JsonSchema, type ProtocolSchema } from './types.js';

const count = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });

/** A cursor: `<RFC 3339 timestamp>#<id>`, or a bare timestamp (before every event of that instant). */
const cursorPattern = `${rfc3339Pattern.slice(0, -1)}(#.+)?$`;

/** The event-sync protocol's contract (docs/protocols/event-sync.md), mirroring src/reference/event-sync/wire.ts. */
export const eventSyncSchema: ProtocolSchema = {
  protocol: 'event-sync',
  title: 'event-sync',
  spec: 'docs/protocols/event-sync.md',
  endpoints: [
    {
      kind: 'ws',
      id: 'stream',
      address: '/v1/sync/stream',
      description:
        'The stream (`Authorization: Bearer <token>`; an upgrade with a bad token is refused with 401). The client sends one `sync.stream.request`; the server answers `start`, the batches, then `complete` (or `error`).',
      clientFrames: ['StreamRequestFrame'],
      serverFrames: ['ServerFrame'],
    },
    {
      kind: 'rest',
      id: 'events',
      method: 'GET',
      address: '/v1/sync/events',
      query: {
        since: { type: 'string', pattern: cursorPattern, description: 'A cursor (exclusive); absent: from the beginning.' },
        limit: { type: 'integer', const: 100, description: 'Events per page: exactly 100.' },
      },
      description:
        'A REST page, `?since=<cursor>&limit=100` (`since` absent: from the beginning): `200 {"events", "nextCursor", "hasMore", "totalEvents"}`; 401 for a bad token.',
      responses: ['RestPage', 'ErrorBody'],
    },
  ],
  schema: {
    $schema: draft202012,
    $id: 'https://lockstep.test/schemas/event-sync.schema.json',
    title: 'event-sync protocol wire messages',
    description:
      'Every WebSocket frame (JSON text) and REST body of the event-sync protocol (docs/protocols/event-sync.md). Validate a message against one of the `$defs`: `ServerFrame`, `ClientFrame`, `RestPage`, `ErrorBody`.',
    anyOf: [ref('ServerFrame'), ref('ClientFrame'), ref('RestPage'), ref('ErrorBody')],
    $defs: {
      Cursor: {
        title: 'Cursor',
        description:
          'A position as text: `<RFC 3339 timestamp>#<id>`, or a bare `<RFC 3339 timestamp>` (before every event of that instant). Every `since` is exclusive.',
        type: 'string',
        pattern: cursorPattern,
        examples: ['2025-01-14T08:48:23Z#ev-0000200', '2025-01-14T08:48:23Z'],
      },
      WireEvent: {
        title: 'WireEvent',
        description:
          'An event as it may arrive: positioned (a non-empty string `id` and an RFC 3339 `timestamp`), otherwise unchecked. An event that is not a valid `SyncEvent` (unknown `type`, `payload` not an object) is skipped and counted by the client; a frame or page with an unpositioned event is malformed.',
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1 },
          timestamp: timestamp('RFC 3339; several events may share one.'),
        },
        required: ['id', 'timestamp'],
        additionalProperties: true,
      },
      SyncEvent: {
        title: 'SyncEvent',
        description: 'A valid event: one a client applies to its store.',
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1, description: 'Unique, assigned by the server.' },
          timestamp: timestamp('RFC 3339 (the reference server writes whole seconds in UTC).'),
          type: { enum: ['stack.created', 'stack.updated', 'task.created', 'task.updated', 'task.completed'] },
          payload: { type: 'object', additionalProperties: true },
        },
        required: ['id', 'timestamp', 'type', 'payload'],
        additionalProperties: true,
      },
      StreamRequestFrame: {
        title: 'StreamRequestFrame',
        description: 'The client asks for every event after `since` (`null` or absent: from the beginning).',
        type: 'object',
        properties: { type: { const: 'sync.stream.request' }, since: { anyOf: [ref('Cursor'), { type: 'null' }] } },
        required: ['type'],
        additionalProperties: false,
      },
      StreamStartFrame: {
        title: 'StreamStartFrame',
        description: 'How many events follow (those after `since` when the request arrived).',
        type: 'object',
        properties: { type: { const: 'sync.stream.start' }, totalEvents: count('Events that follow.') },
        required: ['type', 'totalEvents'],
        additionalProperties: false,
      },
      StreamBatchFrame: {
        title: 'StreamBatchFrame',
        description: 'The next batch, in position order.',
        type: 'object',
        properties: {
          type: { const: 'sync.stream.batch' },
          events: { type: 'array', items: ref('WireEvent') },
          batchIndex: count('0, 1, 2, …'),
          isLast: { type: 'boolean' },
        },
        required: ['type', 'events', 'batchIndex', 'isLast'],
        additionalProperties: false,
      },
      StreamCompleteFrame: {
        title: 'StreamCompleteFrame',
        description: 'Right after the last batch (or right after `start` when `totalEvents` is 0).',
        type: 'object',
        properties: {
          type: { const: 'sync.stream.complete' },
          processedEvents: count('Events streamed.'),
          newCheckpoint: {
            description: "The cursor of the last event streamed (the request's `since` when none was; `null` when neither exists).",
            anyOf: [ref('Cursor'), { type: 'null' }],
          },
        },
        required: ['type', 'processedEvents', 'newCheckpoint'],
        additionalProperties: false,
      },
      StreamErrorFrame: {
        title: 'StreamErrorFrame',
        description: 'The stream failed; nothing more follows.',
        type: 'object',
        properties: {
          type: { const: 'sync.stream.error' },
          error: { type: 'string' },
          code: { type: 'string', description: '`DB_ERROR`, `BAD_REQUEST`, …', examples: ['DB_ERROR', 'BAD_REQUEST'] },
        },
        required: ['type', 'error', 'code'],
        additionalProperties: false,
      },
      ServerFrame: {
        title: 'ServerFrame',
        description: 'Server → client WebSocket frames.',
        oneOf: [ref('StreamStartFrame'), ref('StreamBatchFrame'), ref('StreamCompleteFrame'), ref('StreamErrorFrame')],
      },
      ClientFrame: { title: 'ClientFrame', description: 'Client → server WebSocket frames.', oneOf: [ref('StreamRequestFrame')] },
      RestPage: {
        title: 'RestPage',
        description: 'Body of a `200` answer to `GET /v1/sync/events`.',
        type: 'object',
        properties: {
          events: { type: 'array', items: ref('WireEvent'), description: 'At most 100 events after `since`, in position order.' },
          nextCursor: {
            description:
              "The cursor of the last event of this page (the request's `since` when the page is empty; `null` when neither exists).",
            anyOf: [ref('Cursor'), { type: 'null' }],
          },
          hasMore: { type: 'boolean', description: 'More events follow `nextCursor`; when `false`, `nextCursor` is the new checkpoint.' },
          totalEvents: count("Events after the request's `since`, this page included, when it was answered."),
        },
        required: ['events', 'nextCursor', 'hasMore', 'totalEvents'],
        additionalProperties: false,
      },
      ErrorBody: errorBody,
    },
  },
};

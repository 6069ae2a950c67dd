import { draft202012, errorBody, ref, timestamp, type ProtocolSchema } from './types.js';

/** The chat protocol's contract (docs/protocols/chat.md), mirroring src/reference/chat/wire.ts. */
export const chatSchema: ProtocolSchema = {
  protocol: 'chat',
  title: 'chat',
  spec: 'docs/protocols/chat.md',
  endpoints: [
    {
      kind: 'rest',
      id: 'listMessages',
      method: 'GET',
      address: '/api/v1/consultations/{id}/messages',
      description:
        'List the conversation\'s messages, ordered by `timestamp` (`200 {"messages": [...]}`). `Authorization: Bearer <token>`; 401 when the token is bad or revoked.',
      responses: ['MessageList', 'ErrorBody'],
    },
    {
      kind: 'rest',
      id: 'sendMessage',
      method: 'POST',
      address: '/api/v1/consultations/{id}/messages',
      description:
        'Send a message: `201 {"message": ChatMessage}`; a repeated `clientMessageId` answers `200` with the message stored the first time (idempotent). 400 for a bad body, 401 for a bad token.',
      request: 'SendMessageBody',
      responses: ['SendAck', 'ErrorBody'],
    },
    {
      kind: 'ws',
      id: 'live',
      address: '/api/v1/consultations/{id}/ws',
      query: { token: { type: 'string', description: "The user's token (browsers cannot set headers on a WebSocket)." } },
      description:
        'Live updates, `?token={token}` in the query string (an upgrade with a bad token is refused with 401: a browser sees error + close 1006).',
      clientFrames: ['ClientFrame'],
      serverFrames: ['ServerFrame'],
    },
  ],
  schema: {
    $schema: draft202012,
    $id: 'https://lockstep.test/schemas/chat.schema.json',
    title: 'chat protocol wire messages',
    description:
      'Every WebSocket frame (JSON text) and REST body of the chat protocol (docs/protocols/chat.md). Validate a message against one of the `$defs`: `ServerFrame`, `ClientFrame`, `SendMessageBody`, `MessageList`, `SendAck`, `ErrorBody`.',
    anyOf: [ref('ServerFrame'), ref('ClientFrame'), ref('SendMessageBody'), ref('MessageList'), ref('SendAck'), ref('ErrorBody')],
    $defs: {
      ChatMessage: {
        title: 'ChatMessage',
        description: 'A stored chat message.',
        type: 'object',
        properties: {
          id: { type: 'string', description: 'Assigned by the server.' },
          conversationId: { type: 'string' },
          role: { enum: ['user', 'assistant'] },
          content: { type: 'string' },
          timestamp: timestamp('RFC 3339 with milliseconds, assigned by the server when it stores the message.'),
          clientMessageId: { type: 'string', description: "The sender's idempotency key (user messages)." },
        },
        required: ['id', 'conversationId', 'role', 'content', 'timestamp'],
        additionalProperties: false,
      },
      MessageFrame: {
        title: 'MessageFrame',
        description: "A message was stored in the conversation (the user's own included).",
        type: 'object',
        properties: { type: { const: 'message' }, message: ref('ChatMessage') },
        required: ['type', 'message'],
        additionalProperties: false,
      },
      PongFrame: {
        title: 'PongFrame',
        description: 'The answer to a ping.',
        type: 'object',
        properties: { type: { const: 'pong' } },
        required: ['type'],
        additionalProperties: false,
      },
      PingFrame: {
        title: 'PingFrame',
        description: 'Heartbeat, every 15 s; no server message within 5 s means the socket is dead.',
        type: 'object',
        properties: { type: { const: 'ping' } },
        required: ['type'],
        additionalProperties: false,
      },
      ServerFrame: {
        title: 'ServerFrame',
        description: 'Server → client WebSocket frames.',
        oneOf: [ref('MessageFrame'), ref('PongFrame')],
      },
      ClientFrame: { title: 'ClientFrame', description: 'Client → server WebSocket frames.', oneOf: [ref('PingFrame')] },
      SendMessageBody: {
        title: 'SendMessageBody',
        description: 'Body of `POST /api/v1/consultations/{id}/messages`.',
        type: 'object',
        properties: {
          content: { type: 'string' },
          clientMessageId: {
            type: 'string',
            minLength: 1,
            description: 'Idempotency key: a repeat answers 200 with the message stored the first time.',
          },
        },
        required: ['content', 'clientMessageId'],
        additionalProperties: false,
      },
      MessageList: {
        title: 'MessageList',
        description: 'Body of a `200` answer to `GET /api/v1/consultations/{id}/messages`.',
        type: 'object',
        properties: { messages: { type: 'array', items: ref('ChatMessage') } },
        required: ['messages'],
        additionalProperties: false,
      },
      SendAck: {
        title: 'SendAck',
        description: 'Body of a `201` (stored) or `200` (a repeat) answer to a send.',
        type: 'object',
        properties: { message: ref('ChatMessage') },
        required: ['message'],
        additionalProperties: false,
      },
      ErrorBody: errorBody,
    },
  },
};

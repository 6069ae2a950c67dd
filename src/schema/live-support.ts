import { draft202012, errorBody, ref, timestamp, type JsonSchema, type ProtocolSchema } from './types.js';

const typed = (title: string, description: string, type: string, fields: Record<string, JsonSchema> = {}): JsonSchema => ({
  title,
  description,
  type: 'object',
  properties: { type: { const: type }, ...fields },
  required: ['type', ...Object.keys(fields)],
  additionalProperties: false,
});

/** The live-support protocol's contract (docs/protocols/live-support.md), mirroring src/reference/live-support/wire.ts. */
export const liveSupportSchema: ProtocolSchema = {
  protocol: 'live-support',
  title: 'live-support',
  spec: 'docs/protocols/live-support.md',
  endpoints: [
    {
      kind: 'rest',
      id: 'widgetListChats',
      method: 'GET',
      address: '/api/users/{email}/chats',
      description:
        'Widget (public): the customer\'s chats, polled every 2 s: `200 {"chats": [...]}`; `404 {"error":"user_not_found"}` for an unknown customer.',
      responses: ['ChatList', 'ErrorBody'],
    },
    {
      kind: 'rest',
      id: 'widgetSend',
      method: 'POST',
      address: '/api/users/{email}/chats/{chat_id}/messages',
      description:
        'Widget (public): the customer sends a message: `201 {"message"}` (role `user`); a chat id the customer does not have yet is created; `409` when the chat belongs to another customer.',
      request: 'WidgetSendBody',
      responses: ['MessageAck', 'ErrorBody'],
    },
    {
      kind: 'rest',
      id: 'agentSend',
      method: 'POST',
      address: '/api/dashboard/chats/{chat_id}/messages',
      description:
        'Dashboard (`Authorization: Bearer <token>`): an agent sends a message: `201 {"message"}` (role `agent`); `403` when the chat is not one of the agent\'s customers.',
      request: 'AgentBody',
      responses: ['MessageAck', 'ErrorBody'],
    },
    {
      kind: 'rest',
      id: 'agentReplace',
      method: 'PUT',
      address: '/api/dashboard/chats/{chat_id}/messages/{message_id}',
      description:
        'Dashboard (`Authorization: Bearer <token>`): an agent replaces a message in place by a new one with a new id: `200 {"message"}`.',
      request: 'AgentBody',
      responses: ['MessageAck', 'ErrorBody'],
    },
    {
      kind: 'ws',
      id: 'dashboard',
      address: '/ws/dashboard',
      query: { token: { type: 'string', description: "The user's token (browsers cannot set headers on a WebSocket)." } },
      description:
        'The dashboard socket, `?token={token}` in the query string (a bad token: the upgrade is refused with 401). The dashboard subscribes to `chat_updates`; the server answers `subscribed` and the current state, then broadcasts.',
      clientFrames: ['ClientFrame'],
      serverFrames: ['ServerFrame'],
    },
  ],
  schema: {
    $schema: draft202012,
    $id: 'https://lockstep.test/schemas/live-support.schema.json',
    title: 'live-support protocol wire messages',
    description:
      'Every WebSocket frame (JSON text) and REST body of the live-support protocol (docs/protocols/live-support.md). Validate a message against one of the `$defs`: `ServerFrame`, `ClientFrame`, `WidgetSendBody`, `AgentBody`, `ChatList`, `MessageAck`, `ErrorBody`.',
    anyOf: [
      ref('ServerFrame'),
      ref('ClientFrame'),
      ref('WidgetSendBody'),
      ref('AgentBody'),
      ref('ChatList'),
      ref('MessageAck'),
      ref('ErrorBody'),
    ],
    $defs: {
      LiveMessage: {
        title: 'LiveMessage',
        description: 'A stored message of a support chat.',
        type: 'object',
        properties: {
          id: { type: 'string', description: 'Assigned by the server; a replaced message gets a new id.' },
          role: { enum: ['user', 'agent'], description: '`user`: the customer (widget); `agent`: the dashboard user.' },
          content: { type: 'string' },
          timestamp: timestamp('RFC 3339 with milliseconds, assigned by the server.'),
        },
        required: ['id', 'role', 'content', 'timestamp'],
        additionalProperties: false,
      },
      LiveChat: {
        title: 'LiveChat',
        description: 'One chat of a customer.',
        type: 'object',
        properties: { chat_id: { type: 'string' }, messages: { type: 'array', items: ref('LiveMessage') } },
        required: ['chat_id', 'messages'],
        additionalProperties: false,
      },
      LiveUser: {
        title: 'LiveUser',
        description:
          "A customer as the broadcast formats it (the source's `formatted_users` entry; each chat carries its last 20 messages).",
        type: 'object',
        properties: {
          _id: { type: 'string' },
          name: { type: 'string' },
          email: { type: 'string' },
          category: { type: 'string' },
          status: { type: 'string' },
          dashboard_user_id: {
            type: ['string', 'null'],
            description: 'The dashboard user the customer belongs to; `null` or absent when unknown.',
          },
          chats: { type: 'array', items: ref('LiveChat') },
        },
        required: ['_id', 'name', 'email', 'category', 'status', 'chats'],
        additionalProperties: false,
      },
      ChatUpdatesFrame: typed(
        'ChatUpdatesFrame',
        'The broadcast on the `chat_updates` channel: at most 100 customers, most recently active first.',
        'chat_updates',
        {
          data: {
            type: 'object',
            properties: { users: { type: 'array', items: ref('LiveUser') }, timestamp: timestamp('When the broadcast was made.') },
            required: ['users', 'timestamp'],
            additionalProperties: false,
          },
        },
      ),
      SubscribedFrame: typed('SubscribedFrame', 'The answer to `subscribe` (the current state follows).', 'subscribed', {
        channel: { type: 'string', examples: ['chat_updates'] },
      }),
      PongFrame: typed('PongFrame', 'The answer to a ping.', 'pong'),
      SubscribeFrame: typed('SubscribeFrame', 'Subscribe to a channel, once open.', 'subscribe', { channel: { const: 'chat_updates' } }),
      PingFrame: typed('PingFrame', 'Heartbeat.', 'ping'),
      ServerFrame: {
        title: 'ServerFrame',
        description: 'Server → dashboard WebSocket frames.',
        oneOf: [ref('ChatUpdatesFrame'), ref('SubscribedFrame'), ref('PongFrame')],
      },
      ClientFrame: {
        title: 'ClientFrame',
        description: 'Dashboard → server WebSocket frames.',
        oneOf: [ref('SubscribeFrame'), ref('PingFrame')],
      },
      WidgetSendBody: {
        title: 'WidgetSendBody',
        description: 'Body of `POST /api/users/{email}/chats/{chat_id}/messages`.',
        type: 'object',
        properties: { content: { type: 'string', minLength: 1 } },
        required: ['content'],
        additionalProperties: false,
      },
      AgentBody: {
        title: 'AgentBody',
        description:
          'Body of `POST /api/dashboard/chats/{chat_id}/messages` and `PUT /api/dashboard/chats/{chat_id}/messages/{message_id}`.',
        type: 'object',
        properties: {
          content: { type: 'string', minLength: 1 },
          dashboard_user_id: { type: 'string', minLength: 1, description: "The agent's id: must be the customer's, else 403." },
        },
        required: ['content', 'dashboard_user_id'],
        additionalProperties: false,
      },
      ChatList: {
        title: 'ChatList',
        description: 'Body of a `200` answer to `GET /api/users/{email}/chats`.',
        type: 'object',
        properties: { chats: { type: 'array', items: ref('LiveChat') } },
        required: ['chats'],
        additionalProperties: false,
      },
      MessageAck: {
        title: 'MessageAck',
        description: 'Body of a send (`201`) or replace (`200`) answer.',
        type: 'object',
        properties: { message: ref('LiveMessage') },
        required: ['message'],
        additionalProperties: false,
      },
      ErrorBody: errorBody,
    },
  },
};

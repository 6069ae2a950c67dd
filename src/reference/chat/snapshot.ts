/**
 * What a chat client's user sees: the contract of `snapshot()` (docs/protocols/chat.md,
 * "ChatSnapshot"). One TypeBox schema gives the TypeScript type, the validation of every
 * recorded snapshot and the JSON Schema. Fields beyond these are allowed (a client may show
 * more) and ignored: no requirement may depend on something the contract does not name.
 */
import { Type, type Static } from '@sinclair/typebox';

/** One entry of the visible message list. */
export const ChatShownMessageSchema = Type.Object(
  {
    id: Type.String({
      description:
        "The server's message id once the server has stored the message; before that (an optimistic entry) any id that is not a server id, `local:<clientMessageId>` by convention.",
    }),
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')], { description: 'Who wrote it.' }),
    content: Type.String({ description: 'The text, exactly as sent or stored.' }),
    timestamp: Type.String({
      description:
        "RFC 3339. The server's `timestamp` for a stored message; for an optimistic entry the device's time of the send (not judged).",
    }),
    clientMessageId: Type.Optional(
      Type.String({ description: "The sender's idempotency key. Required on an optimistic entry; optional on stored ones." }),
    ),
    pending: Type.Optional(
      Type.Boolean({
        description:
          '`true` on an optimistic entry (sent by the user, not yet acknowledged by the server). Informational: checkers never trust it.',
      }),
    ),
  },
  { additionalProperties: true },
);

/** The whole snapshot. */
export const ChatSnapshotSchema = Type.Object(
  {
    conversation: Type.Union([Type.String(), Type.Null()], {
      description: 'The id of the open conversation, or `null` when none is open.',
    }),
    messages: Type.Array(ChatShownMessageSchema, {
      description: 'The visible message list of the open conversation, in display order (top first); `[]` when none is open.',
    }),
    connection: Type.Optional(
      Type.Union([Type.Literal('idle'), Type.Literal('connecting'), Type.Literal('open'), Type.Literal('closed')], {
        description:
          '`idle`: no conversation open; `connecting`: its socket is being opened; `open`: its socket is open; `closed`: a conversation is open but it has no socket (polling, or waiting to reconnect). Informational.',
      }),
    ),
    polling: Type.Optional(Type.Boolean({ description: 'The polling fallback is running. Informational.' })),
    outbox: Type.Optional(
      Type.Integer({ minimum: 0, description: 'How many sent messages the server has not acknowledged yet (a count). Informational.' }),
    ),
    authError: Type.Optional(
      Type.Boolean({ description: 'The client is showing an authentication error (after a 401) and waits for the user. Informational.' }),
    ),
  },
  { additionalProperties: true, description: 'What the user of a chat client sees (docs/protocols/chat.md, "ChatSnapshot").' },
);

/** What the user of a chat client sees (`snapshot()`). */
export type ChatSnapshot = Static<typeof ChatSnapshotSchema>;

/** One entry of {@link ChatSnapshot.messages}. */
export type ChatShownMessage = Static<typeof ChatShownMessageSchema>;

/**
 * What a live-support node's user sees: the contract of `snapshot()`
 * (docs/protocols/live-support.md, "Snapshot"). One TypeBox schema gives the TypeScript
 * type, the validation the harness applies to every recorded snapshot and the JSON
 * Schema. Fields beyond these are allowed (a client may show more) and ignored. The
 * checkers read only message ids and customer emails from a snapshot: who a node is, what
 * it polled and what the server holds, they take from the trace, never from the snapshot.
 */
import { Type, type Static } from '@sinclair/typebox';

const messageId = (description: string) => Type.String({ minLength: 1, description });

/** One message of a widget's chat view. */
export const ShownMessageSchema = Type.Object(
  {
    id: messageId(
      "The message's id exactly as the server assigned it (`id` of LiveMessage); an optimistic entry not yet acknowledged may carry a local id.",
    ),
    role: Type.Optional(
      Type.Union([Type.Literal('user'), Type.Literal('agent')], {
        description: '`user`: written by the customer; `agent`: by a dashboard user. Informational: not judged.',
      }),
    ),
    content: Type.Optional(Type.String({ description: 'The text as the server stores it. Informational: not judged.' })),
  },
  { additionalProperties: true, description: 'One message of the chat view.' },
);

/** The snapshot of a node that is a widget. */
export const WidgetSnapshotSchema = Type.Object(
  {
    role: Type.Literal('widget'),
    mounted: Type.Boolean({ description: 'The chat view is mounted (the widget\u2019s `stage` is the chat).' }),
    email: Type.Union([Type.String(), Type.Null()], {
      description: 'The customer\u2019s email the view is for; `null` before the first mount.',
    }),
    chatId: Type.Union([Type.String(), Type.Null()], { description: 'The current chat (`currentChatId`); `null` before the first mount.' }),
    messages: Type.Array(ShownMessageSchema, {
      description:
        'The messages of the current chat the view holds, in display order (top first). While unmounted: `[]`, or the list it had at the unmount (it must not change).',
    }),
  },
  { additionalProperties: true, description: 'A widget node: the customer\u2019s chat view.' },
);

/** One chat of a customer on a dashboard. */
export const ShownChatSchema = Type.Object(
  {
    chat_id: Type.String({ description: 'The chat id, as the broadcast names it.' }),
    messages: Type.Array(messageId('A message id, as the broadcast lists it.'), {
      description:
        'The ids of the chat\u2019s messages the dashboard holds, in broadcast order (ids only: the runner records every change).',
    }),
  },
  { additionalProperties: true, description: 'One chat of a customer shown on the dashboard.' },
);

/** One customer on a dashboard. */
export const ShownUserSchema = Type.Object(
  {
    email: Type.String({ description: 'The customer\u2019s email, as the broadcast names it (the customer\u2019s identity).' }),
    dashboard_user_id: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description:
          'The customer\u2019s dashboard user, as the broadcast gave it. Informational: the checkers take the owner from the server.',
      }),
    ),
    chats: Type.Array(ShownChatSchema, { description: 'The customer\u2019s chats the dashboard holds.' }),
  },
  { additionalProperties: true, description: 'One customer shown on the dashboard.' },
);

/** The snapshot of a node that is a dashboard. */
export const DashboardSnapshotSchema = Type.Object(
  {
    role: Type.Literal('dashboard'),
    dashboardUserId: Type.Union([Type.String(), Type.Null()], {
      description: 'The agent signed in (the dashboard user). Informational: the checkers take it from the `connectDashboard` action.',
    }),
    connection: Type.Optional(
      Type.Union([Type.Literal('idle'), Type.Literal('connecting'), Type.Literal('open'), Type.Literal('closed')], {
        description:
          '`idle`: not opened (or closed by the user); `connecting`: its socket is opening; `open`: its socket is open; `closed`: opened by the user but without a socket (waiting to reconnect). Informational.',
      }),
    ),
    subscribed: Type.Optional(
      Type.Boolean({ description: 'The server confirmed the `chat_updates` subscription on the current socket. Informational.' }),
    ),
    users: Type.Array(ShownUserSchema, {
      description: 'The customers the dashboard shows, with the messages it holds for each of their chats.',
    }),
  },
  { additionalProperties: true, description: 'A dashboard node: the agent\u2019s view of their customers.' },
);

/** The snapshot of a node that has had no action yet (or was restarted and did not restore itself). */
export const IdleSnapshotSchema = Type.Object(
  { role: Type.Literal('idle') },
  { additionalProperties: true, description: 'A node that is neither a widget nor a dashboard yet.' },
);

/** The whole snapshot: `role` says which of the three shapes it is. */
export const LiveSupportSnapshotSchema = Type.Union([IdleSnapshotSchema, WidgetSnapshotSchema, DashboardSnapshotSchema], {
  title: 'LiveSupportSnapshot',
  description: 'What the user of a live-support node sees (docs/protocols/live-support.md, "Snapshot").',
});

/** What a live-support node shows: nothing yet, a widget, or a dashboard. */
export type LiveSupportSnapshot = Static<typeof LiveSupportSnapshotSchema>;
/** What the customer at a widget node sees. */
export type WidgetSnapshot = Static<typeof WidgetSnapshotSchema>;
/** What the agent at a dashboard node sees. */
export type DashboardSnapshot = Static<typeof DashboardSnapshotSchema>;
/** A message as a widget snapshot shows it. */
export type ShownMessage = Static<typeof ShownMessageSchema>;
/** A customer as a dashboard snapshot shows it. */
export type ShownUser = Static<typeof ShownUserSchema>;

/**
 * The live-support protocol's wire types (docs/protocols/live-support.md), validated at
 * the boundary: anything that does not parse is rejected with a message, never trusted.
 *
 * Names follow the source document (`live-support-chat-polling-fixes.md`): the widget
 * polls `GET /api/users/{email}/chats`; the dashboard holds the WebSocket
 * `/ws/dashboard`, subscribes to the `chat_updates` channel and receives
 * `{type: "chat_updates", data: {users, timestamp}}`, each user carrying its
 * `dashboard_user_id`.
 */
import type { LiveSupportSnapshot } from './snapshot.js';

/** A stored message of a support chat. */
export interface LiveMessage {
  /** Assigned by the server; a replaced message gets a new id. */
  id: string;
  /** `user`: the customer (widget); `agent`: the dashboard user. */
  role: 'user' | 'agent';
  content: string;
  /** RFC 3339 with milliseconds, assigned by the server. */
  timestamp: string;
}

/** One chat of a customer, as `GET /api/users/{email}/chats` and the broadcast carry it. */
export interface LiveChat {
  chat_id: string;
  messages: LiveMessage[];
}

/** A customer as the broadcast formats it (the source's `formatted_users` entry). */
export interface LiveUser {
  _id: string;
  name: string;
  email: string;
  category: string;
  status: string;
  /** The dashboard user the customer belongs to (the source's Fix 2). `null` or absent when unknown. */
  dashboard_user_id?: string | null;
  chats: LiveChat[];
}

/** The broadcast on the `chat_updates` channel. */
export interface ChatUpdatesFrame {
  type: 'chat_updates';
  data: { users: LiveUser[]; timestamp: string };
}

/** Server → dashboard WebSocket frames. */
export type DashboardServerFrame = ChatUpdatesFrame | { type: 'subscribed'; channel: string } | { type: 'pong' };
/** Dashboard → server WebSocket frames. */
export type DashboardClientFrame = { type: 'subscribe'; channel: string } | { type: 'ping' };

/** The channel the dashboard subscribes to. */
export const chatUpdatesChannel = 'chat_updates';

const enc = encodeURIComponent;

/** Paths of the protocol. */
export const livePaths = {
  /** Widget: list the customer's chats (polled every 2 s). */
  chats: (email: string) => `/api/users/${enc(email)}/chats`,
  /** Widget: the customer sends a message. */
  widgetSend: (email: string, chat: string) => `/api/users/${enc(email)}/chats/${enc(chat)}/messages`,
  /** Dashboard: an agent sends a message. */
  agentSend: (chat: string) => `/api/dashboard/chats/${enc(chat)}/messages`,
  /** Dashboard: an agent replaces a message (same position, new id). */
  agentReplace: (chat: string, message: string) => `/api/dashboard/chats/${enc(chat)}/messages/${enc(message)}`,
  /** The dashboard socket (the token in the query string, as browsers cannot set headers on a WebSocket). */
  socket: (token: string) => `/ws/dashboard?token=${enc(token)}`,
  socketPath: '/ws/dashboard',
} as const;

/** What a request path addresses. */
export type LiveRoute =
  | { kind: 'chats'; email: string }
  | { kind: 'widget-send'; email: string; chat: string }
  | { kind: 'agent-send'; chat: string }
  | { kind: 'agent-replace'; chat: string; message: string }
  | { kind: 'socket' };

const routes: [RegExp, (m: string[]) => LiveRoute][] = [
  [/^\/api\/users\/([^/]+)\/chats$/, (m) => ({ kind: 'chats', email: m[0]! })],
  [/^\/api\/users\/([^/]+)\/chats\/([^/]+)\/messages$/, (m) => ({ kind: 'widget-send', email: m[0]!, chat: m[1]! })],
  [/^\/api\/dashboard\/chats\/([^/]+)\/messages$/, (m) => ({ kind: 'agent-send', chat: m[0]! })],
  [/^\/api\/dashboard\/chats\/([^/]+)\/messages\/([^/]+)$/, (m) => ({ kind: 'agent-replace', chat: m[0]!, message: m[1]! })],
  [/^\/ws\/dashboard$/, () => ({ kind: 'socket' })],
];

/** Parses a path (without or with a query string) of the protocol, or `undefined`. */
export function routeOf(path: string): LiveRoute | undefined {
  const p = path.split(/[?#]/)[0]!;
  for (const [re, make] of routes) {
    const m = re.exec(p);
    if (!m) continue;
    try {
      return make(m.slice(1).map((s) => decodeURIComponent(s)));
    } catch {
      return undefined; // a malformed %-escape
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Validation

/** Validates a `LiveMessage`; returns an error text or `undefined`. */
export function checkMessage(v: unknown, where = 'message'): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return `${where} must be an object`;
  const m = v as Record<string, unknown>;
  for (const k of ['id', 'content', 'timestamp'] as const) if (typeof m[k] !== 'string') return `${where}.${k} must be a string`;
  if (m.role !== 'user' && m.role !== 'agent') return `${where}.role must be "user" or "agent"`;
  return undefined;
}

/** Validates a `LiveChat`; returns an error text or `undefined`. */
export function checkChat(v: unknown, where = 'chat'): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return `${where} must be an object`;
  const c = v as Record<string, unknown>;
  if (typeof c.chat_id !== 'string') return `${where}.chat_id must be a string`;
  if (!Array.isArray(c.messages)) return `${where}.messages must be a list`;
  for (let i = 0; i < c.messages.length; i++) {
    const err = checkMessage(c.messages[i], `${where}.messages[${i}]`);
    if (err) return err;
  }
  return undefined;
}

/** Validates a broadcast user entry; returns an error text or `undefined`. */
export function checkUser(v: unknown, where = 'user'): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return `${where} must be an object`;
  const u = v as Record<string, unknown>;
  if (typeof u.email !== 'string') return `${where}.email must be a string`;
  const d = u.dashboard_user_id;
  if (d !== undefined && d !== null && typeof d !== 'string') return `${where}.dashboard_user_id must be a string or null`;
  if (!Array.isArray(u.chats)) return `${where}.chats must be a list`;
  for (let i = 0; i < u.chats.length; i++) {
    const err = checkChat(u.chats[i], `${where}.chats[${i}]`);
    if (err) return err;
  }
  return undefined;
}

/** Parses the body of `GET /api/users/{email}/chats`: `{"chats": LiveChat[]}`. */
export function parseChatList(v: unknown): LiveChat[] {
  const list = (v as { chats?: unknown } | null)?.chats;
  if (!Array.isArray(list)) throw new TypeError('expected {"chats": [...]}');
  list.forEach((c, i) => {
    const err = checkChat(c, `chats[${i}]`);
    if (err) throw new TypeError(err);
  });
  return list as LiveChat[];
}

/** Parses the body of a send or replace acknowledgement: `{"message": LiveMessage}`. */
export function parseMessageAck(v: unknown): LiveMessage {
  const m = (v as { message?: unknown } | null)?.message;
  const err = checkMessage(m);
  if (err) throw new TypeError(err);
  return m as LiveMessage;
}

/** Parses a server frame of the dashboard socket; throws with a reason when it is not one. */
export function parseServerFrame(data: unknown): DashboardServerFrame {
  if (typeof data !== 'string') throw new TypeError('dashboard frames are JSON text');
  const v = JSON.parse(data) as Record<string, unknown> | null;
  const type = v?.type;
  if (type === 'pong') return { type: 'pong' };
  if (type === 'subscribed') {
    if (typeof v!.channel !== 'string') throw new TypeError('subscribed.channel must be a string');
    return { type: 'subscribed', channel: v!.channel };
  }
  if (type === 'chat_updates') {
    const d = v!.data as Record<string, unknown> | null | undefined;
    if (!d || typeof d !== 'object' || !Array.isArray(d.users)) throw new TypeError('chat_updates.data.users must be a list');
    if (typeof d.timestamp !== 'string') throw new TypeError('chat_updates.data.timestamp must be a string');
    d.users.forEach((u, i) => {
      const err = checkUser(u, `data.users[${i}]`);
      if (err) throw new TypeError(err);
    });
    return { type: 'chat_updates', data: { users: d.users as LiveUser[], timestamp: d.timestamp } };
  }
  throw new TypeError(`unknown dashboard frame type ${JSON.stringify(type)}`);
}

// ---------------------------------------------------------------------------------------
// Timing and driver

/** Protocol timing constants (docs/protocols/live-support.md). */
export const liveTiming = {
  /** The widget polls every 2 s (the source's Fix 1, "Reduced polling from 3s → 2s"). */
  pollInterval: 2000,
  /** The server's background broadcast ("Background Poll: Every 2 seconds (backup)"). */
  broadcastInterval: 2000,
  /** What "processing" may add to a round trip before a sent message reaches the dashboard (LIVE-5). */
  processingAllowance: 250,
  /** A widget request that has not answered after this long is abandoned (a poll then counts as failed). */
  requestTimeout: 10_000,
  /** The longest a widget may wait after a failed poll, and a dashboard between reconnect attempts. */
  maxRetryInterval: 30_000,
  /** Dashboard reconnect delays; the last repeats. */
  dashboardBackoff: [1000, 2000, 4000, 8000, 16_000, 30_000],
  /** No frame on the dashboard socket for this long (five missed broadcasts): it is dead. */
  dashboardSilence: 10_000,
  /**
   * A dashboard socket counts as stable once open this long; only then does the backoff
   * start over. A socket that dies sooner (a crash-looping backend behind a load balancer
   * that still accepts) keeps the backoff growing (LIVE-14).
   */
  dashboardStable: 10_000,
} as const;

export type { DashboardSnapshot, LiveSupportSnapshot, ShownMessage, ShownUser, WidgetSnapshot } from './snapshot.js';

/**
 * The actions a live-support client exposes to the harness. One factory serves both
 * roles: a node becomes a widget with its first widget action (`mountWidget`,
 * `unmountWidget`, `switchChat`, `customerSend`) and a dashboard with its first dashboard
 * action (`connectDashboard`, `disconnectDashboard`, `agentSend`, `agentReplace`); an
 * action of the other role then throws (traced as `client.error`). An app restart makes
 * the node idle again.
 */
export interface LiveSupportDriver {
  /** Mounts the widget's chat view for `email`'s chat `chat` (or changes those dependencies). */
  mountWidget(email: string, chat: string): void;
  unmountWidget(): void;
  /** Changes the widget's current chat (a dependency of the polling effect). */
  switchChat(chat: string): void;
  /** The customer sends a message in the current chat. */
  customerSend(text: string): void;
  /** Opens the dashboard as the dashboard user `dashboardUserId`. */
  connectDashboard(dashboardUserId: string): void;
  disconnectDashboard(): void;
  /** The agent sends a message in chat `chat`. */
  agentSend(chat: string, text: string): void;
  /** The agent replaces their last message in chat `chat` with `text` (same position, new id). */
  agentReplace(chat: string, text: string): void;
  snapshot(): LiveSupportSnapshot;
  dispose?(): void;
}

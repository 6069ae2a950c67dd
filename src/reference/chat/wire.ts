/**
 * The chat protocol's wire types (docs/protocols/chat.md), validated at the boundary:
 * anything that does not parse is rejected with a message, never trusted.
 */
import type { ChatSnapshot } from './snapshot.js';

export type { ChatSnapshot } from './snapshot.js';

/** A stored chat message. */
export interface ChatMessage {
  id: string;
  conversationId: string;
  role: 'user' | 'assistant';
  content: string;
  /** RFC 3339 with milliseconds, assigned by the server. */
  timestamp: string;
  clientMessageId?: string;
}

/** Body of `POST /api/v1/consultations/{id}/messages`. */
export interface SendMessageBody {
  content: string;
  clientMessageId: string;
}

/** Server → client WebSocket frames. */
export type ChatServerFrame = { type: 'message'; message: ChatMessage } | { type: 'pong' };
/** Client → server WebSocket frames. */
export type ChatClientFrame = { type: 'ping' };

/** Paths of the protocol. */
export const chatPaths = {
  messages: (conversation: string) => `/api/v1/consultations/${encodeURIComponent(conversation)}/messages`,
  socket: (conversation: string, token: string) =>
    `/api/v1/consultations/${encodeURIComponent(conversation)}/ws?token=${encodeURIComponent(token)}`,
  /** Matches either path and captures the conversation id and the kind. */
  pattern: /^\/api\/v1\/consultations\/([^/]+)\/(messages|ws)$/,
} as const;

/** Parses a conversation id out of a chat path, or `undefined`. */
export function conversationOf(path: string): { conversation: string; kind: 'messages' | 'ws' } | undefined {
  const m = chatPaths.pattern.exec(path.split('?')[0]!);
  return m ? { conversation: decodeURIComponent(m[1]!), kind: m[2] as 'messages' | 'ws' } : undefined;
}

/** Validates a `ChatMessage`; returns an error text or `undefined`. */
export function checkMessage(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return 'a message must be an object';
  const m = v as Record<string, unknown>;
  for (const k of ['id', 'conversationId', 'content', 'timestamp'] as const)
    if (typeof m[k] !== 'string') return `message.${k} must be a string`;
  if (m.role !== 'user' && m.role !== 'assistant') return 'message.role must be "user" or "assistant"';
  if (Number.isNaN(Date.parse(m.timestamp as string))) return 'message.timestamp must be RFC 3339';
  if (m.clientMessageId !== undefined && typeof m.clientMessageId !== 'string') return 'message.clientMessageId must be a string';
  return undefined;
}

/** Parses a server frame; throws with a reason when it is not one. */
export function parseServerFrame(data: unknown): ChatServerFrame {
  if (typeof data !== 'string') throw new TypeError('chat frames are JSON text');
  const v = JSON.parse(data) as { type?: unknown; message?: unknown };
  if (v?.type === 'pong') return { type: 'pong' };
  if (v?.type === 'message') {
    const err = checkMessage(v.message);
    if (err) throw new TypeError(err);
    return { type: 'message', message: v.message as ChatMessage };
  }
  throw new TypeError(`unknown chat frame type ${JSON.stringify(v?.type)}`);
}

/**
 * Decodes a server frame for a client: a frame, `unknown` (valid JSON of a type this client
 * does not know: ignored, so a server may add types) or `bad` (not JSON, or a message
 * frame that breaks the wire format: a decode failure, which the source treats as a
 * runtime error of the socket).
 */
export function decodeServerFrame(data: unknown): { frame: ChatServerFrame } | { unknown: string } | { bad: string } {
  if (typeof data !== 'string') return { bad: 'chat frames are JSON text' };
  let v: { type?: unknown } | null;
  try {
    v = JSON.parse(data) as { type?: unknown } | null;
  } catch {
    return { bad: 'not JSON' };
  }
  if (v?.type !== 'pong' && v?.type !== 'message') return { unknown: `unknown chat frame type ${JSON.stringify(v?.type)}` };
  try {
    return { frame: parseServerFrame(data) };
  } catch (err) {
    return { bad: (err as Error).message };
  }
}

/** Parses the body of a messages listing. */
export function parseMessageList(v: unknown): ChatMessage[] {
  const list = (v as { messages?: unknown })?.messages;
  if (!Array.isArray(list)) throw new TypeError('expected {"messages": [...]}');
  for (const m of list) {
    const err = checkMessage(m);
    if (err) throw new TypeError(err);
  }
  return list as ChatMessage[];
}

/** Parses the body of a send acknowledgement. */
export function parseSendAck(v: unknown): ChatMessage {
  const m = (v as { message?: unknown })?.message;
  const err = checkMessage(m);
  if (err) throw new TypeError(err);
  return m as ChatMessage;
}

/** Protocol timing constants (docs/protocols/chat.md, "Client behaviour"). */
export const chatTiming = {
  basePollInterval: 3000,
  adaptive: { fast: 2000, medium: 5000, slow: 10000, fastWindow: 30_000, mediumWindow: 300_000 },
  backoff: [2000, 4000, 8000, 16000, 32000],
  pingInterval: 15_000,
  pongTimeout: 5_000,
  /** A socket open this long is stable: the reconnect count resets (CHAT-8; reconnecting-websocket's `minUptime`). */
  stableAfter: 10_000,
  /** A reset after a socket that stayed open at least this long is accepted too (CHAT-8). */
  stableMin: 5_000,
  /** A socket still connecting this long after its connect counts as failed (CHAT-5: a poll follows within 3 s + T, Test Case 2's 3–6 s). */
  connectBound: 3_000,
  /** The longest `Retry-After` a client must honour (a longer one may be capped at it: CHAT-20). */
  maxRetryAfter: 10_000,
  /** Liveness bound after heal (CHAT-10). */
  deliveryBound: 65_000,
  /** Share of an interval a timer may deviate by (jitter, timer slack): ±10 %. */
  jitter: 0.1,
} as const;

/**
 * The actions a chat client exposes to the harness. Each takes plain positional arguments:
 * a scenario's `{do: send, args: {text: "hi"}}` becomes `send("hi")`.
 */
export interface ChatDriver {
  /** Opens (or switches to) `conversation`, an id such as `"A"`. */
  openConversation(conversation: string): void;
  /** Closes the open conversation (nothing happens when none is open). */
  closeConversation(): void;
  /** Sends `text` in the open conversation. */
  send(text: string): void;
  /** What the user sees now (docs/protocols/chat.md, "ChatSnapshot"). */
  snapshot(): ChatSnapshot;
  /** Stops every timer and listener (the harness calls it when the app is killed). */
  dispose?(): void;
}

/**
 * The chat reference server's decisions, sans-IO: plain functions over a state object
 * that take a request, frame or timer firing plus the current clock and return a
 * response and a list of effects (log, push, arm a timer). `server.ts` is the thin
 * adapter that performs the effects on the simulated network (docs/protocols/chat.md).
 */
import type { Random } from '../../sim/random.js';
import type { ChatMessage, ChatServerFrame } from './wire.js';
import { conversationOf } from './wire.js';
import { chatServerDefaults, type ChatServerOptions } from './server-options.js';

/** Options resolved to what the decisions need. */
export interface ChatServerConfig {
  /** The configuration was drawn from the server's random stream (no options were given). */
  drawn: boolean;
  aiDelay: { min: number; max: number };
  /** Virtual ms from which every token is rejected. */
  revokeAt?: number;
  /** Whether a token is one the server knows (revocation aside). */
  knows(token: string): boolean;
  /** Resolution of the timestamps the server assigns, in ms: 1, or 1000 for a clock of whole seconds (messages of one second tie). */
  timestampResolution: number;
  /** Order of messages with equal timestamps in a list answer: the order they were stored in, or the reverse (the spec leaves ties open). */
  tieOrder: 'stored' | 'reversed';
  /** Processing time of an HTTP request: every request takes `base` ms, and a `slowShare` of them `slow` ms instead. */
  latency: { base: { min: number; max: number }; slowShare: number; slow: { min: number; max: number } };
  /** How long the server takes to answer a ping (well inside the 5 s the heartbeat allows). */
  pongDelay: { min: number; max: number };
}

const none = { min: 0, max: 0 };

/** The draws a world and per-request latencies need (a seeded stream of the run). */
export type WorldRandom = Pick<Random, 'int' | 'chance'>;

/**
 * Fills in defaults. With no options at all (`{}`, as property runs build the server) and
 * a `random` stream, the world is **drawn** instead (docs/protocols/chat.md, "What property
 * runs draw"): see {@link drawChatConfig}.
 */
export function resolveChatConfig(options: ChatServerOptions = {}, random?: WorldRandom): ChatServerConfig {
  if (random && Object.keys(options).length === 0) return drawChatConfig(random);
  const d = options.aiDelay ?? chatServerDefaults.aiDelay;
  const tokens = options.tokens ? new Set(options.tokens) : undefined;
  return {
    drawn: false,
    aiDelay: typeof d === 'number' ? { min: d, max: d } : { min: d.min, max: d.max },
    revokeAt: options.revokeAt,
    knows: tokens ? (t) => tokens.has(t) : (t) => t.startsWith(chatServerDefaults.tokenPrefix),
    timestampResolution: 1,
    tieOrder: 'stored',
    latency: { base: none, slowShare: 0, slow: none },
    pongDelay: none,
  };
}

/**
 * A server world drawn from the run's seed, every dimension within what the spec permits:
 * the AI answers after 2 s, after 0.3–5 s, or after 5–45 s (long enough to span switches,
 * restarts and reconnects); in 30 % of the worlds timestamps have whole seconds, so
 * messages tie; ties are listed in storage order or reversed; requests are answered at
 * once, after 0–120 ms, or after 0–120 ms with 15 % of them taking 0.8–7 s (answers that
 * land after the user switched or the socket came back); pongs come at once or after up
 * to 2 s.
 */
export function drawChatConfig(r: WorldRandom): ChatServerConfig {
  const ai = r.int(0, 99);
  const aiDelay = ai < 40 ? { min: 2000, max: 2000 } : ai < 75 ? { min: 300, max: 5000 } : { min: 5000, max: 45_000 };
  const timestampResolution = r.chance(0.3) ? 1000 : 1;
  const tieOrder = r.chance(0.5) ? 'reversed' : 'stored';
  const lat = r.int(0, 99);
  const latency =
    lat < 35
      ? { base: none, slowShare: 0, slow: none }
      : { base: { min: 0, max: 120 }, slowShare: lat < 70 ? 0 : 0.15, slow: { min: 800, max: 7000 } };
  const pongDelay = r.chance(0.3) ? { min: 0, max: 2000 } : none;
  return {
    drawn: true,
    aiDelay,
    knows: (t) => t.startsWith(chatServerDefaults.tokenPrefix),
    timestampResolution,
    tieOrder,
    latency,
    pongDelay,
  };
}

/** What the drawn world was, for the `server.world` log entry. */
export function describeChatConfig(c: ChatServerConfig): Record<string, unknown> {
  return {
    aiDelay: c.aiDelay,
    timestampResolution: c.timestampResolution,
    tieOrder: c.tieOrder,
    latency: c.latency,
    pongDelay: c.pongDelay,
  };
}

/** The RFC 3339 timestamp the server assigns at wall-clock `epochMs`, at the configured resolution. */
export function stampOf(config: Pick<ChatServerConfig, 'timestampResolution'>, epochMs: number): string {
  const r = config.timestampResolution;
  return new Date(Math.floor(epochMs / r) * r).toISOString();
}

/** Draws from `range` (no draw when it is a single value, so a fixed setting consumes no randomness). */
export function drawIn(random: ChatRandom, range: { min: number; max: number }): number {
  return range.min === range.max ? range.min : random.int(range.min, range.max);
}

/** How long the server takes to answer one HTTP request. */
export function requestLatency(config: Pick<ChatServerConfig, 'latency'>, random: WorldRandom): number {
  const { base, slowShare, slow } = config.latency;
  return random.chance(slowShare) ? drawIn(random, slow) : drawIn(random, base);
}

/** An AI answer the responder is still "processing". */
export interface PendingReply {
  /** Id of the user message it answers (unique: one reply per stored user message). */
  replyTo: string;
  conversation: string;
  /** The user message's content. */
  content: string;
  /** Virtual ms at which the answer is stored. */
  dueAt: number;
}

/** Everything the server keeps in memory; survives a `server-restart` with `state: keep`. */
export interface ChatServerState {
  /** Prefix of message ids (`g2-` after the second restart lost state, so ids are never reused). */
  readonly idPrefix: string;
  nextId: number;
  /** Stored messages per conversation, ordered by timestamp (ties: storage order). */
  readonly conversations: Map<string, ChatMessage[]>;
  /** `conversation \0 clientMessageId` → the message stored for it. */
  readonly byClientMessageId: Map<string, ChatMessage>;
  /** AI replies not yet stored, ordered by `dueAt` (ties: arming order). */
  readonly pending: PendingReply[];
  /**
   * Whose tokens expired (a `token-expiry` fault): `'*'` for every node, else node names.
   * Tokens are the harness's, issued before the run, so every expiry covers them for good.
   */
  readonly expired: Set<string>;
}

/** A fresh state. `generation` is the server's restart count (ids of later incarnations get a prefix). */
export function createChatState(generation = 0): ChatServerState {
  return {
    idPrefix: generation > 0 ? `g${generation}-` : '',
    nextId: 1,
    conversations: new Map(),
    byClientMessageId: new Map(),
    pending: [],
    expired: new Set(),
  };
}

/** The moment a decision is taken: virtual ms and the wall-clock timestamp (RFC 3339 with ms). */
export interface ChatClock {
  now: number;
  timestamp: string;
}

/** The server's random stream (only `int` is used: one draw per user message when `aiDelay` is a range). */
export interface ChatRandom {
  int(min: number, max: number): number;
}

/** What the adapter must do after a decision. */
export type ChatEffect =
  /** Record `server.log` `event` with `fields`. */
  | { type: 'log'; event: string; fields: Record<string, unknown> }
  /** Send `{"type":"message", message}` to every open socket of `message.conversationId` (and log `message.pushed` per socket). */
  | { type: 'push'; message: ChatMessage }
  /** Arm a timer that calls {@link completeReply} at `reply.dueAt`. */
  | { type: 'arm-reply'; reply: PendingReply };

/** An HTTP request as the decisions see it. */
export interface ChatRequest {
  /** Exchange id (`c1/http#3`), for logs. */
  id: string;
  method: string;
  path: string;
  /** The token the request carries on the channel the spec prescribes, if any. */
  token: string | undefined;
  body: string;
  /** The client node that sent it (whose credentials may have expired). */
  node?: string;
}

/** An HTTP answer; `body` is sent as JSON. */
export interface ChatResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The outcome of a decision: an answer (for requests) and effects. */
export interface ChatOutcome<R> {
  result: R;
  effects: ChatEffect[];
}

export type AuthVerdict = { ok: true } | { ok: false; reason: 'missing token' | 'unknown token' | 'token revoked' | 'token expired' };

/**
 * Whether `token` is accepted at virtual time `now`. Revocation applies from `revokeAt` on
 * (inclusive); an expiry (`expired`, from `token-expiry`) for the sender's node or for all.
 */
export function authorize(
  config: ChatServerConfig,
  token: string | undefined,
  now: number,
  expired?: { state: Pick<ChatServerState, 'expired'>; node: string | undefined },
): AuthVerdict {
  if (!token) return { ok: false, reason: 'missing token' };
  if (config.revokeAt !== undefined && now >= config.revokeAt) return { ok: false, reason: 'token revoked' };
  if (expired && isExpired(expired.state, expired.node)) return { ok: false, reason: 'token expired' };
  if (!config.knows(token)) return { ok: false, reason: 'unknown token' };
  return { ok: true };
}

/** Whether the tokens of `node` have expired. */
export function isExpired(state: Pick<ChatServerState, 'expired'>, node: string | undefined): boolean {
  return state.expired.has('*') || (node !== undefined && state.expired.has(node));
}

/** A `token-expiry` fault: the tokens of `node` (or of every node) are refused from now on. */
export function expireTokens(state: ChatServerState, node: string | undefined): ChatEffect[] {
  state.expired.add(node ?? '*');
  return [{ type: 'log', event: 'auth.expired', fields: { node: node ?? '*' } }];
}

/** The messages of a conversation, ordered by timestamp. */
export function listMessages(state: ChatServerState, conversation: string): readonly ChatMessage[] {
  return state.conversations.get(conversation) ?? [];
}

/** A list answer: timestamp order, ties in storage order or reversed. */
export function listAnswer(list: readonly ChatMessage[], tieOrder: ChatServerConfig['tieOrder']): readonly ChatMessage[] {
  if (tieOrder === 'stored') return list;
  const out: ChatMessage[] = [];
  for (let i = 0; i < list.length;) {
    let j = i + 1;
    while (j < list.length && list[j]!.timestamp === list[i]!.timestamp) j++;
    for (let k = j - 1; k >= i; k--) out.push(list[k]!);
    i = j;
  }
  return out;
}

/** AI replies still pending, in the order they will be stored. */
export function pendingReplies(state: ChatServerState): readonly PendingReply[] {
  return state.pending;
}

const rejected = (
  req: ChatRequest,
  status: number,
  error: string,
  reason: string,
  headers?: Record<string, string>,
): ChatOutcome<ChatResponse> => ({
  result: { status, body: status === 401 ? { error } : { error, reason }, headers },
  effects: [{ type: 'log', event: 'request.rejected', fields: { request: req.id, method: req.method, path: req.path, status, reason } }],
});

/** Decides an HTTP request: the REST list and send endpoints of the protocol. */
export function handleHttp(
  state: ChatServerState,
  config: ChatServerConfig,
  req: ChatRequest,
  clock: ChatClock,
  random: ChatRandom,
): ChatOutcome<ChatResponse> {
  const route = conversationOf(req.path);
  if (!route) return rejected(req, 404, 'not_found', `no chat endpoint at ${req.path}`);
  const auth = authorize(config, req.token, clock.now, { state, node: req.node });
  if (!auth.ok) return rejected(req, 401, 'unauthorized', auth.reason);
  if (route.kind === 'ws') return rejected(req, 426, 'upgrade_required', `${req.path} only accepts WebSocket upgrades`);
  if (req.method === 'GET')
    return {
      result: { status: 200, body: { messages: listAnswer(listMessages(state, route.conversation), config.tieOrder) } },
      effects: [],
    };
  if (req.method !== 'POST')
    return rejected(req, 405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use GET or POST`, { allow: 'GET, POST' });
  const body = parseSendBody(req.body);
  if (typeof body === 'string') return rejected(req, 400, 'bad_request', body);
  return sendMessage(state, config, route.conversation, body, clock, random);
}

/**
 * A message the client sent over its socket (the source's "WebSocket connected → Send via
 * WebSocket"): `{"type":"message","content","clientMessageId"}`, stored as a `POST` would
 * store it (idempotent on `clientMessageId`) and pushed to every socket of the
 * conversation — the push is the sender's acknowledgement; a repeat is answered by sending
 * the stored message to the sender's socket alone. `message.stored` names the socket.
 */
export function sendOverSocket(
  state: ChatServerState,
  config: ChatServerConfig,
  socket: string,
  conversation: string,
  body: { content: string; clientMessageId: string },
  clock: ChatClock,
  random: ChatRandom,
): ChatOutcome<ChatServerFrame | undefined> {
  const out = sendMessage(state, config, conversation, body, clock, random, socket);
  if (out.result.status === 201) return { result: undefined, effects: out.effects };
  return { result: { type: 'message', message: (out.result.body as { message: ChatMessage }).message }, effects: out.effects };
}

/** Validates a send body; returns it, or the reason it is not one. Reasons never quote the JSON parser (its wording varies by engine). */
export function parseSendBody(text: string): { content: string; clientMessageId: string } | string {
  const shape = 'expected JSON {"content": string, "clientMessageId": string}';
  if (text.trim() === '') return `the body is empty; ${shape}`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `the body is not valid JSON; ${shape}`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return `the body is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`}; ${shape}`;
  const b = v as Record<string, unknown>;
  if (typeof b.content !== 'string') return `"content" must be a string; found ${describe(b.content)}`;
  if (typeof b.clientMessageId !== 'string' || b.clientMessageId === '')
    return `"clientMessageId" must be a non-empty string; found ${describe(b.clientMessageId)}`;
  return { content: b.content, clientMessageId: b.clientMessageId };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string';
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

/**
 * Stores a user message, idempotently on (conversation, clientMessageId): the first time
 * it is stored (201), pushed and answered by the AI; a repeat answers 200 with the
 * message stored the first time and changes nothing.
 */
export function sendMessage(
  state: ChatServerState,
  config: ChatServerConfig,
  conversation: string,
  body: { content: string; clientMessageId: string },
  clock: ChatClock,
  random: ChatRandom,
  socket?: string,
): ChatOutcome<ChatResponse> {
  const key = `${conversation}\u0000${body.clientMessageId}`;
  const existing = state.byClientMessageId.get(key);
  if (existing) {
    return {
      result: { status: 200, body: { message: existing } },
      effects: [
        {
          type: 'log',
          event: 'message.duplicate',
          fields: { id: existing.id, conversation, clientMessageId: body.clientMessageId, sameContent: existing.content === body.content },
        },
      ],
    };
  }
  const message: ChatMessage = {
    id: nextMessageId(state),
    conversationId: conversation,
    role: 'user',
    content: body.content,
    timestamp: clock.timestamp,
    clientMessageId: body.clientMessageId,
  };
  state.byClientMessageId.set(key, message);
  const effects = store(state, message, undefined, socket);
  const delay = drawIn(random, config.aiDelay);
  const reply: PendingReply = { replyTo: message.id, conversation, content: message.content, dueAt: clock.now + delay };
  insertPending(state, reply);
  effects.push(
    { type: 'log', event: 'ai.scheduled', fields: { replyTo: reply.replyTo, conversation, dueAt: reply.dueAt } },
    { type: 'arm-reply', reply },
  );
  return { result: { status: 201, body: { message } }, effects };
}

/** The AI responder finished: stores `Reply to: <content>` and pushes it. Nothing happens if the reply is no longer pending. */
export function completeReply(state: ChatServerState, replyTo: string, clock: ChatClock): ChatEffect[] {
  const i = state.pending.findIndex((p) => p.replyTo === replyTo);
  if (i < 0) return [];
  const [reply] = state.pending.splice(i, 1);
  const message: ChatMessage = {
    id: nextMessageId(state),
    conversationId: reply!.conversation,
    role: 'assistant',
    content: `Reply to: ${reply!.content}`,
    timestamp: clock.timestamp,
  };
  return store(state, message, reply!.replyTo);
}

/** Decides a WebSocket upgrade: accept (and for which conversation) or refuse with a status. */
export function handleUpgrade(
  config: ChatServerConfig,
  req: { id: string; path: string; token: string | undefined; node?: string },
  now: number,
  state?: Pick<ChatServerState, 'expired'>,
): ChatOutcome<{ accept: true; conversation: string } | { accept: false; status: number }> {
  const route = conversationOf(req.path);
  const refuse = (status: number, reason: string) => ({
    result: { accept: false as const, status },
    effects: [{ type: 'log' as const, event: 'upgrade.rejected', fields: { request: req.id, path: req.path, status, reason } }],
  });
  if (!route || route.kind !== 'ws') return refuse(404, `no chat WebSocket endpoint at ${req.path}`);
  const auth = authorize(config, req.token, now, state ? { state, node: req.node } : undefined);
  if (!auth.ok) return refuse(401, auth.reason);
  return { result: { accept: true, conversation: route.conversation }, effects: [] };
}

/**
 * Decides a client frame: `{"type":"ping"}` is answered with a pong; a message frame
 * (`{"type":"message","content","clientMessageId"}`) is stored as by a `POST` (see
 * {@link sendOverSocket}) when `send` is given; anything else is ignored and logged.
 */
export function handleFrame(
  socket: string,
  data: string | Uint8Array,
  binary: boolean,
  send?: (body: { content: string; clientMessageId: string }) => ChatOutcome<ChatServerFrame | undefined>,
): ChatOutcome<ChatServerFrame | undefined> {
  const ignore = (reason: string) => ({
    result: undefined,
    effects: [
      {
        type: 'log' as const,
        event: 'frame.ignored',
        fields: { socket, reason, data: binary ? undefined : truncate(data as string) },
      },
    ],
  });
  if (binary || typeof data !== 'string') return ignore('binary frame');
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return ignore('not JSON');
  }
  const type = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { type?: unknown }).type : undefined;
  if (type === 'ping') return { result: { type: 'pong' }, effects: [] };
  if (type === 'message' && send) {
    const body = parseSendBody(data);
    if (typeof body === 'string') return ignore(`bad message frame: ${body}`);
    return send(body);
  }
  return ignore(type === undefined ? 'no "type"' : `unknown frame type ${JSON.stringify(type)}`);
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function nextMessageId(state: ChatServerState): string {
  return `${state.idPrefix}m${state.nextId++}`;
}

/** Inserts by timestamp (after equal ones), logs `message.stored` and asks for a push. */
function store(state: ChatServerState, message: ChatMessage, replyTo?: string, socket?: string): ChatEffect[] {
  let list = state.conversations.get(message.conversationId);
  if (!list) state.conversations.set(message.conversationId, (list = []));
  let i = list.length;
  while (i > 0 && list[i - 1]!.timestamp > message.timestamp) i--;
  list.splice(i, 0, message);
  return [
    {
      type: 'log',
      event: 'message.stored',
      fields: {
        id: message.id,
        conversation: message.conversationId,
        role: message.role,
        clientMessageId: message.clientMessageId,
        content: message.content,
        timestamp: message.timestamp,
        replyTo,
        ...(socket ? { socket } : {}),
      },
    },
    { type: 'push', message },
  ];
}

function insertPending(state: ChatServerState, reply: PendingReply): void {
  let i = state.pending.length;
  while (i > 0 && state.pending[i - 1]!.dueAt > reply.dueAt) i--;
  state.pending.splice(i, 0, reply);
}

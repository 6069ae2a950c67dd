/**
 * The live-support reference server's decisions, sans-IO: plain functions over a state
 * object that take a request, frame or timer firing plus the current clock and return an
 * answer and a list of effects (log, run a broadcast). `server.ts` is the thin adapter
 * that performs the effects on the simulated network (docs/protocols/live-support.md).
 */
import { liveServerDefaults, defaultCustomers, type CustomerSeed, type LiveServerOptions } from './server-options.js';
import { chatUpdatesChannel, routeOf, type DashboardServerFrame, type LiveChat, type LiveMessage, type LiveUser } from './wire.js';

/** What started a broadcast (`broadcast.start`'s `trigger`). */
export type BroadcastTrigger = 'timer' | 'widget-message' | 'agent-message' | 'agent-replace' | 'subscribe';

/**
 * The decisions a faulty server variant (zoo/*-server.ts) may replace; the reference's
 * are {@link broadcastAtOnce} and {@link answerAtOnce} (the source's Fix 3).
 */
export interface LiveServerDecisions {
  /** A message was stored or replaced: the broadcast that follows (its effects; none for a server that waits for its cycle). */
  broadcastOnChange(
    state: LiveServerState,
    trigger: Extract<BroadcastTrigger, 'widget-message' | 'agent-message' | 'agent-replace'>,
    extra: { message: string; request: string },
  ): LiveEffect[];
  /** How a send or replacement is answered, given the broadcasts it started (each resolves with whether it succeeded). */
  answer(response: LiveResponse, broadcasts: readonly Promise<boolean>[]): LiveResponse | Promise<LiveResponse>;
}

/** Fix 3: trigger the broadcast at once, as a task of its own. */
export const broadcastAtOnce: LiveServerDecisions['broadcastOnChange'] = (state, trigger, extra) => startBroadcast(state, trigger, extra);

/** Fix 3: the send is answered without waiting for its broadcast ("non-blocking"), whatever becomes of it ("non-critical"). */
export const answerAtOnce: LiveServerDecisions['answer'] = (response) => response;

/** Options resolved to what the decisions need. */
export interface LiveServerConfig {
  /** The reference's decisions, or a faulty variant's in their place. */
  decisions: LiveServerDecisions;
  customers: readonly Required<CustomerSeed>[];
  seedMessages: number;
  broadcastInterval: number;
  broadcastCost: number;
  broadcastFailRate: number;
  broadcastLimit: number;
  messageLimit: number;
  /** Whether a dashboard token is one the server knows. */
  knows(token: string): boolean;
}

/** Fills in defaults; `decisions` replaces reference decisions (a faulty server variant). */
export function resolveLiveConfig(options: LiveServerOptions = {}, decisions: Partial<LiveServerDecisions> = {}): LiveServerConfig {
  const d = liveServerDefaults;
  const tokens = options.tokens ? new Set(options.tokens) : undefined;
  return {
    decisions: { broadcastOnChange: broadcastAtOnce, answer: answerAtOnce, ...decisions },
    customers: (options.customers ?? defaultCustomers).map((c) => ({
      email: c.email,
      name: c.name ?? c.email.split('@')[0]!,
      dashboard_user_id: c.dashboard_user_id,
      chats: c.chats ?? [`chat-${c.email.split('@')[0]!}`],
    })),
    seedMessages: options.seedMessages ?? d.seedMessages,
    broadcastInterval: options.broadcastInterval ?? d.broadcastInterval,
    broadcastCost: options.broadcastCost ?? d.broadcastCost,
    broadcastFailRate: options.broadcastFailRate ?? d.broadcastFailRate,
    broadcastLimit: options.broadcastLimit ?? d.broadcastLimit,
    messageLimit: options.messageLimit ?? d.messageLimit,
    knows: tokens ? (t) => tokens.has(t) : (t) => t.startsWith(d.tokenPrefix),
  };
}

/** A customer (the source's `db.customers` document). */
export interface CustomerRecord {
  _id: string;
  name: string;
  email: string;
  category: string;
  status: string;
  dashboard_user_id: string;
  chats: string[];
  /** Position in the collection (ties of activity keep this order). */
  index: number;
  /** Last store or replace in one of its chats (a counter; 0: never). */
  activity: number;
}

/** A chat and its messages, in the order they were stored. */
export interface ChatRecord {
  chat_id: string;
  email: string;
  messages: LiveMessage[];
}

/** Everything the server keeps in memory; survives a `server-restart` with `state: keep`. */
export interface LiveServerState {
  /** Prefix of message ids (`g2-` after the second restart lost state, so ids are never reused). */
  readonly idPrefix: string;
  nextId: number;
  nextBroadcast: number;
  activity: number;
  readonly customers: Map<string, CustomerRecord>;
  readonly chats: Map<string, ChatRecord>;
  /**
   * Credential expiries the server was told of (`token-expiry`): the nodes whose tokens no
   * longer count (`undefined`: every node). The dashboards' tokens are all issued before
   * the run (there is no sign-in endpoint), so an expiry covers every token of its node.
   */
  readonly expired: (string | undefined)[];
}

/** The close code of a dashboard socket whose token stopped being accepted. */
export const authCloseCode = 4001;

/** Whether the token of `node` expired (see {@link LiveServerState.expired}). */
export function tokenExpired(state: LiveServerState, node: string | undefined): boolean {
  return state.expired.some((n) => n === undefined || n === node);
}

/** The moment a decision is taken: virtual ms and the wall-clock timestamp (RFC 3339 with ms). */
export interface LiveClock {
  now: number;
  timestamp: string;
}

/** The server's random stream (one draw per broadcast when the failure rate is strictly between 0 and 1). */
export interface LiveRandom {
  chance(p: number): boolean;
}

/** What the adapter must do after a decision. */
export type LiveEffect =
  /** Record `server.log` `event` with `fields`. */
  | { type: 'log'; event: string; fields: Record<string, unknown> }
  /** Run broadcast `broadcast`: after `broadcastCost`, call {@link completeBroadcast} and send its frame to the subscribers (or to `socket` only). */
  | { type: 'broadcast'; broadcast: number; socket?: string };

/** An HTTP request as the decisions see it. */
export interface LiveRequest {
  /** Exchange id (`w1/http#3`), for logs. */
  id: string;
  method: string;
  path: string;
  /** The bearer token, if any. */
  token: string | undefined;
  body: string;
  /** The client node that sent it (whose token may have expired). */
  node?: string;
}

/** An HTTP answer; `body` is sent as JSON. */
export interface LiveResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The outcome of a decision: an answer and effects. */
export interface LiveOutcome<R> {
  result: R;
  effects: LiveEffect[];
}

const seedTexts = ['Hello, I need help with my order', 'Hi! How can I help you today?'];

/** A fresh state with the configured customers and their seeded chats; the effects log them (`customer.seeded`, `message.stored` with `seeded: true`). */
export function createLiveState(config: LiveServerConfig, generation: number, clock: LiveClock): LiveOutcome<LiveServerState> {
  const state: LiveServerState = {
    idPrefix: generation > 0 ? `g${generation}-` : '',
    nextId: 1,
    nextBroadcast: 1,
    activity: 0,
    customers: new Map(),
    chats: new Map(),
    expired: [],
  };
  const effects: LiveEffect[] = [];
  config.customers.forEach((c, index) => {
    state.customers.set(c.email, {
      _id: `u${index + 1}`,
      name: c.name,
      email: c.email,
      category: 'human-chats',
      status: 'active',
      dashboard_user_id: c.dashboard_user_id,
      chats: [...c.chats],
      index,
      activity: 0,
    });
    effects.push({
      type: 'log',
      event: 'customer.seeded',
      fields: { email: c.email, dashboard_user_id: c.dashboard_user_id, chats: c.chats },
    });
    for (const chat of c.chats) {
      const messages: LiveMessage[] = [];
      for (let k = 1; k <= config.seedMessages; k++) {
        const m: LiveMessage = {
          id: `${chat}-s${k}`,
          role: k % 2 === 1 ? 'user' : 'agent',
          content: seedTexts[(k - 1) % 2]!,
          timestamp: clock.timestamp,
        };
        messages.push(m);
        effects.push(storedLog(m, chat, c.email, c.dashboard_user_id, undefined, true));
      }
      state.chats.set(chat, { chat_id: chat, email: c.email, messages });
    }
  });
  return { result: state, effects };
}

function storedLog(m: LiveMessage, chat: string, email: string, owner: string, request: string | undefined, seeded?: boolean): LiveEffect {
  return {
    type: 'log',
    event: 'message.stored',
    fields: {
      id: m.id,
      chat_id: chat,
      email,
      dashboard_user_id: owner,
      role: m.role,
      content: truncate(m.content),
      request,
      seeded: seeded || undefined,
    },
  };
}

/** The chats of a customer, as `GET /api/users/{email}/chats` answers them. */
export function chatsOf(state: LiveServerState, email: string): LiveChat[] | undefined {
  const c = state.customers.get(email);
  if (!c) return undefined;
  return c.chats.map((id) => ({ chat_id: id, messages: [...(state.chats.get(id)?.messages ?? [])] }));
}

/** The broadcast's `users`: most recently active first (ties: collection order), at most `broadcastLimit`, each chat's last `messageLimit` messages. */
export function formatUsers(state: LiveServerState, config: LiveServerConfig): LiveUser[] {
  const list = [...state.customers.values()].sort((a, b) => b.activity - a.activity || a.index - b.index).slice(0, config.broadcastLimit);
  return list.map((u) => ({
    _id: u._id,
    name: u.name,
    email: u.email,
    category: u.category,
    status: u.status,
    dashboard_user_id: u.dashboard_user_id,
    chats: u.chats.map((id) => ({ chat_id: id, messages: (state.chats.get(id)?.messages ?? []).slice(-config.messageLimit) })),
  }));
}

const rejected = (
  req: LiveRequest,
  status: number,
  error: string,
  reason: string,
  headers?: Record<string, string>,
): LiveOutcome<LiveResponse> => ({
  result: { status, body: { error, reason }, headers },
  effects: [{ type: 'log', event: 'request.rejected', fields: { request: req.id, method: req.method, path: req.path, status, reason } }],
});

/** Starts broadcast number n: logs `broadcast.start` and asks the adapter to run it. */
export function startBroadcast(
  state: LiveServerState,
  trigger: BroadcastTrigger,
  extra: { message?: string; request?: string; socket?: string } = {},
): LiveEffect[] {
  const n = state.nextBroadcast++;
  return [
    { type: 'log', event: 'broadcast.start', fields: { broadcast: n, trigger, ...extra } },
    { type: 'broadcast', broadcast: n, socket: extra.socket },
  ];
}

/**
 * A broadcast's query finished: it fails with probability `broadcastFailRate` (nothing is
 * sent; logged `broadcast.failed`), or yields the frame for `sockets` (logged
 * `broadcast.sent`). The frame is built only when someone will receive it.
 */
export function completeBroadcast(
  state: LiveServerState,
  config: LiveServerConfig,
  broadcast: number,
  clock: LiveClock,
  random: LiveRandom,
  sockets: readonly string[],
): { ok: boolean; frame?: string; log: LiveEffect } {
  if (random.chance(config.broadcastFailRate)) {
    return {
      ok: false,
      log: { type: 'log', event: 'broadcast.failed', fields: { broadcast, error: 'the customer query raised (simulated)' } },
    };
  }
  const frame =
    sockets.length > 0
      ? JSON.stringify({
          type: 'chat_updates',
          data: { users: formatUsers(state, config), timestamp: clock.timestamp },
        } satisfies DashboardServerFrame)
      : undefined;
  return { ok: true, frame, log: { type: 'log', event: 'broadcast.sent', fields: { broadcast, sockets: [...sockets] } } };
}

/** Decides an HTTP request: the widget's list and send, the agent's send and replace. */
export function handleHttp(
  state: LiveServerState,
  config: LiveServerConfig,
  req: LiveRequest,
  clock: LiveClock,
): LiveOutcome<LiveResponse> {
  const route = routeOf(req.path);
  if (!route) return rejected(req, 404, 'not_found', `no live-support endpoint at ${req.path}`);
  if (route.kind === 'socket') return rejected(req, 426, 'upgrade_required', `${req.path} only accepts WebSocket upgrades`);
  const method = (allowed: string) =>
    req.method === allowed
      ? undefined
      : rejected(req, 405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use ${allowed}`, { allow: allowed });

  if (route.kind === 'chats') {
    const wrong = method('GET');
    if (wrong) return wrong;
    const chats = chatsOf(state, route.email);
    if (!chats) return rejected(req, 404, 'user_not_found', `no customer ${route.email}`);
    return { result: { status: 200, body: { chats } }, effects: [] };
  }

  if (route.kind === 'widget-send') {
    const wrong = method('POST');
    if (wrong) return wrong;
    const customer = state.customers.get(route.email);
    if (!customer) return rejected(req, 404, 'user_not_found', `no customer ${route.email}`);
    const body = parseBody(req.body, false);
    if (typeof body === 'string') return rejected(req, 400, 'bad_request', body);
    const effects: LiveEffect[] = [];
    let chat = state.chats.get(route.chat);
    if (chat && chat.email !== route.email)
      return rejected(req, 409, 'chat_belongs_to_another_user', `chat ${route.chat} is not a chat of ${route.email}`);
    if (!chat) {
      chat = { chat_id: route.chat, email: route.email, messages: [] };
      state.chats.set(route.chat, chat);
      customer.chats.push(route.chat);
      effects.push({ type: 'log', event: 'chat.created', fields: { chat_id: route.chat, email: route.email } });
    }
    return store(state, config, chat, customer, 'user', body.content, req, clock, effects);
  }

  // The dashboard's endpoints: a known token, and a chat of one of the agent's own customers.
  const wrong = method(route.kind === 'agent-send' ? 'POST' : 'PUT');
  if (wrong) return wrong;
  if (!req.token || !config.knows(req.token)) return rejected(req, 401, 'unauthorized', req.token ? 'unknown token' : 'missing token');
  if (tokenExpired(state, req.node)) return rejected(req, 401, 'token_expired', 'the token expired');
  const body = parseBody(req.body, true);
  if (typeof body === 'string') return rejected(req, 400, 'bad_request', body);
  const chat = state.chats.get(route.chat);
  if (!chat) return rejected(req, 404, 'chat_not_found', `no chat ${route.chat}`);
  const customer = state.customers.get(chat.email)!;
  if (customer.dashboard_user_id !== body.dashboard_user_id) {
    return rejected(
      req,
      403,
      'forbidden',
      `chat ${route.chat} belongs to a customer of ${customer.dashboard_user_id}, not of ${body.dashboard_user_id}`,
    );
  }
  if (route.kind === 'agent-send') return store(state, config, chat, customer, 'agent', body.content, req, clock, []);

  const i = chat.messages.findIndex((m) => m.id === route.message);
  if (i < 0) return rejected(req, 404, 'message_not_found', `no message ${route.message} in chat ${route.chat}`);
  const old = chat.messages[i]!;
  const message: LiveMessage = { id: nextMessageId(state), role: old.role, content: body.content, timestamp: clock.timestamp };
  chat.messages[i] = message;
  customer.activity = ++state.activity;
  const effects: LiveEffect[] = [
    {
      type: 'log',
      event: 'message.replaced',
      fields: {
        id: message.id,
        old: old.id,
        chat_id: chat.chat_id,
        email: chat.email,
        dashboard_user_id: customer.dashboard_user_id,
        role: message.role,
        request: req.id,
      },
    },
  ];
  effects.push(...config.decisions.broadcastOnChange(state, 'agent-replace', { message: message.id, request: req.id }));
  return { result: { status: 200, body: { message } }, effects };
}

function store(
  state: LiveServerState,
  config: LiveServerConfig,
  chat: ChatRecord,
  customer: CustomerRecord,
  role: 'user' | 'agent',
  content: string,
  req: LiveRequest,
  clock: LiveClock,
  effects: LiveEffect[],
): LiveOutcome<LiveResponse> {
  const message: LiveMessage = { id: nextMessageId(state), role, content, timestamp: clock.timestamp };
  chat.messages.push(message);
  customer.activity = ++state.activity;
  effects.push(storedLog(message, chat.chat_id, chat.email, customer.dashboard_user_id, req.id));
  effects.push(
    ...config.decisions.broadcastOnChange(state, role === 'user' ? 'widget-message' : 'agent-message', { message: message.id, request: req.id }),
  );
  return { result: { status: 201, body: { message } }, effects };
}

/** Validates a send body: `{content}` for the widget, `{content, dashboard_user_id}` for the dashboard. */
export function parseBody(text: string, agent: boolean): { content: string; dashboard_user_id: string } | string {
  const shape = agent ? 'expected JSON {"content": string, "dashboard_user_id": string}' : 'expected JSON {"content": string}';
  if (text.trim() === '') return `the body is empty; ${shape}`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `the body is not valid JSON; ${shape}`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `the body is not an object; ${shape}`;
  const b = v as Record<string, unknown>;
  if (typeof b.content !== 'string' || b.content === '') return `"content" must be a non-empty string; ${shape}`;
  if (agent && (typeof b.dashboard_user_id !== 'string' || b.dashboard_user_id === ''))
    return `"dashboard_user_id" must be a non-empty string; ${shape}`;
  return { content: b.content, dashboard_user_id: agent ? (b.dashboard_user_id as string) : '' };
}

/** Decides a WebSocket upgrade: `/ws/dashboard` with a known token that has not expired. */
export function handleUpgrade(
  state: LiveServerState,
  config: LiveServerConfig,
  req: { id: string; path: string; token: string | undefined; node?: string },
): LiveOutcome<{ accept: true } | { accept: false; status: number }> {
  const refuse = (status: number, reason: string) => ({
    result: { accept: false as const, status },
    effects: [{ type: 'log' as const, event: 'upgrade.rejected', fields: { request: req.id, path: req.path, status, reason } }],
  });
  if (routeOf(req.path)?.kind !== 'socket') return refuse(404, `no live-support WebSocket endpoint at ${req.path}`);
  if (!req.token || !config.knows(req.token)) return refuse(401, req.token ? 'unknown token' : 'missing token');
  if (tokenExpired(state, req.node)) return refuse(401, 'token expired');
  return { result: { accept: true }, effects: [] };
}

/**
 * Decides a dashboard frame: `{"type":"subscribe","channel":"chat_updates"}` subscribes
 * (answered `subscribed`, then the current state is sent to that socket alone);
 * `{"type":"ping"}` is answered with a pong; anything else is ignored and logged.
 */
export function handleFrame(
  state: LiveServerState,
  socket: string,
  data: string | Uint8Array,
  binary: boolean,
): LiveOutcome<{ replies: DashboardServerFrame[]; subscribe: boolean }> {
  const ignore = (reason: string) => ({
    result: { replies: [], subscribe: false },
    effects: [
      { type: 'log' as const, event: 'frame.ignored', fields: { socket, reason, data: binary ? undefined : truncate(data as string) } },
    ],
  });
  if (binary || typeof data !== 'string') return ignore('binary frame');
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return ignore('not JSON');
  }
  const f = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  if (f.type === 'ping') return { result: { replies: [{ type: 'pong' }], subscribe: false }, effects: [] };
  if (f.type === 'subscribe') {
    if (f.channel !== chatUpdatesChannel) return ignore(`unknown channel ${JSON.stringify(f.channel)}`);
    return {
      result: { replies: [{ type: 'subscribed', channel: chatUpdatesChannel }], subscribe: true },
      effects: [
        { type: 'log', event: 'dashboard.subscribed', fields: { socket, channel: chatUpdatesChannel } },
        ...startBroadcast(state, 'subscribe', { socket }),
      ],
    };
  }
  return ignore(f.type === undefined ? 'no "type"' : `unknown frame type ${JSON.stringify(f.type)}`);
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function nextMessageId(state: LiveServerState): string {
  return `${state.idPrefix}m${state.nextId++}`;
}

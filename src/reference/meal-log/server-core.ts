/**
 * The meal-log server's decisions, sans-IO: plain functions over a state object that take
 * a request, a frame, a connection or a timer firing plus the current clock and return an
 * answer and a list of effects (log, send a frame, arm a timer). `server.ts` performs the
 * effects on the simulated network (docs/protocols/meal-log.md).
 *
 * The registry of connected users is consulted when the AI processor finishes a meal.
 * The reference registers a connection before acknowledging it (`connected`), and keeps a
 * completion that finds no connection until the user's next registration (the listing
 * shows it to polling clients meanwhile). Those two decisions are
 * {@link MealLogServerDecisions}; a faulty server variant (zoo/*-server.ts) replaces them.
 */
import { sampleLatency, type LatencySpec } from '../../sim/latency.js';
import type { Random } from '../../sim/random.js';
import { mealLogServerDefaults, type MealLogServerOptions } from './server-options.js';
import { routeOf, type MealLog, type MealLogServerFrame, type MealLogStatus } from './wire.js';

/** The exact line the document's backend logs when it skips a notification. */
export const skipMessage = 'User not connected to WebSocket, skipping notification';

/** Options resolved to what the decisions need. */
export interface MealLogServerConfig {
  processing: LatencySpec;
  failureRate: number;
  registrationDelay: number;
  decisions: MealLogServerDecisions;
}

/** The registry decisions a faulty server variant may replace (the reference's by default). */
export interface MealLogServerDecisions {
  /**
   * A socket was accepted (and recorded in `state.acknowledged`): register it and
   * acknowledge it (`connected`). The reference: {@link registerThenAcknowledge}.
   */
  admit(state: MealLogServerState, config: MealLogServerConfig, socket: string, userId: string, now: number): MealLogEffect[];
  /** A finished meal found no registered connection of its user. The reference: {@link keepForNextRegistration}. */
  undeliverable(state: MealLogServerState, meal: MealLog): MealLogEffect[];
}

/** Fills in defaults; `decisions` replaces reference decisions (a faulty server variant). */
export function resolveMealLogConfig(
  options: MealLogServerOptions = {},
  decisions: Partial<MealLogServerDecisions> = {},
): MealLogServerConfig {
  return {
    processing: options.processing ?? mealLogServerDefaults.processing,
    failureRate: options.failureRate ?? mealLogServerDefaults.failureRate,
    registrationDelay: options.registrationDelay ?? mealLogServerDefaults.registrationDelay,
    decisions: { admit: registerThenAcknowledge, undeliverable: keepForNextRegistration, ...decisions },
  };
}

/** A meal the AI processor is working on. */
export interface Job {
  id: string;
  userId: string;
  /** Virtual ms at which processing ends. */
  dueAt: number;
  outcome: 'completed' | 'failed';
}

/** A connection acknowledged but not yet registered (a server that registers late: the late-registration server variant). */
export interface PendingRegistration {
  socket: string;
  userId: string;
  dueAt: number;
}

/** Everything the server keeps in memory; survives a `server-restart` with `state: keep`. */
export interface MealLogServerState {
  /** Prefix of meal ids (`g2-` after the second restart lost state, so ids are never reused). */
  readonly idPrefix: string;
  nextId: number;
  readonly meals: Map<string, MealLog>;
  /** `userId \0 localId` → meal id (idempotency). */
  readonly byLocalId: Map<string, string>;
  /** Processing jobs, ordered by `dueAt` (ties: creation order). */
  readonly jobs: Job[];
  /** The registry: userId → registered socket ids, in registration order. */
  readonly registry: Map<string, string[]>;
  /** Every open, acknowledged socket → its user. */
  readonly acknowledged: Map<string, string>;
  /** Completions kept for users with no registered connection: userId → meal ids. */
  readonly pending: Map<string, string[]>;
  readonly registrations: PendingRegistration[];
  /** Credential expiries the server was told of (`token-expiry`): tokens of these nodes (`undefined`: every node) are refused. */
  readonly expiries: { node: string | undefined }[];
}

/** A fresh state. `generation` is the server's restart count. */
export function createMealLogState(generation = 0): MealLogServerState {
  return {
    idPrefix: generation > 0 ? `g${generation}-` : '',
    nextId: 1,
    meals: new Map(),
    byLocalId: new Map(),
    jobs: [],
    registry: new Map(),
    acknowledged: new Map(),
    pending: new Map(),
    registrations: [],
    expiries: [],
  };
}

/** The moment a decision is taken: virtual ms and the wall-clock timestamp (RFC 3339 with ms). */
export interface MealLogClock {
  now: number;
  timestamp: string;
}

/** What the adapter must do after a decision. */
export type MealLogEffect =
  | { type: 'log'; event: string; fields: Record<string, unknown> }
  | { type: 'send'; socket: string; frame: MealLogServerFrame }
  /** Arm a timer that calls {@link finishJob} at `job.dueAt`. */
  | { type: 'arm-job'; job: Job }
  /** Arm a timer that calls {@link completeRegistration} at `registration.dueAt`. */
  | { type: 'arm-registration'; registration: PendingRegistration };

/** An HTTP request as the decisions see it. */
export interface MealLogRequest {
  /** Exchange id (`c1/http#3`), for logs. */
  id: string;
  method: string;
  path: string;
  query: URLSearchParams;
  token: string | undefined;
  body: string;
}

/** An HTTP answer; `body` is sent as JSON. */
export interface MealLogResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface MealLogOutcome<R> {
  result: R;
  effects: MealLogEffect[];
}

/** The user a token belongs to: `token-c1` → `user-c1`; `undefined` for an unknown token. */
export function userOf(token: string | undefined): string | undefined {
  if (!token || !token.startsWith(mealLogServerDefaults.tokenPrefix) || token.length === mealLogServerDefaults.tokenPrefix.length)
    return undefined;
  return `user-${token.slice(mealLogServerDefaults.tokenPrefix.length)}`;
}

const log = (event: string, fields: Record<string, unknown>): MealLogEffect => ({ type: 'log', event, fields });

const rejected = (
  req: MealLogRequest,
  status: number,
  error: string,
  reason: string,
  headers?: Record<string, string>,
): MealLogOutcome<MealLogResponse> => ({
  result: { status, body: { error, reason }, headers },
  effects: [log('request.rejected', { request: req.id, method: req.method, path: req.path, status, reason })],
});

/** Decides an HTTP request: submit, listing, one meal. */
export function handleHttp(
  state: MealLogServerState,
  config: MealLogServerConfig,
  req: MealLogRequest,
  clock: MealLogClock,
  random: Random,
): MealLogOutcome<MealLogResponse> {
  const route = routeOf(req.path);
  if (!route) return rejected(req, 404, 'not_found', `no meal-log endpoint at ${req.path}`);
  const userId = userOf(req.token);
  if (!userId) return rejected(req, 401, 'unauthorized', req.token ? 'unknown token' : 'missing token');
  if (tokenExpired(state, req.token)) return rejected(req, 401, 'unauthorized', 'token expired');
  if (route.kind === 'socket') return rejected(req, 426, 'upgrade_required', `${req.path} only accepts WebSocket upgrades`);
  if (route.kind === 'submit') {
    if (req.method !== 'POST')
      return rejected(req, 405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use POST`, { allow: 'POST' });
    const body = parseSubmitBody(req.body);
    if (typeof body === 'string') return rejected(req, 400, 'bad_request', body);
    return submitMeal(state, config, userId, body, req.id, clock, random);
  }
  if (req.method !== 'GET')
    return rejected(req, 405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use GET`, { allow: 'GET' });
  if (route.kind === 'one') {
    const m = state.meals.get(route.id);
    if (!m || m.userId !== userId) return rejected(req, 404, 'not_found', `no meal log ${route.id}`);
    return { result: { status: 200, body: { mealLog: m } }, effects: [] };
  }
  const date = req.query.get('date');
  if (date !== null && !/^\d{4}-\d{2}-\d{2}$/.test(date))
    return rejected(req, 400, 'bad_request', `"date" must be YYYY-MM-DD; found "${date}"`);
  return { result: { status: 200, body: { mealLogs: listMeals(state, userId, date ?? undefined) } }, effects: [] };
}

/** A user's meal logs (of one UTC day when `date` is given), ordered by `loggedAt`, then id. */
export function listMeals(state: MealLogServerState, userId: string, date?: string): MealLog[] {
  return [...state.meals.values()]
    .filter((m) => m.userId === userId && (date === undefined || m.loggedAt.slice(0, 10) === date))
    .sort((a, b) => (a.loggedAt < b.loggedAt ? -1 : a.loggedAt > b.loggedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Validates a submission body; returns it, or the reason it is not one. */
export function parseSubmitBody(text: string): { localId: string; rawInput: string; loggedAt?: string } | string {
  const shape = 'expected JSON {"localId": string, "rawInput": string, "loggedAt"?: RFC 3339 string}';
  if (text.trim() === '') return `the body is empty; ${shape}`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `the body is not valid JSON; ${shape}`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return `the body is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`}; ${shape}`;
  const b = v as Record<string, unknown>;
  if (typeof b.localId !== 'string' || b.localId === '') return `"localId" must be a non-empty string; ${shape}`;
  if (typeof b.rawInput !== 'string' || b.rawInput.trim() === '') return `"rawInput" must be a non-empty string; ${shape}`;
  if (b.loggedAt !== undefined && (typeof b.loggedAt !== 'string' || Number.isNaN(Date.parse(b.loggedAt))))
    return `"loggedAt" must be an RFC 3339 string; ${shape}`;
  return { localId: b.localId, rawInput: b.rawInput, loggedAt: b.loggedAt as string | undefined };
}

/**
 * Stores a meal idempotently on (user, localId): the first time it is created (201,
 * status `processing`) and queued for the AI processor; a repeat answers 200 with the
 * meal as it is now and changes nothing.
 */
export function submitMeal(
  state: MealLogServerState,
  config: MealLogServerConfig,
  userId: string,
  body: { localId: string; rawInput: string; loggedAt?: string },
  request: string,
  clock: MealLogClock,
  random: Random,
): MealLogOutcome<MealLogResponse> {
  const key = `${userId}\u0000${body.localId}`;
  const existing = state.byLocalId.get(key);
  if (existing !== undefined) {
    const m = state.meals.get(existing)!;
    return {
      result: { status: 200, body: { mealLog: m } },
      effects: [log('meal.duplicate', { id: m.id, localId: body.localId, userId, request, status: m.status })],
    };
  }
  const id = `${state.idPrefix}ml-${state.nextId++}`;
  const loggedAt = body.loggedAt !== undefined ? new Date(Date.parse(body.loggedAt)).toISOString() : clock.timestamp;
  const meal: MealLog = {
    id,
    localId: body.localId,
    userId,
    rawInput: body.rawInput,
    status: 'processing',
    loggedAt,
    createdAt: clock.timestamp,
    updatedAt: clock.timestamp,
  };
  state.meals.set(id, meal);
  state.byLocalId.set(key, id);
  const duration = Math.max(0, Math.round(sampleLatency(config.processing, random)));
  const outcome = random.chance(config.failureRate) ? 'failed' : 'completed';
  const job: Job = { id, userId, dueAt: clock.now + duration, outcome };
  insertJob(state, job);
  return {
    result: { status: 201, body: { mealLog: meal } },
    effects: [
      log('meal.created', { id, localId: body.localId, userId, rawInput: body.rawInput, loggedAt, request }),
      log('ai.processing', { id, dueAt: job.dueAt }),
      { type: 'arm-job', job },
    ],
  };
}

/**
 * The AI processor finished a meal: stores the outcome, then consults the registry. A
 * registered connection gets the notification; with none, it is
 * {@link MealLogServerDecisions.undeliverable}.
 */
export function finishJob(state: MealLogServerState, config: MealLogServerConfig, id: string, clock: MealLogClock): MealLogEffect[] {
  const i = state.jobs.findIndex((j) => j.id === id);
  if (i < 0) return [];
  const [job] = state.jobs.splice(i, 1);
  const meal = state.meals.get(id);
  if (!meal) return [];
  const status: MealLogStatus = job!.outcome;
  meal.status = status;
  meal.updatedAt = clock.timestamp;
  if (status === 'completed') meal.nutrition = nutritionOf(meal.rawInput);
  else meal.error = 'the AI could not recognise this meal';
  const effects: MealLogEffect[] = [log('meal.finished', { id, userId: meal.userId, status })];
  const sockets = state.registry.get(meal.userId) ?? [];
  if (sockets.length > 0) {
    for (const socket of sockets) effects.push(...notification(meal, socket, false));
    return effects;
  }
  effects.push(...config.decisions.undeliverable(state, meal));
  return effects;
}

/** The reference: a completion for a user with no connection is kept and sent at the user's next registration. */
export function keepForNextRegistration(state: MealLogServerState, meal: MealLog): MealLogEffect[] {
  const list = state.pending.get(meal.userId);
  if (list) list.push(meal.id);
  else state.pending.set(meal.userId, [meal.id]);
  return [
    log('notification.deferred', {
      userId: meal.userId,
      mealLogId: meal.id,
      reason: 'user not connected; kept until the next registration',
    }),
  ];
}

function notification(meal: MealLog, socket: string, deferred: boolean): MealLogEffect[] {
  const frame: MealLogServerFrame =
    meal.status === 'failed'
      ? { type: 'meal_log_failed', payload: { mealLog: { ...meal }, error: meal.error ?? 'processing failed' } }
      : { type: 'meal_log_completed', payload: { mealLog: { ...meal } } };
  return [
    { type: 'send', socket, frame },
    log('notification.sent', { userId: meal.userId, mealLogId: meal.id, socket, type: frame.type, deferred: deferred || undefined }),
  ];
}

/** Deterministic "nutrition" of a text (the simulated AI's answer). */
export function nutritionOf(text: string): { calories: number; proteinG: number; carbsG: number; fatG: number } {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return { calories: 150 + (h % 650), proteinG: 5 + (h % 40), carbsG: 10 + ((h >>> 8) % 80), fatG: 2 + ((h >>> 16) % 35) };
}

/**
 * Whether a token was issued before a credential expiry the server was told of. The
 * harness's tokens (`token-<node>`) were all issued before the run, so an expiry for their
 * node (or for every node) covers them; the protocol has no way to issue new ones.
 */
export function tokenExpired(state: MealLogServerState, token: string | undefined): boolean {
  if (!token || state.expiries.length === 0) return false;
  const node = token.slice(mealLogServerDefaults.tokenPrefix.length);
  return state.expiries.some((e) => e.node === undefined || e.node === node);
}

/**
 * A `token-expiry`: from now on the tokens it covers are refused (401 on HTTP and on
 * upgrades); returns the open sockets opened with such a token, which the adapter closes
 * with 1008 (policy violation, the code this protocol uses for a bad token).
 */
export function expireCredentials(
  state: MealLogServerState,
  node: string | undefined,
  tokens: ReadonlyMap<string, string | undefined>,
): { close: string[]; effects: MealLogEffect[] } {
  state.expiries.push({ node });
  const close = [...tokens].filter(([, token]) => tokenExpired(state, token)).map(([socket]) => socket);
  return { close, effects: [log('credentials.expired', { node: node ?? '*', sockets: close })] };
}

/** Decides a WebSocket upgrade: accept (for which user) or refuse with a status. */
export function handleUpgrade(
  req: {
    id: string;
    path: string;
    token: string | undefined;
  },
  state: MealLogServerState,
): MealLogOutcome<{ accept: true; userId: string } | { accept: false; status: number }> {
  const refuse = (status: number, reason: string) => ({
    result: { accept: false as const, status },
    effects: [log('upgrade.rejected', { request: req.id, path: req.path, status, reason })],
  });
  if (routeOf(req.path)?.kind !== 'socket') return refuse(404, `no meal-log WebSocket endpoint at ${req.path}`);
  const userId = userOf(req.token);
  if (!userId) return refuse(401, req.token ? 'unknown token' : 'missing token');
  if (tokenExpired(state, req.token)) return refuse(401, 'token expired');
  return { result: { accept: true, userId }, effects: [] };
}

/** A socket was accepted: it is {@link MealLogServerDecisions.admit admitted}. */
export function openConnection(
  state: MealLogServerState,
  config: MealLogServerConfig,
  socket: string,
  userId: string,
  now: number,
): MealLogEffect[] {
  state.acknowledged.set(socket, userId);
  return config.decisions.admit(state, config, socket, userId, now);
}

/**
 * The reference: a socket is registered before it is acknowledged (`connected`), so a
 * verified client is always reachable; then the completions kept for the user are sent.
 */
export function registerThenAcknowledge(
  state: MealLogServerState,
  _config: MealLogServerConfig,
  socket: string,
  userId: string,
): MealLogEffect[] {
  const ack: MealLogEffect = { type: 'send', socket, frame: { type: 'connected', userId } };
  return [...register(state, socket, userId), ack, ...flushPending(state, socket, userId)];
}

/** The delayed registration of a socket that is still open (armed by an `arm-registration` effect). */
export function completeRegistration(state: MealLogServerState, socket: string): MealLogEffect[] {
  const i = state.registrations.findIndex((r) => r.socket === socket);
  if (i < 0) return [];
  const [r] = state.registrations.splice(i, 1);
  if (state.acknowledged.get(socket) !== r!.userId) return [];
  return register(state, socket, r!.userId);
}

function register(state: MealLogServerState, socket: string, userId: string): MealLogEffect[] {
  const list = state.registry.get(userId);
  if (list) list.push(socket);
  else state.registry.set(userId, [socket]);
  return [log('ws.registered', { socket, userId })];
}

function flushPending(state: MealLogServerState, socket: string, userId: string): MealLogEffect[] {
  const ids = state.pending.get(userId);
  if (!ids) return [];
  state.pending.delete(userId);
  const effects: MealLogEffect[] = [];
  for (const id of ids) {
    const meal = state.meals.get(id);
    if (meal) effects.push(...notification(meal, socket, true));
  }
  return effects;
}

/** A socket closed: it leaves the registry. */
export function closeConnection(state: MealLogServerState, socket: string): MealLogEffect[] {
  const userId = state.acknowledged.get(socket);
  state.acknowledged.delete(socket);
  const r = state.registrations.findIndex((x) => x.socket === socket);
  if (r >= 0) state.registrations.splice(r, 1);
  if (userId === undefined) return [];
  const list = state.registry.get(userId);
  const i = list?.indexOf(socket) ?? -1;
  if (i < 0) return [];
  list!.splice(i, 1);
  if (list!.length === 0) state.registry.delete(userId);
  return [log('ws.unregistered', { socket, userId })];
}

/**
 * Decides a client frame: `{"type":"ping"}` — as text, or as a binary frame holding UTF-8
 * JSON (an iOS client may send `.data`) — is answered with a pong; anything else is
 * ignored and logged.
 */
export function handleFrame(socket: string, data: string | Uint8Array, binary: boolean): MealLogOutcome<MealLogServerFrame | undefined> {
  let text: string | undefined;
  const ignore = (reason: string) => ({
    result: undefined,
    effects: [log('frame.ignored', { socket, reason, data: text === undefined ? undefined : truncate(text) })],
  });
  if (typeof data === 'string' && !binary) text = data;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    } catch {
      return ignore('binary frame that is not UTF-8');
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return ignore('not JSON');
  }
  const type = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { type?: unknown }).type : undefined;
  if (type === 'ping') return { result: { type: 'pong' }, effects: [] };
  return ignore(type === undefined ? 'no "type"' : `unknown frame type ${JSON.stringify(type)}`);
}

/**
 * After a restart that kept state: the sockets of the old process are gone (their close
 * listeners already took them out of the registry); anything left for a socket that is not
 * `live` is dropped. Returns the jobs and the pending registrations to re-arm (the
 * kernel cancelled every timer). Completions kept for later stay kept.
 */
export function recoverState(
  state: MealLogServerState,
  live: ReadonlySet<string>,
): { jobs: readonly Job[]; registrations: readonly PendingRegistration[] } {
  for (const [userId, list] of state.registry) {
    const kept = list.filter((s) => live.has(s));
    if (kept.length) state.registry.set(userId, kept);
    else state.registry.delete(userId);
  }
  for (const socket of [...state.acknowledged.keys()]) if (!live.has(socket)) state.acknowledged.delete(socket);
  const alive = state.registrations.filter((r) => live.has(r.socket));
  state.registrations.length = 0;
  state.registrations.push(...alive);
  return { jobs: state.jobs, registrations: state.registrations };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function insertJob(state: MealLogServerState, job: Job): void {
  let i = state.jobs.length;
  while (i > 0 && state.jobs[i - 1]!.dueAt > job.dueAt) i--;
  state.jobs.splice(i, 0, job);
}

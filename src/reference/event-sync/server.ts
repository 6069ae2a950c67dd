/**
 * The event-sync reference server (docs/protocols/event-sync.md, "Wire format"): an
 * event log with RFC 3339 timestamps (several events share one), the WebSocket stream
 * `GET /v1/sync/stream` with batches of `batchSize` events `batchInterval` ms apart, REST
 * paging `GET /v1/sync/events` with a cursor, Bearer auth, writes during the run, and
 * injected stream failures (database error, malformed frame, stall). The decisions live
 * in `server-core.ts`; this file is the thin adapter onto the simulation's
 * {@link ServerEnv}.
 *
 * The event log is the database: it survives every server restart, also one that loses
 * the process's state (open streams and timers die with the process).
 *
 * Log events (`server.log`, for the checkers):
 * - `log.ready` `{events, valid, invalid, first, last, ...configuration}` once, when the database is created
 * - `events.appended` `{count, invalid, first, last}` for each write during the run
 * - `stream.request` `{socket, since, totalEvents, batches, first, last, injection}`
 * - `stream.complete` `{socket, processedEvents, batches, newCheckpoint}`
 * - `stream.error` / `stream.malformed` / `stream.stall` `{socket, batchIndex, injected}`; `stream.abandoned` `{socket}`
 * - `rest.page` `{request, dup, since, limit, count, invalid, invalidIds, first, last, nextCursor, hasMore, totalEvents}`
 * - `checkpoint.issued` `{checkpoint, via, count, digest}`: every checkpoint handed out
 *   (`sync.stream.complete`, last REST page) with what a store synced up to it holds
 *   (the valid events at or before it: their number and digest)
 * - `request.rejected`, `upgrade.rejected`, `frame.ignored`, `auth.revoked`, `auth.expired` `{node, entry, sockets}`
 */
import type { SimTimer } from '../../sim/clock.js';
import type { ServerApp, ServerEnv, ServerFactory } from '../../sim/server-host.js';
import type { SimHttpRequest, SimHttpResponse } from '../../sim/transport/http-types.js';
import type { ServerSocket } from '../../sim/transport/server-socket.js';
import {
  appendEvents,
  authorize,
  bearerOf,
  createEventLog,
  describeConfig,
  drawInjection,
  frameDelay,
  handleHttp,
  handleStreamFrame,
  resolveEventSyncConfig,
  streamStep,
  type EventLog,
  type EventSyncServerConfig,
  type InjectionBudget,
  type InjectionKind,
  type LogLine,
  type StreamSession,
} from './server-core.js';
import { parseEventSyncServerOptions, type EventSyncServerOptions } from './server-options.js';
import { cursorOf, syncPaths } from './wire.js';

export { parseEventSyncServerOptions, EventSyncServerOptionsError, eventSyncServerDefaults } from './server-options.js';
export type { EventSyncServerOptions, EventSyncServerOptionProblem, StreamInjection, AppendPlan } from './server-options.js';

/** WebSocket close code for a revoked token. */
export const syncRevokedCloseCode = 4001;
/** The server closes a stream it failed (error frame, malformed frame, stall) after this long if the client has not. */
export const abandonAfter = 30_000;

/** Server variants: the reference server with one failure forced on every stream. */
export type EventSyncServerVariant = 'reference' | 'db-error' | 'malformed-frame' | 'stall' | 'no-stream';

/** The durable part of a server: survives every restart. */
export interface EventSyncDatabase {
  readonly config: EventSyncServerConfig;
  readonly log: EventLog;
  readonly budget: InjectionBudget;
  /** Next write of an `append.every` plan, or next index of an `append` list. */
  nextAppend: number;
}

/** A running event-sync server: the {@link ServerApp} plus its database, for tests and tools. */
export interface EventSyncServerInstance extends ServerApp {
  readonly db: EventSyncDatabase;
}

const forced: Partial<Record<EventSyncServerVariant, InjectionKind>> = {
  'db-error': 'dbError',
  'malformed-frame': 'malformed',
  stall: 'stall',
};

/**
 * Builds the event-sync reference server (or a server variant). Options are validated at
 * once (a bad option throws an `EventSyncServerOptionsError`). The database is created
 * on the first start and kept across restarts.
 */
export function createEventSyncServer(options: EventSyncServerOptions = {}, variant: EventSyncServerVariant = 'reference'): ServerFactory {
  const parsed = parseEventSyncServerOptions(options as Record<string, unknown>, 'createEventSyncServer options');
  const databases = new WeakMap<ServerEnv, EventSyncDatabase>();
  return (env) => {
    let db = databases.get(env);
    if (!db) {
      db = createDatabase(env, parsed, variant);
      databases.set(env, db);
    }
    return createEventSyncServerApp(env, db, variant);
  };
}

function createDatabase(env: ServerEnv, options: EventSyncServerOptions, variant: EventSyncServerVariant): EventSyncDatabase {
  let config = resolveEventSyncConfig(options, env.random.stream('world'));
  const kind = forced[variant];
  if (kind) config = { ...config, inject: { [kind]: { batch: config.drawn ? 'any' : 1, chance: 1, times: Infinity, clamp: true } } };
  const log = createEventLog(config, env.Date.now(), env.random.stream('log'));
  const first = log.entries[0];
  const last = log.entries[log.entries.length - 1];
  env.log('log.ready', {
    events: log.entries.length,
    valid: log.validBefore[log.entries.length],
    invalid: log.entries.length - log.validBefore[log.entries.length]!,
    first: first ? cursorOf(first) : undefined,
    last: last ? cursorOf(last) : undefined,
    variant: variant === 'reference' ? undefined : variant,
    ...describeConfig(config),
  });
  const append = config.append;
  const nextAppend = append === undefined || Array.isArray(append) ? 0 : (append.from ?? append.every);
  return { config, log, budget: {}, nextAppend };
}

/** The adapter: one server incarnation on `env` over the durable `db`. */
export function createEventSyncServerApp(
  env: ServerEnv,
  db: EventSyncDatabase,
  variant: EventSyncServerVariant = 'reference',
): EventSyncServerInstance {
  const { config, log } = db;
  const streams = new Map<ServerSocket, { session: StreamSession; timer?: SimTimer; abandon?: SimTimer }>();
  const injections = env.random.stream(`inject/${env.generation}`);
  const pageTimes = env.random.stream(`pages/${env.generation}`);
  let appendTimer: SimTimer | undefined;
  let revokeTimer: SimTimer | undefined;
  // Token expiries (`token-expiry`): every token of this protocol was issued before the
  // run, so an expiry rejects the tokens of its node (or of every node) from then on. A
  // process that lost its state hears of each again from the kernel.
  const expiredNodes = new Set<string>();
  let allExpired = false;
  const isExpired = (node: string): boolean => allExpired || expiredNodes.has(node);
  const open = new Set<ServerSocket>();

  const perform = (logs: LogLine[]): void => {
    for (const l of logs) env.log(l.event, l.fields);
  };

  const stop = (socket: ServerSocket): void => {
    const s = streams.get(socket);
    if (!s) return;
    env.clearTimeout(s.timer);
    env.clearTimeout(s.abandon);
    streams.delete(socket);
  };

  const step = (socket: ServerSocket): void => {
    const s = streams.get(socket);
    if (!s) return;
    s.timer = undefined;
    const out = streamStep(log, config, s.session);
    perform(out.logs);
    for (const f of out.frames) socket.send(f);
    if (out.more) s.timer = env.setTimeout(() => step(socket), frameDelay(config, s.session));
    else if (s.session.state !== 'complete') {
      // A failed stream: the client is expected to close it; close it ourselves if it does not.
      s.abandon = env.setTimeout(function abandonStream() {
        env.log('stream.abandoned', { socket: socket.id });
        stop(socket);
        socket.close(1011, 'stream failed');
      }, abandonAfter);
    }
  };

  const armAppends = (): void => {
    env.clearTimeout(appendTimer);
    appendTimer = undefined;
    const plan = config.append;
    if (!plan) return;
    if (Array.isArray(plan)) {
      const next = plan[db.nextAppend];
      if (!next) return;
      appendTimer = env.setTimeout(
        function appendEventsAt() {
          db.nextAppend++;
          write(next.count);
          armAppends();
        },
        Math.max(0, next.at - env.now()),
      );
      return;
    }
    // Writes missed while the server was down are skipped: the writers were down too.
    while (db.nextAppend < env.now()) db.nextAppend += plan.every;
    if (plan.until !== undefined && db.nextAppend > plan.until) return;
    appendTimer = env.setTimeout(function appendEventsEvery() {
      db.nextAppend += plan.every;
      write(plan.count ?? 1);
      armAppends();
    }, db.nextAppend - env.now());
  };

  const write = (count: number): void => {
    const added = appendEvents(log, count, env.Date.now());
    const invalid = added.filter((e) => !e.valid).length;
    env.log('events.appended', {
      count: added.length,
      invalid: invalid || undefined,
      first: cursorOf(added[0]!),
      last: cursorOf(added[added.length - 1]!),
    });
  };

  const armRevocation = (): void => {
    env.clearTimeout(revokeTimer);
    if (config.revokeAt === undefined) return;
    revokeTimer = env.setTimeout(
      function revokeTokens() {
        const sockets = [...streams.keys()];
        env.log('auth.revoked', { revokeAt: config.revokeAt, sockets: sockets.map((s) => s.id) });
        for (const s of sockets) {
          stop(s);
          s.close(syncRevokedCloseCode, 'unauthorized');
        }
      },
      Math.max(0, config.revokeAt - env.now()),
    );
  };

  /** Decides and answers an HTTP request now. */
  const answer = (req: SimHttpRequest): SimHttpResponse => {
    const out = handleHttp(
      log,
      config,
      {
        id: req.id,
        method: req.method,
        path: req.path,
        query: req.query,
        token: bearerOf(req.headers.get('authorization')),
        dup: req.duplicate,
        expired: isExpired(req.node),
      },
      env.now(),
    );
    perform(out.logs);
    const r = out.response;
    return {
      status: r.status,
      headers: { 'content-type': 'application/json', ...r.headers },
      body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
    };
  };

  armAppends();
  if (config.revokeAt !== undefined && config.revokeAt >= env.now()) armRevocation();

  return {
    db,
    http(req: SimHttpRequest) {
      const delay = config.pageDelay && req.path === syncPaths.events ? pageTimes.int(config.pageDelay.min, config.pageDelay.max) : 0;
      if (delay === 0) return answer(req);
      // The page's query time: the page is read (and logged) when it is answered.
      return new Promise<SimHttpResponse>((resolve) => env.setTimeout(() => resolve(answer(req)), delay));
    },
    upgrade(req: SimHttpRequest) {
      const refuse = (status: number, reason: string): number => {
        env.log('upgrade.rejected', { request: req.id, path: req.path, status, reason });
        return status;
      };
      if (req.path !== syncPaths.stream || variant === 'no-stream') return refuse(404, `no event-sync WebSocket endpoint at ${req.path}`);
      // A browser cannot set headers on a WebSocket upgrade: it may send the token as `access_token` instead.
      const token = bearerOf(req.headers.get('authorization')) ?? (req.query.get('access_token') || undefined);
      const auth = authorize(config, token, env.now(), isExpired(req.node));
      if (!auth.ok) return refuse(401, auth.reason);
    },
    connection(socket: ServerSocket) {
      open.add(socket);
      socket.on('message', (data) => {
        stop(socket);
        const out = handleStreamFrame(log, config, socket.id, data, (batches) => drawInjection(config, db.budget, batches, injections));
        perform(out.logs);
        for (const f of out.frames) socket.send(f);
        if (out.session) {
          streams.set(socket, { session: out.session });
          streams.get(socket)!.timer = env.setTimeout(() => step(socket), frameDelay(config, out.session));
        }
      });
      socket.on('close', () => {
        open.delete(socket);
        stop(socket);
      });
    },
    expireCredentials(expiry) {
      if (expiry.node === undefined) allExpired = true;
      else expiredNodes.add(expiry.node);
      const sockets = [...open].filter((s) => isExpired(s.node));
      env.log('auth.expired', { node: expiry.node, entry: expiry.entry, sockets: sockets.map((s) => s.id) });
      for (const s of sockets) {
        stop(s);
        s.close(syncRevokedCloseCode, 'token expired');
      }
    },
    recover() {
      // The kernel cancelled every timer and closed every socket at the restart.
      streams.clear();
      open.clear();
      armAppends();
      armRevocation();
    },
  };
}

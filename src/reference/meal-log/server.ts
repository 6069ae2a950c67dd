/**
 * The meal-log servers (docs/protocols/meal-log.md, "Wire format"): REST submit
 * (idempotent on the local id) and listing with Bearer auth; `/ws/meal-logs` with
 * `connected`, ping/pong and completion notifications; an AI processor that finishes each
 * meal after a drawn processing time. The decisions live in `server-core.ts`; this file is
 * the thin adapter onto the simulation's {@link ServerEnv}.
 *
 * Log events (`server.log`, for the checkers and the timeline):
 * - `meal.created` `{id, localId, userId, rawInput, loggedAt, request}`; `meal.duplicate` `{id, localId, userId, request, status}`
 * - `ai.processing` `{id, dueAt}`; `meal.finished` `{id, userId, status}`; `ai.rearmed` `{jobs, generation}` after a restart that kept state
 * - `ws.registered` / `ws.unregistered` `{socket, userId}`; `ws.acknowledged` `{socket, userId, registersAt}` (late-registration)
 * - `notification.sent` `{userId, mealLogId, socket, type, deferred}`; `notification.deferred` `{userId, mealLogId, reason}` (reference)
 * - `User not connected to WebSocket, skipping notification` `{userId, mealLogId}` (faulty variants: the completion is dropped)
 * - `request.rejected`, `upgrade.rejected`, `frame.ignored`
 */
import type { SimTimer } from '../../sim/clock.js';
import type { ServerVariant } from '../../conformance/protocol.js';
import type { ServerApp, ServerEnv, ServerFactory } from '../../sim/server-host.js';
import { jsonResponse, type SimHttpRequest } from '../../sim/transport/http-types.js';
import type { ServerSocket } from '../../sim/transport/server-socket.js';
import {
  closeConnection,
  completeRegistration,
  createMealLogState,
  expireCredentials,
  finishJob,
  handleFrame,
  handleHttp,
  handleUpgrade,
  openConnection,
  recoverState,
  resolveMealLogConfig,
  type Job,
  type MealLogEffect,
  type MealLogServerConfig,
  type MealLogServerDecisions,
  type MealLogServerState,
  type PendingRegistration,
} from './server-core.js';
import { parseMealLogServerOptions, type MealLogServerOptions } from './server-options.js';

export { parseMealLogServerOptions, MealLogServerOptionsError, mealLogServerDefaults } from './server-options.js';
export type { MealLogServerOptions, MealLogServerOptionProblem, ProcessingTime } from './server-options.js';
export { skipMessage } from './server-core.js';
export type { MealLogServerState, MealLogServerDecisions } from './server-core.js';

/** A running meal-log server: the {@link ServerApp} plus its state, for tests and tools. */
export interface MealLogServerInstance extends ServerApp {
  readonly state: MealLogServerState;
}

/** A faulty meal-log server (zoo/*-server.ts), addressed with `--server NAME`: the reference with some decisions replaced. */
export interface MealLogServerVariant extends ServerVariant {
  /** The reference decisions it replaces. */
  decisions: Partial<MealLogServerDecisions>;
}

/**
 * Builds a meal-log server (the reference, or a faulty variant whose `decisions` replace the
 * reference's). Options are
 * validated at once (a bad option throws a `MealLogServerOptionsError`).
 */
export function createMealLogServer(options: MealLogServerOptions = {}, decisions: Partial<MealLogServerDecisions> = {}): ServerFactory {
  const config = resolveMealLogConfig(
    parseMealLogServerOptions(options as Record<string, unknown>, 'createMealLogServer options'),
    decisions,
  );
  return (env) => createMealLogServerApp(env, config);
}

/** The adapter: one server incarnation on `env`. */
export function createMealLogServerApp(env: ServerEnv, config: MealLogServerConfig): MealLogServerInstance {
  const state = createMealLogState(env.generation);
  const sockets = new Map<string, ServerSocket>();
  /** The token each open socket was opened with (a token-expiry closes those it covers). */
  const tokens = new Map<string, string | undefined>();
  const timers = new Map<string, SimTimer>();
  const clock = () => ({ now: env.now(), timestamp: new env.Date().toISOString() });

  const perform = (effects: MealLogEffect[]): void => {
    for (const e of effects) {
      switch (e.type) {
        case 'log':
          env.log(e.event, e.fields);
          break;
        case 'send':
          sockets.get(e.socket)?.send(JSON.stringify(e.frame));
          break;
        case 'arm-job':
          armJob(e.job);
          break;
        case 'arm-registration':
          armRegistration(e.registration);
          break;
      }
    }
  };

  const arm = (key: string, dueAt: number, fn: () => void): void => {
    env.clearTimeout(timers.get(key));
    timers.set(
      key,
      env.setTimeout(
        () => {
          timers.delete(key);
          fn();
        },
        Math.max(0, dueAt - env.now()),
      ),
    );
  };
  const armJob = (job: Job): void =>
    arm(`job:${job.id}`, job.dueAt, function mealLogAI() {
      perform(finishJob(state, config, job.id, clock()));
    });
  const armRegistration = (r: PendingRegistration): void =>
    arm(`register:${r.socket}`, r.dueAt, function registerConnection() {
      perform(completeRegistration(state, r.socket));
    });

  return {
    state,
    http(req: SimHttpRequest) {
      const out = handleHttp(
        state,
        config,
        { id: req.id, method: req.method, path: req.path, query: req.query, token: bearer(req), body: req.body },
        clock(),
        env.random,
      );
      perform(out.effects);
      return jsonResponse(out.result.status, out.result.body, out.result.headers);
    },
    upgrade(req: SimHttpRequest) {
      const out = handleUpgrade({ id: req.id, path: req.path, token: req.query.get('token') ?? undefined }, state);
      perform(out.effects);
      if (!out.result.accept) return out.result.status;
    },
    connection(socket: ServerSocket, req: SimHttpRequest) {
      const token = req.query.get('token') ?? undefined;
      const out = handleUpgrade({ id: req.id, path: req.path, token }, state);
      if (!out.result.accept) return socket.close(1008, 'unauthorized');
      sockets.set(socket.id, socket);
      tokens.set(socket.id, token);
      socket.on('close', () => {
        sockets.delete(socket.id);
        tokens.delete(socket.id);
        perform(closeConnection(state, socket.id));
      });
      socket.on('message', (data, binary) => {
        const f = handleFrame(socket.id, data, binary);
        perform(f.effects);
        if (f.result) socket.send(JSON.stringify(f.result));
      });
      perform(openConnection(state, config, socket.id, out.result.userId, env.now()));
    },
    expireCredentials(expiry) {
      // The harness's tokens were issued before the run, so every expiry covers them (docs/protocols/meal-log.md, "Credentials").
      const out = expireCredentials(state, expiry.node, tokens);
      perform(out.effects);
      for (const id of out.close) sockets.get(id)?.close(1008, 'token expired');
    },
    recover() {
      // The kernel cancelled every server timer; the old process's sockets are closed (their
      // close listeners already ran). Overlapping restarts can bring the server up twice, so
      // this only reconciles with the sockets that are still open and re-arms what is due.
      const { jobs, registrations } = recoverState(state, new Set(sockets.keys()));
      if (jobs.length > 0) env.log('ai.rearmed', { jobs: jobs.map((j) => j.id), generation: env.generation });
      for (const job of jobs) armJob(job);
      for (const r of registrations) armRegistration(r);
    },
  };
}

/** The REST token: `Authorization: Bearer <token>` only (the query-string token is for the WebSocket). */
function bearer(req: SimHttpRequest): string | undefined {
  const auth = req.headers.get('authorization');
  if (!auth || !/^bearer\s/i.test(auth)) return undefined;
  return auth.slice(7).trim() || undefined;
}

/**
 * The live-support reference server (docs/protocols/live-support.md, "Wire format"): the
 * widget's list and send endpoints, the agent's send and replace endpoints, the dashboard
 * socket `/ws/dashboard` with its `chat_updates` channel, a background broadcast every
 * 2 s, and an immediate broadcast on every send that runs on its own (non-blocking) and
 * whose failure never fails or delays the send. The decisions live in `server-core.ts`;
 * this file is the thin adapter onto the simulation's {@link ServerEnv}.
 *
 * Log events (`server.log`, for the checkers):
 * - `customer.seeded` `{email, dashboard_user_id, chats}` for each customer at start (and after a restart that lost state)
 * - `message.stored` `{id, chat_id, email, dashboard_user_id, role, content, request, seeded}`
 * - `message.replaced` `{id, old, chat_id, email, dashboard_user_id, role, request}`
 * - `chat.created` `{chat_id, email}`: a widget sent to a chat the customer did not have yet
 * - `broadcast.start` `{broadcast, trigger, message, request, socket}`; then `broadcast.sent` `{broadcast, sockets}` or `broadcast.failed` `{broadcast, error}`
 * - `dashboard.subscribed` `{socket, channel}`; `frame.ignored` `{socket, reason, data}`
 * - `request.rejected` `{request, method, path, status, reason}`; `upgrade.rejected` `{request, path, status, reason}`
 */
import type { SimTimer } from '../../sim/clock.js';
import type { ServerVariant } from '../../conformance/protocol.js';
import type { ServerApp, ServerEnv, ServerFactory } from '../../sim/server-host.js';
import { jsonResponse, type SimHttpRequest, type SimHttpResponse } from '../../sim/transport/http-types.js';
import type { ServerSocket } from '../../sim/transport/server-socket.js';
import {
  authCloseCode,
  completeBroadcast,
  createLiveState,
  handleFrame,
  handleHttp,
  handleUpgrade,
  resolveLiveConfig,
  startBroadcast,
  tokenExpired,
  type LiveEffect,
  type LiveServerConfig,
  type LiveServerDecisions,
  type LiveServerState,
  type LiveResponse,
} from './server-core.js';
import { parseLiveServerOptions, type LiveServerOptions } from './server-options.js';

export { parseLiveServerOptions, LiveServerOptionsError, liveServerDefaults, defaultCustomers } from './server-options.js';
export type { CustomerSeed, LiveServerOptions, LiveServerOptionProblem } from './server-options.js';
export type { LiveServerState, LiveServerDecisions } from './server-core.js';

/** A faulty live-support server (zoo/*-server.ts), addressed with `--server NAME`: the reference with some decisions replaced. */
export interface LiveServerVariant extends ServerVariant {
  /** The reference decisions it replaces. */
  decisions: Partial<LiveServerDecisions>;
}

/** A running live-support server: the {@link ServerApp} plus its state, for tests and tools. */
export interface LiveServerInstance extends ServerApp {
  readonly state: LiveServerState;
}

/**
 * Builds the live-support server (the reference, or a faulty variant whose `decisions`
 * replace the reference's). Options are validated at once (a bad option throws a
 * `LiveServerOptionsError`). The factory is called again after a restart that loses
 * state; a restart that keeps state calls `recover()`, which re-arms the background
 * broadcast.
 */
export function createLiveSupportServer(options: LiveServerOptions = {}, decisions: Partial<LiveServerDecisions> = {}): ServerFactory {
  const config = resolveLiveConfig(parseLiveServerOptions(options as Record<string, unknown>, 'createLiveSupportServer options'), decisions);
  return (env) => createLiveSupportServerApp(env, config);
}

/** The adapter: one server incarnation on `env`. */
export function createLiveSupportServerApp(env: ServerEnv, config: LiveServerConfig): LiveServerInstance {
  const clock = () => ({ now: env.now(), timestamp: new env.Date().toISOString() });
  const seeded = createLiveState(config, env.generation, clock());
  const state = seeded.result;
  const subscribed = new Set<ServerSocket>();
  let background: SimTimer | undefined;

  /** Runs broadcast `n` after its query cost; resolves with whether it succeeded (never, if a restart intervened). */
  const runBroadcast = (n: number, target: string | undefined): Promise<boolean> =>
    new Promise((resolve) => {
      env.setTimeout(function broadcast() {
        const sockets = env.sockets().filter((s) => subscribed.has(s) && (target === undefined || s.id === target));
        const out = completeBroadcast(
          state,
          config,
          n,
          clock(),
          env.random,
          sockets.map((s) => s.id),
        );
        if (out.frame !== undefined) for (const s of sockets) s.send(out.frame);
        log(out.log);
        resolve(out.ok);
      }, config.broadcastCost);
    });

  const log = (e: LiveEffect): void => {
    if (e.type === 'log') env.log(e.event, e.fields);
  };

  /** Performs effects; returns the broadcasts started, to be awaited by a blocking server. */
  const perform = (effects: LiveEffect[]): Promise<boolean>[] => {
    const started: Promise<boolean>[] = [];
    for (const e of effects) {
      if (e.type === 'log') log(e);
      // The reference never awaits this promise: the broadcast runs on its own (asyncio.create_task).
      else started.push(runBroadcast(e.broadcast, e.socket));
    }
    return started;
  };

  const armBackground = (): void => {
    env.clearInterval(background);
    background = env.setInterval(function backgroundBroadcast() {
      perform(startBroadcast(state, 'timer'));
    }, config.broadcastInterval);
  };

  perform(seeded.effects);
  armBackground();

  return {
    state,
    http(req: SimHttpRequest): SimHttpResponse | Promise<SimHttpResponse> {
      const out = handleHttp(
        state,
        config,
        { id: req.id, method: req.method, path: req.path, token: bearer(req), body: req.body, node: req.node },
        clock(),
      );
      const broadcasts = perform(out.effects);
      const answer = broadcasts.length === 0 ? out.result : config.decisions.answer(out.result, broadcasts);
      const json = (r: LiveResponse): SimHttpResponse => jsonResponse(r.status, r.body, r.headers);
      return answer instanceof Promise ? answer.then(json) : json(answer);
    },
    upgrade(req: SimHttpRequest) {
      const out = handleUpgrade(state, config, { id: req.id, path: req.path, token: req.token, node: req.node });
      perform(out.effects);
      if (!out.result.accept) return out.result.status;
    },
    connection(socket: ServerSocket) {
      socket.on('message', (data, binary) => {
        const out = handleFrame(state, socket.id, data, binary);
        if (out.result.subscribe) subscribed.add(socket);
        for (const r of out.result.replies) socket.send(JSON.stringify(r));
        perform(out.effects);
      });
      socket.on('close', () => subscribed.delete(socket));
    },
    expireCredentials(expiry) {
      // Every dashboard token is the harness's, issued before the run: the expiry covers its node's (or every node's).
      state.expired.push(expiry.node);
      for (const s of env.sockets()) if (tokenExpired(state, s.node)) s.close(authCloseCode, 'token expired');
    },
    recover() {
      // The kernel cancelled every server timer at the restart (pending broadcasts are lost): re-arm the cycle.
      armBackground();
    },
  };
}

/** The REST token: `Authorization: Bearer <token>` only (the query-string token is for the WebSocket). */
function bearer(req: SimHttpRequest): string | undefined {
  const auth = req.headers.get('authorization');
  if (!auth || !/^bearer\s/i.test(auth)) return undefined;
  return auth.slice(7).trim() || undefined;
}

/**
 * The chat reference server (docs/protocols/chat.md, "Wire format"): REST list and send
 * with Bearer auth, idempotent on `clientMessageId`; a WebSocket per conversation that
 * pushes every stored message and answers pings; an AI responder that answers each new
 * user message after `aiDelay`. The decisions live in `server-core.ts`; this file is the
 * thin adapter onto the simulation's {@link ServerEnv}.
 *
 * Log events (`server.log`, for the checkers):
 * - `message.stored` `{id, conversation, role, clientMessageId, content, timestamp, replyTo}`
 *   (`clientMessageId` for user messages, `replyTo` — the user message's id — for AI replies)
 * - `message.pushed` `{id, socket, conversation}`: one per socket the message was sent to
 * - `message.duplicate` `{id, conversation, clientMessageId, sameContent}`: a repeated send
 * - `ai.scheduled` `{replyTo, conversation, dueAt}`; `ai.rearmed` `{replies, generation}` after a restart that kept state
 * - `request.rejected` `{request, method, path, status, reason}`; `upgrade.rejected` `{request, path, status, reason}`
 * - `frame.ignored` `{socket, reason, data}`; `auth.revoked` `{revokeAt, sockets}` at `revokeAt`, naming the sockets it closed with 4001
 * - `server.world` `{aiDelay, timestampResolution, tieOrder, latency, pongDelay}` at start, when the world was drawn (no options)
 */
import type { SimTimer } from '../../sim/clock.js';
import type { ServerApp, ServerEnv, ServerFactory } from '../../sim/server-host.js';
import { jsonResponse, type SimHttpRequest } from '../../sim/transport/http-types.js';
import type { ServerSocket } from '../../sim/transport/server-socket.js';
import {
  completeReply,
  createChatState,
  describeChatConfig,
  drawIn,
  expireTokens,
  handleFrame,
  handleHttp,
  handleUpgrade,
  pendingReplies,
  requestLatency,
  resolveChatConfig,
  sendOverSocket,
  stampOf,
  type ChatEffect,
  type ChatServerConfig,
  type ChatServerState,
  type PendingReply,
} from './server-core.js';
import { parseChatServerOptions, type ChatServerOptions } from './server-options.js';
import { conversationOf, type ChatServerFrame } from './wire.js';

export { parseChatServerOptions, ChatServerOptionsError, chatServerDefaults } from './server-options.js';
export type { AiDelay, ChatServerOptions, ChatServerOptionProblem } from './server-options.js';
export type { ChatServerState, PendingReply } from './server-core.js';

/** WebSocket close code for a revoked token (application range, as 401 is for HTTP). */
export const chatRevokedCloseCode = 4001;

/** A running chat server: the {@link ServerApp} plus its state, for tests and tools. */
export interface ChatServerInstance extends ServerApp {
  readonly state: ChatServerState;
}

/**
 * Builds the chat reference server. Options are validated at once (a bad option throws a
 * `ChatServerOptionsError`). With no options at all (as property runs build it) each run
 * draws its server world from the run's seed (`server-core.ts`, `drawChatConfig`). The
 * returned factory is called again after a restart that loses state (the same world); a
 * restart that keeps state calls `recover()`, which re-arms the AI replies still pending
 * and the revocation.
 */
export function createChatServer(options: ChatServerOptions = {}): ServerFactory {
  const parsed = parseChatServerOptions(options as Record<string, unknown>, 'createChatServer options');
  const fixed = Object.keys(parsed).length > 0 ? resolveChatConfig(parsed) : undefined;
  return (env) => createChatServerApp(env, fixed ?? resolveChatConfig({}, env.random.stream('world')));
}

/** The adapter: one server incarnation on `env`. */
export function createChatServerApp(env: ServerEnv, config: ChatServerConfig): ChatServerInstance {
  const state = createChatState(env.generation);
  const replyTimers = new Map<string, SimTimer>();
  const socketConversation = new WeakMap<ServerSocket, string>();
  const socketNode = new WeakMap<ServerSocket, string>();
  let revokeTimer: SimTimer | undefined;
  let revoked = false;

  const clock = () => ({ now: env.now(), timestamp: stampOf(config, env.Date.now()) });
  // Own streams, so that latency draws never move the AI delays drawn from `env.random`.
  const latencyRandom = env.random.stream(`latency/${env.generation}`);
  if (config.drawn && env.generation === 0) env.log('server.world', describeChatConfig(config));

  /** Answers after the drawn processing time; the decision (a store, a read) was taken on arrival. */
  const answer = <T>(value: T, ms: number): T | Promise<T> =>
    ms <= 0 ? value : new Promise<T>((resolve) => env.setTimeout(() => resolve(value), ms));

  const perform = (effects: ChatEffect[]): void => {
    for (const e of effects) {
      if (e.type === 'log') env.log(e.event, e.fields);
      else if (e.type === 'push') push(e.message.conversationId, { type: 'message', message: e.message });
      else armReply(e.reply);
    }
  };

  const push = (conversation: string, frame: Extract<ChatServerFrame, { type: 'message' }>): void => {
    const data = JSON.stringify(frame);
    for (const socket of env.sockets()) {
      if (socketConversation.get(socket) !== conversation) continue;
      socket.send(data);
      env.log('message.pushed', { id: frame.message.id, socket: socket.id, conversation });
    }
  };

  const armReply = (reply: PendingReply): void => {
    env.clearTimeout(replyTimers.get(reply.replyTo));
    const timer = env.setTimeout(
      function aiReply() {
        replyTimers.delete(reply.replyTo);
        perform(completeReply(state, reply.replyTo, clock()));
      },
      Math.max(0, reply.dueAt - env.now()),
    );
    replyTimers.set(reply.replyTo, timer);
  };

  /** Arms the revocation at `revokeAt`; `catchUp` (after a restart) fires it at once if it fell due while the server was down. */
  const armRevocation = (catchUp: boolean): void => {
    env.clearTimeout(revokeTimer);
    revokeTimer = undefined;
    if (config.revokeAt === undefined || revoked) return;
    const delay = config.revokeAt - env.now();
    if (delay < 0 && !catchUp) return;
    revokeTimer = env.setTimeout(
      function revokeTokens() {
        revokeTimer = undefined;
        revoked = true;
        const sockets = env.sockets().filter((s) => socketConversation.has(s));
        env.log('auth.revoked', { revokeAt: config.revokeAt, sockets: sockets.map((s) => s.id) });
        for (const s of sockets) s.close(chatRevokedCloseCode, 'unauthorized');
      },
      Math.max(0, delay),
    );
  };

  armRevocation(false);

  return {
    state,
    http(req: SimHttpRequest) {
      const out = handleHttp(
        state,
        config,
        { id: req.id, method: req.method, path: req.path, token: bearer(req), body: req.body, node: req.node },
        clock(),
        env.random,
      );
      perform(out.effects);
      return answer(jsonResponse(out.result.status, out.result.body, out.result.headers), requestLatency(config, latencyRandom));
    },
    upgrade(req: SimHttpRequest) {
      const out = handleUpgrade(config, { id: req.id, path: req.path, token: req.token, node: req.node }, env.now(), state);
      perform(out.effects);
      if (!out.result.accept) return out.result.status;
    },
    connection(socket: ServerSocket, req: SimHttpRequest) {
      // `upgrade` accepted it a moment ago, so the path is a chat socket path.
      const route = conversationOf(req.path);
      if (route) socketConversation.set(socket, route.conversation);
      socketNode.set(socket, req.node);
      const send = route
        ? (body: { content: string; clientMessageId: string }) =>
            sendOverSocket(state, config, socket.id, route.conversation, body, clock(), env.random)
        : undefined;
      socket.on('message', (data, binary) => {
        const out = handleFrame(socket.id, data, binary, send);
        perform(out.effects);
        if (!out.result) return;
        const frame = JSON.stringify(out.result);
        const delay = drawIn(latencyRandom, config.pongDelay);
        if (delay <= 0) socket.send(frame);
        else env.setTimeout(() => socket.send(frame), delay);
      });
    },
    expireCredentials(expiry) {
      // The harness's tokens were issued before the run, so every expiry covers them: from
      // now on 401, and the node's open sockets are closed as at a revocation (4001).
      perform(expireTokens(state, expiry.node));
      for (const s of env.sockets()) {
        if (!socketConversation.has(s) || (expiry.node !== undefined && socketNode.get(s) !== expiry.node)) continue;
        s.close(chatRevokedCloseCode, 'token expired');
      }
    },
    recover() {
      // The kernel cancelled every server timer at the restart: re-arm what is still due.
      replyTimers.clear();
      const pending = pendingReplies(state);
      if (pending.length > 0) env.log('ai.rearmed', { replies: pending.map((p) => p.replyTo), generation: env.generation });
      for (const reply of pending) armReply(reply);
      armRevocation(true);
    },
  };
}

/** The REST token: `Authorization: Bearer <token>` only (the query-string token is for the WebSocket). */
function bearer(req: SimHttpRequest): string | undefined {
  const auth = req.headers.get('authorization');
  if (!auth || !/^bearer\s/i.test(auth)) return undefined;
  return auth.slice(7).trim() || undefined;
}

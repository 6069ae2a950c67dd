import type { ClientEnv } from '../../sim/client-node.js';
import { NamedTimers, SocketTable } from '../shell/index.js';
import {
  ChatMachine,
  defaultChatConfig,
  type ChatClientConfig,
  type ChatCommand,
  type ChatEvent,
  type OutboxEntry,
} from './client-machine.js';
import type { ChatSnapshot } from './snapshot.js';
import { chatPaths, decodeServerFrame, parseMessageList, parseSendAck, type ChatDriver } from './wire.js';

const OUTBOX_KEY = 'chat.outbox';

/** Options of the reference chat client. */
export interface ChatClientOptions {
  config?: Partial<ChatClientConfig>;
  /**
   * The decision machine to run instead of {@link ChatMachine}: a subclass that overrides
   * one decision (how the zoo's faulty variants get their one bug).
   */
  Machine?: typeof ChatMachine;
}

/**
 * The reference chat client: a thin shell that carries out the {@link ChatMachine}'s
 * commands with `env.WebSocket`, `env.fetch`, `env` timers and `env.storage`, and feeds
 * what happens back in as events.
 */
export function createChatClient(env: ClientEnv, options: ChatClientOptions = {}): ChatDriver {
  const saved = readOutbox(env);
  // The counter restarts when the storage was lost; a fresh launch id keeps the new
  // clientMessageIds apart from those the server already stored (else a new message
  // would be taken for a retry of an old one and dropped).
  const launch = saved.launch ?? Math.floor(env.random() * 36 ** 6).toString(36);
  const Machine = options.Machine ?? ChatMachine;
  const machine = new Machine(
    { ...defaultChatConfig, ...options.config },
    saved.outbox,
    saved.counter,
    env.isOnline(),
    `${env.node}-${launch}`,
  );
  machine.epoch = env.Date.now() - env.performance.now();
  const timers = new NamedTimers(env, (key) => feed({ type: 'timer', key }));
  const sockets = new SocketTable(env, {
    open: (socket) => feed({ type: 'ws-open', socket }),
    message: (socket, data) => {
      const d = decodeServerFrame(data);
      if ('frame' in d) return feed({ type: 'ws-frame', socket, frame: d.frame });
      if ('unknown' in d) return env.log('ignored a frame of an unknown type', { socket, reason: d.unknown });
      env.log('a frame did not decode: falling back', { socket, reason: d.bad });
      feed({ type: 'ws-bad-frame', socket });
    },
    closed: (socket) => feed({ type: 'ws-closed', socket }),
  });
  const requests = new Map<number, AbortController>();
  const headers = { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' };
  let disposed = false;

  const feed = (event: ChatEvent): void => {
    if (disposed) return;
    run(machine.handle(event, env.performance.now()));
  };

  const run = (cmds: ChatCommand[]): void => {
    for (const c of cmds) execute(c);
  };

  const execute = (c: ChatCommand): void => {
    switch (c.type) {
      case 'connect':
        return sockets.connect(c.socket, chatPaths.socket(c.conversation, env.token));
      case 'disconnect':
        return sockets.close(c.socket, c.code, c.reason);
      case 'ws-send':
        return sockets.send(c.socket, c.data);
      case 'get':
        void get(c.request, c.conversation);
        return;
      case 'abort':
        requests.get(c.request)?.abort();
        requests.delete(c.request);
        return;
      case 'post':
        void post(c.entry);
        return;
      case 'set-timer':
        return timers.set(c.key, c.ms);
      case 'cancel-timer':
        return timers.cancel(c.key);
      case 'persist-outbox':
        try {
          env.storage.setItem(OUTBOX_KEY, JSON.stringify({ outbox: c.outbox, counter: c.counter, launch }));
        } catch (err) {
          // Quota exceeded: the outbox lives on in memory; only an app restart before it is sent loses it.
          env.log('could not store the outbox', { reason: (err as Error).name });
        }
        return;
    }
  };

  const get = async (request: number, conversation: string): Promise<void> => {
    const abort = new AbortController();
    requests.set(request, abort);
    try {
      const signal = AbortSignal.any([abort.signal, env.timeoutSignal(defaultChatConfig.requestTimeout)]);
      const r = await env.fetch(chatPaths.messages(conversation), { headers, signal });
      if (!r.ok) return feed({ type: 'get-failed', request, status: r.status, retryAfter: retryAfterOf(r) });
      // A body that is not the list (a captive portal's HTML, a cut-off answer) is a failed poll, never a crash.
      let messages;
      try {
        messages = parseMessageList(await r.json());
      } catch {
        return feed({ type: 'get-failed', request, status: r.status });
      }
      feed({ type: 'get-ok', request, messages });
    } catch {
      feed({ type: 'get-failed', request });
    } finally {
      requests.delete(request);
    }
  };

  const post = async (entry: OutboxEntry): Promise<void> => {
    try {
      const r = await env.fetch(chatPaths.messages(entry.conversation), {
        method: 'POST',
        headers,
        body: JSON.stringify({ content: entry.content, clientMessageId: entry.clientMessageId }),
        signal: env.timeoutSignal(10_000),
      });
      if (!r.ok) return feed({ type: 'post-failed', clientMessageId: entry.clientMessageId, status: r.status, retryAfter: retryAfterOf(r) });
      feed({ type: 'post-ok', clientMessageId: entry.clientMessageId, message: parseSendAck(await r.json()) });
    } catch {
      feed({ type: 'post-failed', clientMessageId: entry.clientMessageId });
    }
  };

  const onLifecycle = (e: Event): void => {
    if (e.type === 'online' || e.type === 'offline' || e.type === 'foreground') feed({ type: e.type });
  };
  for (const t of ['online', 'offline', 'foreground']) env.lifecycle.addEventListener(t, onLifecycle);
  run(machine.start(env.performance.now()));

  return {
    openConversation: (conversation) => feed({ type: 'open', conversation }),
    closeConversation: () => feed({ type: 'close' }),
    send: (text) => feed({ type: 'send', text }),
    snapshot: (): ChatSnapshot => machine.snapshot(),
    dispose: () => {
      disposed = true;
      for (const t of ['online', 'offline', 'foreground']) env.lifecycle.removeEventListener(t, onLifecycle);
      timers.cancelAll();
    },
  };
}

function readOutbox(env: ClientEnv): { outbox: OutboxEntry[]; counter: number; launch?: string } {
  const raw = env.storage.getItem(OUTBOX_KEY);
  if (!raw) return { outbox: [], counter: 0 };
  try {
    const v = JSON.parse(raw) as { outbox?: OutboxEntry[]; counter?: number; launch?: unknown };
    return {
      outbox: Array.isArray(v.outbox) ? v.outbox : [],
      counter: typeof v.counter === 'number' ? v.counter : 0,
      launch: typeof v.launch === 'string' ? v.launch : undefined,
    };
  } catch {
    return { outbox: [], counter: 0 };
  }
}

/** An answer's `Retry-After` in ms (delta-seconds or an HTTP date), or `undefined`. */
function retryAfterOf(r: Response): number | undefined {
  const v = r.headers.get('retry-after');
  if (v === null) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  return undefined;
}

/**
 * An example chat client, written the way a client team would plug its own client into
 * lockstep: a module that names its protocol and exports `createClient(env)`.
 *
 *   npx lockstep check --protocol chat --client examples/my-chat-client.ts --runs 200
 *
 * It is deliberately ordinary: a WebSocket per conversation, polling every 3 s while the
 * socket is down, reconnecting with exponential backoff, dedupe by id, an outbox. It has
 * no heartbeat, so lockstep's report shows it missing half-open sockets (CHAT-9).
 */
import type { ClientEnv } from 'lockstep';

export const protocol = 'chat';

interface Message {
  id: string;
  conversationId: string;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  clientMessageId?: string;
}

export function createClient(env: ClientEnv) {
  const headers = { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' };
  let conversation: string | null = null;
  let messages: Message[] = [];
  let socket: InstanceType<ClientEnv['WebSocket']> | null = null;
  let open = false;
  let poller: ReturnType<ClientEnv['setInterval']> | undefined;
  let retry: ReturnType<ClientEnv['setTimeout']> | undefined;
  let attempts = 0;
  let unauthorized = false;
  const outbox: { clientMessageId: string; conversation: string; content: string }[] = JSON.parse(env.storage.getItem('outbox') ?? '[]');
  let sending = false;
  let counter = Number(env.storage.getItem('outbox-counter') ?? '0');
  // A full storage (QuotaExceededError) must not take the app down: the outbox stays in memory.
  const save = (key: string, value: string): void => {
    try {
      env.storage.setItem(key, value);
    } catch {
      // kept in memory; the next write tries again
    }
  };

  const path = (c: string) => `/api/v1/consultations/${encodeURIComponent(c)}`;

  const merge = (incoming: Message[]) => {
    for (const m of incoming) {
      if (m.conversationId !== conversation || messages.some((x) => x.id === m.id)) continue;
      messages.push(m);
    }
    messages.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : 1));
  };

  const load = async (c: string) => {
    try {
      const r = await env.fetch(`${path(c)}/messages`, { headers, signal: env.timeoutSignal(5000) });
      if (r.status === 401) return stopForAuth();
      if (r.ok && c === conversation) merge(((await r.json()) as { messages: Message[] }).messages);
    } catch {
      // the next poll (or the socket) will catch up
    }
  };

  const startPolling = () => {
    if (poller !== undefined || conversation === null || unauthorized) return;
    const c = conversation;
    void load(c);
    poller = env.setInterval(() => void load(c), 3000);
  };
  const stopPolling = () => {
    env.clearInterval(poller);
    poller = undefined;
  };

  const connect = () => {
    if (conversation === null || unauthorized) return;
    const c = conversation;
    const ws = new env.WebSocket(`${path(c)}/ws?token=${encodeURIComponent(env.token)}`);
    socket = ws;
    ws.onopen = () => {
      open = true;
      attempts = 0;
      stopPolling();
      void load(c);
      void flush();
    };
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as { type: string; message?: Message };
      if (frame.type === 'message' && frame.message) merge([frame.message]);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      open = false;
      startPolling();
      if (attempts < 5) retry = env.setTimeout(connect, 2000 * 2 ** attempts++);
    };
  };

  const disconnect = () => {
    const ws = socket;
    socket = null;
    open = false;
    ws?.close(1000);
    stopPolling();
    env.clearTimeout(retry);
  };

  const stopForAuth = () => {
    unauthorized = true;
    disconnect();
  };

  const flush = async () => {
    if (sending || unauthorized) return;
    sending = true;
    try {
      while (outbox.length > 0) {
        const item = outbox[0]!;
        const r = await env.fetch(`${path(item.conversation)}/messages`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ content: item.content, clientMessageId: item.clientMessageId }),
          signal: env.timeoutSignal(10_000),
        });
        if (r.status === 401) return stopForAuth();
        if (!r.ok) break;
        merge([((await r.json()) as { message: Message }).message]);
        outbox.shift();
        save('outbox', JSON.stringify(outbox));
      }
    } catch {
      // offline or timed out: try again shortly, with the same clientMessageId
    } finally {
      sending = false;
      if (outbox.length > 0 && !unauthorized) env.setTimeout(() => void flush(), 3000);
    }
  };

  env.lifecycle.addEventListener('online', () => {
    attempts = 0;
    if (!socket) connect();
    void flush();
  });

  void flush();

  return {
    openConversation(c: string) {
      disconnect();
      conversation = c;
      messages = [];
      unauthorized = false;
      attempts = 0;
      connect();
      void load(c);
    },
    closeConversation() {
      disconnect();
      conversation = null;
      messages = [];
    },
    send(text: string) {
      if (conversation === null) return;
      unauthorized = false;
      outbox.push({ clientMessageId: `${env.node}-${++counter}`, conversation, content: text });
      save('outbox', JSON.stringify(outbox));
      save('outbox-counter', String(counter));
      if (!socket) connect();
      void flush();
    },
    snapshot() {
      return {
        conversation,
        messages: messages.map((m) => ({ id: m.id, role: m.role, content: m.content, timestamp: m.timestamp, clientMessageId: m.clientMessageId })),
        connection: socket ? (open ? 'open' : 'connecting') : conversation ? 'closed' : 'idle',
        polling: poller !== undefined,
        outbox: outbox.length,
        authError: unauthorized,
      };
    },
  };
}

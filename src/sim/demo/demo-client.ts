import type { ClientEnv } from '../client-node.js';

/** What the demo client's user sees. */
export interface DemoSnapshot {
  items: string[];
  socket: 'connecting' | 'open' | 'closed';
  polling: boolean;
}

/**
 * A small client for kernel demos and determinism tests: a WebSocket with a ping
 * heartbeat and exponential backoff, polling while the socket is down, an outbox in
 * storage. It is deliberately ordinary code written against `env` only.
 */
export function createDemoClient(env: ClientEnv) {
  const items = new Map<string, string>();
  let ws: InstanceType<ClientEnv['WebSocket']> | undefined;
  let state: DemoSnapshot['socket'] = 'closed';
  let attempt = 0;
  let poller: ReturnType<ClientEnv['setInterval']> | undefined;
  let heartbeat: ReturnType<ClientEnv['setInterval']> | undefined;
  let lastPong = 0;
  const outbox: { clientId: string; text: string }[] = JSON.parse(env.storage.getItem('outbox') ?? '[]');

  const headers = { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' };
  const merge = (list: { id: string; text: string }[]) => list.forEach((i) => items.set(i.id, i.text));

  const poll = async () => {
    try {
      const r = await env.fetch('/api/items', { headers, signal: env.timeoutSignal(5000) });
      if (r.ok) merge(((await r.json()) as { items: { id: string; text: string }[] }).items);
    } catch {
      // polling retries on the next tick
    }
  };
  const startPolling = () => {
    if (poller) return;
    poller = env.setInterval(poll, 3000);
    void poll();
  };
  const stopPolling = () => {
    env.clearInterval(poller);
    poller = undefined;
  };
  const flushOutbox = async () => {
    while (outbox.length > 0) {
      const item = outbox[0]!;
      try {
        const r = await env.fetch('/api/items', { method: 'POST', headers, body: JSON.stringify(item), signal: env.timeoutSignal(5000) });
        if (!r.ok) return;
        merge([(await r.json()) as { id: string; text: string }]);
        outbox.shift();
        env.storage.setItem('outbox', JSON.stringify(outbox));
      } catch {
        return;
      }
    }
  };
  const connect = () => {
    state = 'connecting';
    const socket = new env.WebSocket(`/ws/items?token=${env.token}`);
    ws = socket;
    socket.onopen = () => {
      state = 'open';
      attempt = 0;
      lastPong = env.performance.now();
      stopPolling();
      void poll();
      void flushOutbox();
      heartbeat = env.setInterval(() => {
        if (env.performance.now() - lastPong > 10_000) socket.close(4000, 'heartbeat timeout');
        else socket.send('ping');
      }, 5000);
    };
    socket.onmessage = (e) => {
      if (e.data === 'pong') lastPong = env.performance.now();
      else merge([(JSON.parse(String(e.data)) as { item: { id: string; text: string } }).item]);
    };
    socket.onclose = () => {
      env.clearInterval(heartbeat);
      if (ws !== socket) return;
      state = 'closed';
      startPolling();
      const delay = Math.min(2000 * 2 ** attempt++, 32_000) * (0.8 + 0.4 * env.random());
      env.setTimeout(connect, delay);
    };
  };

  connect();
  return {
    /** Adds an item through the outbox. */
    send(text: string) {
      outbox.push({ clientId: `${env.node}-${Math.round(env.performance.now())}-${outbox.length}`, text });
      env.storage.setItem('outbox', JSON.stringify(outbox));
      void flushOutbox();
    },
    snapshot(): DemoSnapshot {
      return { items: [...items.values()].sort(), socket: state, polling: poller !== undefined };
    },
  };
}

import type { ServerFactory } from '../server-host.js';
import { jsonResponse } from '../transport/http-types.js';

/**
 * A small server for kernel demos and determinism tests: `GET /api/items` lists items,
 * `POST /api/items` adds one (idempotent on `clientId`) and pushes it to every socket
 * on `/ws/items?token=…`; it also pushes a server-generated item every 5 s.
 */
export const demoServer: ServerFactory = (env) => {
  const items: { id: string; clientId?: string; text: string; at: number }[] = [];
  let next = 1;
  const add = (text: string, clientId?: string) => {
    const existing = clientId ? items.find((i) => i.clientId === clientId) : undefined;
    if (existing) return existing;
    const item = { id: `i${next++}`, clientId, text, at: env.now() };
    items.push(item);
    for (const s of env.sockets()) s.send(JSON.stringify({ type: 'item', item }));
    return item;
  };
  env.setInterval(() => add(`tick ${Math.round(env.now() / 1000)}`), 5000);
  return {
    http(req) {
      if (req.token !== 'token-c1' && req.token !== 'token-c2') return jsonResponse(401, { error: 'unauthorized' });
      if (req.method === 'GET' && req.path === '/api/items') return jsonResponse(200, { items });
      if (req.method === 'POST' && req.path === '/api/items') {
        const body = req.json<{ text: string; clientId?: string }>();
        return jsonResponse(201, add(body.text, body.clientId));
      }
      return jsonResponse(404, { error: 'not found' });
    },
    upgrade(req) {
      if (req.path !== '/ws/items') return 404;
      if (req.token !== 'token-c1' && req.token !== 'token-c2') return 401;
    },
    connection(socket) {
      socket.on('message', (data) => {
        if (data === 'ping') socket.send('pong');
      });
    },
  };
};

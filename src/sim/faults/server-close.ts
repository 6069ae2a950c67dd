import type { WsConnection } from '../transport/ws-connection.js';
import type { ServerCloseFault } from './plan.js';

/**
 * `server-close`: the server closes every matching socket whose end is open with `code` and
 * `reason` (a deploy's 1001 "Going Away", a 1008 policy kick, a 1012 restart notice, a
 * 1013 overload shed, an application's 4xxx): a clean closing handshake. The client sees
 * `close` with the code, `wasClean: true`; the server application's close listeners run
 * once the client's echo arrives. Sockets whose 101 is still on its way are closed too:
 * their client opens, then receives the close frame.
 */
export function applyServerClose(e: ServerCloseFault, entry: number, conns: WsConnection[]): void {
  for (const conn of conns) if (!conn.serverDone) conn.server?.faultClose({ code: e.code, reason: e.reason ?? '', entry });
}

import type { FaultTargets } from './engine.js';
import { requestMatchOf, type HttpRule } from './live-rules.js';
import type { RequestResetFault } from './plan.js';

/**
 * `request-reset`: a matching request is reset at the edge (a proxy or load balancer drops
 * the connection: `ECONNRESET`, "socket hang up"). The client's `fetch` rejects with a
 * `TypeError` when the reset arrives, one round trip after sending; the server never sees
 * the request, so retrying it is safe.
 */
export function requestResetRule(e: RequestResetFault, entry: number, t: FaultTargets): HttpRule {
  return {
    entry,
    ...requestMatchOf(e),
    handle(req, _forward, reply) {
      t.trace.record(t.scheduler.now, 'http.edge', { entry, id: req.id, reset: true });
      reply({ kind: 'reset' });
    },
  };
}

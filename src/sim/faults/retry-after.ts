import type { FaultTargets } from './engine.js';
import { requestMatchOf, type HttpRule } from './live-rules.js';
import type { RetryAfterFault } from './plan.js';

/**
 * `retry-after`: the edge (an API gateway's rate limiter, a load balancer shedding load)
 * answers a matching request with 429 or 503 and `Retry-After: <seconds>` (RFC 9110
 * §10.2.3, the delay-seconds form) and an empty body; the server never sees it.
 */
export function retryAfterRule(e: RetryAfterFault, entry: number, t: FaultTargets): HttpRule {
  return {
    entry,
    ...requestMatchOf(e),
    handle(req, _forward, reply) {
      t.trace.record(t.scheduler.now, 'http.edge', { entry, id: req.id, retryAfter: e.seconds, status: e.status });
      reply({ kind: 'response', res: { status: e.status, headers: { 'retry-after': String(e.seconds) }, body: '' }, via: 'edge' });
    },
  };
}

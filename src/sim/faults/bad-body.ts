import { responseBodyText } from '../transport/http-types.js';
import type { FaultTargets } from './engine.js';
import { requestMatchOf, type HttpRule } from './live-rules.js';
import type { BadBodyFault } from './plan.js';

/** What a captive portal (hotel, airport, train Wi-Fi) answers every request with until the user signs in. */
export const captivePortalPage =
  '<!DOCTYPE html><html><head><title>Sign in to the network</title></head>' +
  '<body><h1>Welcome</h1><p>Accept the terms of use to connect to the Internet.</p>' +
  '<form method="post" action="/login"><button>Connect</button></form></body></html>';

/**
 * `bad-body`: a matching request gets an answer the client cannot use.
 * - `html`: a captive portal intercepts it and answers 200 `text/html` with its sign-in
 *   page; the server never sees the request.
 * - `truncated`: the server acts and answers; its body arrives cut to its first half (by
 *   bytes, as a connection closed mid-body leaves it), with the server's status and
 *   headers. The client must not take it for the whole answer, nor for a failure the
 *   server did not act on.
 */
export function badBodyRule(e: BadBodyFault, entry: number, t: FaultTargets): HttpRule {
  const { trace, scheduler } = t;
  return {
    entry,
    ...requestMatchOf(e),
    handle(req, forward, reply) {
      if (e.body === 'html') {
        trace.record(scheduler.now, 'http.edge', { body: 'html', entry, id: req.id, status: 200 });
        reply({
          kind: 'response',
          res: { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: captivePortalPage },
          via: 'edge',
        });
        return;
      }
      forward((r) => {
        if (r.kind !== 'response') return reply(r);
        const whole = Buffer.from(responseBodyText(r.res), 'utf8');
        const half = whole.subarray(0, Math.floor(whole.byteLength / 2));
        trace.record(scheduler.now, 'http.edge', { body: 'truncated', bytes: half.byteLength, entry, id: req.id, status: r.res.status });
        reply({ ...r, res: { ...r.res, body: half.toString('utf8') } });
      });
    },
  };
}

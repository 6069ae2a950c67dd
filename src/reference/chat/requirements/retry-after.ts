/**
 * CHAT-20 (SHOULD): after an answer 429 or 503 carrying `Retry-After: n` (known from the
 * trace's `http.edge … retryAfter`; the reference server never sends one itself), the node
 * starts no HTTP request to that path until `0.9 × min(n s, 10 s) − T` after the answer.
 * Decision: a wait longer than 10 s — the slowest polling interval — may be capped at 10 s,
 * since the fallback must go on (CHAT-18) and the user still needs the answers; a shorter
 * one must be kept (RFC 9110 § 10.2.3: the user agent "ought to wait"). Requests of a
 * relaunched app are not judged (it cannot know of the answer).
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { chatTiming } from '../wire.js';
import { fmtDuration, fmtTime, guarded, plural, req } from './evidence.js';

/** The CHAT-20 checker. */
export const checkRetryAfter = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const r of m.retryAfters) {
    if (r.owed <= 0) continue;
    judged++;
    const until = r.at + (1 - chatTiming.jitter) * r.owed - m.T;
    const restart = q.restarts(m.events, r.node).find((x) => x.seq > r.seq);
    const early = m.requests.find(
      (x) =>
        x.node === r.node &&
        x.path === r.request.path &&
        x.requestSeq > r.seq &&
        x.requestAt < until &&
        (restart === undefined || x.requestSeq < restart.seq),
    );
    if (!early) continue;
    v.push({
      at: early.requestAt,
      seq: early.requestSeq,
      text: `${req(early)} at ${fmtTime(early.requestAt)}, ${fmtDuration(early.requestAt - r.at)} after ${r.request.id} was answered ${r.request.status ?? ''} with Retry-After: ${r.ms / 1000} at ${fmtTime(r.at)} (no request to ${r.request.path} before ${fmtTime(until)}: 0.9 × ${fmtDuration(r.owed)} − T)`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `after ${plural(judged, 'Retry-After answer')} the client waited as asked (up to 10 s) before its next request to that path`,
    'no answer carried a Retry-After',
  );
});

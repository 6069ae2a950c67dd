import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, restartBetween } from './query.js';

/**
 * SYNC-15 (SHOULD): a `429` or `503` answered with `Retry-After: n` asks the client to
 * wait n s before its next request (RFC 9110 § 10.2.3, RFC 6585 § 4). After such an answer
 * to a page, no page request follows before n s have passed since it reached the client
 * (a sync the user starts meanwhile may use the stream, not REST), unless the app
 * restarted. Judged where the trace shows the header (`http.edge` of a `retry-after`
 * fault; the reference server sends none).
 */
export const checkRetryAfter = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const p of m.pages) {
    const n = p.retryAfter;
    if (n === undefined || n <= 0 || p.responseSeq === undefined || (p.status !== 429 && p.status !== 503)) continue;
    checked++;
    const until = p.responseAt! + n * 1000;
    const early = m.pages.find((x) => x.node === p.node && x.requestSeq > p.responseSeq! && x.requestAt < until);
    if (!early || restartBetween(m, p.node, p.responseSeq, early.requestSeq)) continue;
    v.push({
      at: early.requestAt,
      seq: early.requestSeq,
      text: `page ${p.id} was answered ${p.status} with Retry-After: ${n} at ${fmtTime(p.responseAt!)}, yet ${p.node} asked for page ${early.id} ${fmtDuration(early.requestAt - p.responseAt!)} later, at ${fmtTime(early.requestAt)}: the server asked for ${n} s`,
    });
  }
  return verdict(v, checked > 0, `${plural(checked, 'Retry-After')} waited out before the next page`, 'no page was answered 429 or 503 with Retry-After');
});

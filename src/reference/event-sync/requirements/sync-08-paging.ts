import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { restPageSize, syncTiming } from '../wire.js';
import { guarded, plural, restartBetween, sameCursor, show, timersDisturbed } from './query.js';

/** The longest wait before a failed REST page is retried. */
const retryBound = Math.max(...syncTiming.restRetry);

/**
 * SYNC-8: page requests ask for pages of 100 (`limit=100`, or none) and follow the
 * cursor until a page answers `hasMore: false` — a page holding fewer than 100 events
 * is not the last unless it says so: after a `200` page with `hasMore` the next page
 * request starts within `T` from its `nextCursor`; after a failed page (not 401) the
 * same page is asked again within 30 s + `T` (after the `Retry-After` of a 429/503 that
 * carried one) — a `200` whose body an edge spoiled (`bad-body`) is a failed page, never
 * the end of the data. Cursors are compared as positions.
 */
export const checkPaging = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const T = m.T;
  for (const node of m.nodes) {
    const pages = m.pages.filter((p) => p.node === node);
    for (let i = 0; i < pages.length; i++) {
      const p = pages[i]!;
      checked++;
      if (p.limit !== null && p.limit !== String(restPageSize))
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `page request ${p.id} at ${fmtTime(p.requestAt)} asked for limit=${p.limit}: pages are ${restPageSize} events`,
        });
      const ended = p.responseSeq ?? p.failSeq;
      if (ended === undefined || p.restartAt !== undefined) continue;
      if (p.status === 401) continue;
      const endT = p.responseAt ?? p.failAt!;
      const next = pages[i + 1];
      const more = p.ok && p.logs[0]!.hasMore;
      if (p.ok && !more) continue;
      // A Retry-After asks for a longer wait first (SYNC-15): the 30 s run from its end.
      const bound = more ? T : (p.retryAfter ?? 0) * 1000 + retryBound + T;
      // A new sync (a stream) before the deadline takes over from this paging.
      const stream = m.streams.find(
        (s) => s.node === node && s.connectSeq > ended && s.connectAt <= endT + bound && (!next || s.connectSeq < next.requestSeq),
      );
      if (stream) continue;
      const restart = restartBetween(m, node, ended, next?.requestSeq ?? Infinity);
      if (next && !restart) {
        if (more) {
          if (!p.logs.some((l) => sameCursor(l.nextCursor, next.since)))
            v.push({
              at: next.requestAt,
              seq: next.requestSeq,
              text: `after page ${p.id} answered hasMore with nextCursor ${show(p.logs[0]!.nextCursor)}, ${next.id} asked since ${show(next.since)}: the cursor must be followed`,
            });
        } else if (!sameCursor(next.since, p.since))
          v.push({
            at: next.requestAt,
            seq: next.requestSeq,
            text: `after page ${p.id} (since ${show(p.since)}) failed, ${next.id} asked since ${show(next.since)}: a retry asks for the same page`,
          });
      }
      const deadline = endT + bound;
      if (restart && restart.t <= deadline) continue;
      // The sync ended otherwise (a final reached the client): nothing left to page.
      if (!more && m.finals.some((f) => f.node === node && f.seq > p.requestSeq && f.t <= deadline && (!next || f.seq < next.requestSeq)))
        continue;
      if (deadline > m.endAt) continue;
      if (!more && timersDisturbed(m, node, endT, deadline)) continue;
      if (!next || next.requestAt > deadline) {
        const short =
          more && p.logs[0]!.count < restPageSize
            ? ` (a short page of ${plural(p.logs[0]!.count, 'event')} with hasMore: true is not the last)`
            : '';
        v.push({
          at: deadline,
          seq: undefined,
          text: more
            ? `after page ${p.id} answered hasMore at ${fmtTime(endT)}, ${next ? `the next page (${next.id}) came only at ${fmtTime(next.requestAt)}` : 'no next page was asked for'}${short}: the cursor must be followed to the end`
            : `after page ${p.id} ${p.badBody ? `answered 200 with ${p.badBody === 'html' ? 'an HTML page' : 'a truncated body'}` : p.status !== undefined ? `answered ${p.status}${p.retryAfter !== undefined ? ` (Retry-After: ${p.retryAfter})` : ''}` : `failed (${p.failReason ?? 'unknown'})`} at ${fmtTime(endT)}, ${next ? `the retry (${next.id}) came only at ${fmtTime(next.requestAt)}` : 'it was never retried'} (bound ${fmtDuration(bound)})`,
        });
      }
    }
  }
  return verdict(
    v,
    checked > 0,
    `${plural(checked, 'page request')} of ${restPageSize} followed the cursor to the end`,
    'no page was requested',
  );
});

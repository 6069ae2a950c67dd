import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { describeSession, guarded, P, plural, pollsOf, timersDisturbed } from './model.js';

/**
 * LIVE-1: within a widget session, no poll starts less than `P − T` after the poll before
 * it (a second loop, an interval re-created per message, or a faster interval all look
 * like this on the wire). Retries of a failed poll are polls too. Not judged between two
 * polls when the app's timers were suspended or throttled in between (a platform may run
 * overdue timers together on return). Exercised by every session with two polls or more.
 */
export const checkPollRate = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const min = P - m.T;
  for (const s of m.sessions) {
    const polls = pollsOf(m, s);
    let pairs = 0;
    for (let i = 1; i < polls.length; i++) {
      const p = polls[i - 1]!;
      const n = polls[i]!;
      if (timersDisturbed(m, s.node, p.requestAt, n.requestAt)) continue;
      pairs++;
      const gap = n.requestAt - p.requestAt;
      if (gap >= min) continue;
      v.push({
        at: n.requestAt,
        seq: n.requestSeq,
        text: `${describeSession(s)}: poll ${n.id} at ${fmtTime(n.requestAt)} started only ${fmtDuration(gap)} after poll ${p.id} at ${fmtTime(p.requestAt)} (at least 2 s − T = ${fmtDuration(min)} expected): a second polling loop or a faster interval`,
      });
    }
    if (pairs > 0) judged++;
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'widget session')}: consecutive polls at least 2 s − T (${fmtDuration(min)}) apart, one loop`,
    'no widget session polled twice',
  );
});

import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { guarded, incarnationOf, plural, req } from './model.js';

/**
 * MEAL-15: two consecutive polls of one polling run (same incarnation, no socket verified
 * between them) start at least 5 s − T apart. Loads (a refresh at a load point, the retry
 * of a failed load) are not polls and do not count.
 */
export const checkPollRate = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const least = mealLogLimits.pollInterval - m.T;
  for (const node of m.nodes) {
    const polls = m.polls.filter((p) => p.node === node).sort((a, b) => a.requestSeq - b.requestSeq);
    for (let i = 1; i < polls.length; i++) {
      const a = polls[i - 1]!;
      const b = polls[i]!;
      if (incarnationOf(m, node, a.requestSeq) !== incarnationOf(m, node, b.requestSeq)) continue;
      if (
        m.sockets.some(
          (s) => s.node === node && s.verifiedSeq !== undefined && s.verifiedSeq > a.requestSeq && s.verifiedSeq < b.requestSeq,
        )
      )
        continue;
      judged++;
      const gap = b.requestAt - a.requestAt;
      if (gap >= least) continue;
      v.push({
        at: b.requestAt,
        seq: b.requestSeq,
        text: `${node} polled (${req(b)}) at ${fmtTime(b.requestAt)}, ${fmtDuration(gap)} after its previous poll (${a.id}) started: polls must be at least ${fmtDuration(mealLogLimits.pollInterval)} apart (− ${fmtDuration(m.T)})`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'consecutive poll pair')}, each at least 5 s apart`,
    'the client never polled twice in one polling run',
  );
});

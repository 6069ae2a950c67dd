import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { deadlineAfter, guarded, incarnationOf, ok, plural, showsMeal } from './model.js';

/**
 * MEAL-16: a completion pushed on a socket the client has (`meal_log_completed` or
 * `meal_log_failed`) is shown — that meal, by backend or local id, with that status — by a
 * snapshot no later than 1 s + T after the frame arrived. A client that refreshes the
 * listing instead (the document's `loadDataForSelectedDate()`) has until 1 s + T after the
 * end of a listing GET it started within 1 s + T of the arrival; if that refresh fails,
 * the push is not judged (MEAL-4 still is). Time offline or in the background does not count.
 */
export const checkPushShown = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const span = mealLogLimits.pushShown + m.T;
  for (const p of m.pushes) {
    const inc = incarnationOf(m, p.node, p.seq);
    if (!inc) continue;
    const timeline = m.snapshots.get(p.node) ?? [];
    let deadline = deadlineAfter(m, p.node, p.t, span);
    const refresh = m.gets.find((g) => g.node === p.node && g.requestSeq > p.seq && g.requestAt <= deadline);
    if (refresh) {
      if (refresh.endAt === Infinity || !ok(refresh)) continue;
      deadline = Math.max(deadline, deadlineAfter(m, p.node, refresh.endAt, span));
    }
    const shown = timeline.find((s) => s.seq > p.seq && showsMeal(s.state, p.id, p.localId, p.status));
    const before = [...timeline].reverse().find((s) => s.seq < p.seq);
    if (before && showsMeal(before.state, p.id, p.localId, p.status)) {
      judged++;
      continue;
    }
    if (shown && shown.t <= deadline && shown.seq < inc.endSeq) {
      judged++;
      continue;
    }
    if (deadline >= Math.min(inc.end, m.endAt)) continue;
    judged++;
    v.push({
      at: deadline,
      text: `${p.node} received ${p.status === 'failed' ? 'meal_log_failed' : 'meal_log_completed'} for meal ${p.id} on ${p.socket} at ${fmtTime(p.t)}, but ${shown && shown.seq < inc.endSeq ? `showed it ${p.status} only at ${fmtTime(shown.t)}` : `never showed it ${p.status}`}: due within ${fmtDuration(span)}${refresh ? ' of its refresh' : ''}, by ${fmtTime(deadline)}`,
    });
  }
  return verdict(v, judged > 0, `${plural(judged, 'pushed completion')}, each shown at once`, 'no completion was pushed to the client');
});

import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { deadlineAfter, guarded, plural } from './model.js';

/**
 * MEAL-13: in every incarnation in which the client needs its socket — NutritionView
 * appeared, or the user submitted a meal — its first `ws.connect` to `/ws/meal-logs`
 * comes no later than 1 s + T after the first such need, counted in time the app could
 * act (offline or background time restarts the count). Connecting earlier (at launch) is
 * fine. A client that relies on polling alone fails.
 */
export const checkUsesWebSocket = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const span = mealLogLimits.connectWindow + m.T;
  for (const inc of m.incarnations) {
    const need = m.needs.find((a) => a.node === inc.node && inc.startSeq < a.seq && a.seq < inc.endSeq);
    if (!need) continue;
    const deadline = deadlineAfter(m, inc.node, need.t, span);
    const first = m.sockets.find((s) => s.node === inc.node && s.incarnation === inc.index);
    if (first && first.connectAt <= deadline) {
      judged++;
      continue;
    }
    if (deadline >= Math.min(inc.end, m.endAt)) continue;
    judged++;
    v.push({
      at: deadline,
      text: `${inc.node} needed its WebSocket from ${fmtTime(need.t)} (${need.do}) but ${first ? `connected only at ${fmtTime(first.connectAt)}` : 'never connected to /ws/meal-logs'}: the connect was due within ${fmtDuration(span)}, by ${fmtTime(deadline)}`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'app launch')} connected its WebSocket when it was needed`,
    'the client never needed its WebSocket (no NutritionView, no submission)',
  );
});

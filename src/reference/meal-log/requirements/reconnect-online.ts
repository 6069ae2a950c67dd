import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { deadlineAfter, guarded, incarnationOf, plural } from './model.js';

/**
 * MEAL-14: when the app learns that the device is back online (the end of a
 * `client-offline` window, or of the background it spent there) and has no socket
 * connecting or open, it connects within 1.5 s + T, counted in time the app could act —
 * provided it wanted a socket before in this incarnation (it had connected, or
 * NutritionView had appeared, or a meal had been submitted).
 */
export const checkReconnectOnline = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const span = mealLogLimits.onlineReconnect + m.T;
  for (const o of m.online) {
    const inc = incarnationOf(m, o.node, o.seq);
    if (!inc) continue;
    const socks = m.sockets.filter((s) => s.node === o.node);
    const wanted =
      socks.some((s) => inc.startSeq < s.connectSeq && s.connectSeq < o.seq) ||
      m.needs.some((a) => a.node === o.node && inc.startSeq < a.seq && a.seq < o.seq);
    if (!wanted) continue;
    if (socks.some((s) => s.connectSeq < o.seq && o.seq < s.endSeq)) continue;
    const deadline = deadlineAfter(m, o.node, o.t, span);
    const next = socks.find((s) => s.connectSeq > o.seq);
    if (next && next.connectAt <= deadline && next.connectSeq < inc.endSeq) {
      judged++;
      continue;
    }
    if (deadline >= Math.min(inc.end, m.endAt)) continue;
    judged++;
    v.push({
      at: deadline,
      text: `${o.node} was back online at ${fmtTime(o.t)} with no WebSocket, but ${next && next.connectSeq < inc.endSeq ? `reconnected only at ${fmtTime(next.connectAt)}` : 'never reconnected'}: the connect was due within ${fmtDuration(span)}, by ${fmtTime(deadline)}`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `back online ${plural(judged, 'time')} without a socket; each time the client reconnected at once`,
    'the device never came back online while the client had no socket',
  );
});

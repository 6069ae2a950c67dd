import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { skipMessage } from '../server-core.js';
import { guarded, plural } from './model.js';

/**
 * MEAL-6 (server): (a) a user reported as not connected (`notification.deferred` or the
 * skip line) has no socket that the server acknowledged (`connected` sent) and had not yet
 * closed; (b) every `meal.finished` is notified on a socket or reported in the same
 * instant; (c) a completion reported for a user without a connection is sent on the user's
 * next acknowledged connection, in the instant it is acknowledged — and one the server says
 * it skipped, with no later connection, is lost.
 */
export const checkServerRegistry = guarded((m) => {
  const v: Violation[] = [];
  for (const r of m.reports) {
    const acked = m.serverSockets.find((s) => s.userId === r.userId && s.ackSeq < r.seq && r.seq < s.endSeq);
    if (acked) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `the server reported user ${r.userId} as not connected for meal ${r.mealLogId} at ${fmtTime(r.t)}${r.skipped ? ' and skipped the notification' : ''}, but it had acknowledged ${acked.id} at ${fmtTime(acked.ackAt)} and the socket was still open`,
      });
      continue;
    }
    const next = m.serverSockets.find((s) => s.userId === r.userId && s.ackSeq > r.seq);
    const sentAfter = m.notifications.filter((n) => n.mealLogId === r.mealLogId && n.seq > r.seq);
    if (next) {
      const onTime = sentAfter.some((n) => n.t <= next.ackAt && m.serverSockets.some((s) => s.id === n.socket && s.userId === r.userId));
      if (!onTime) {
        v.push({
          at: next.ackAt,
          seq: next.ackSeq,
          text: `the completion of meal ${r.mealLogId} for user ${r.userId} (${r.skipped ? 'skipped' : 'deferred'} at ${fmtTime(r.t)}) was not sent when the user connected again (${next.id} acknowledged at ${fmtTime(next.ackAt)})${sentAfter.length ? ` but only at ${fmtTime(sentAfter[0]!.t)}` : ''}: it was lost`,
        });
      }
    } else if (r.skipped && sentAfter.length === 0) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `the server skipped the notification of meal ${r.mealLogId} for user ${r.userId} at ${fmtTime(r.t)} ("${skipMessage}") and never sent it: the completion was lost`,
      });
    }
  }
  for (const f of m.finished) {
    const told =
      m.notifications.some((n) => n.mealLogId === f.id && n.t === f.t && n.seq > f.seq) ||
      m.reports.some((r) => r.mealLogId === f.id && r.t === f.t && r.seq > f.seq);
    if (!told)
      v.push({
        at: f.t,
        seq: f.seq,
        text: `meal ${f.id} was ${f.status} at ${fmtTime(f.t)}, but the server neither notified a connection nor reported the user as not connected`,
      });
  }
  return verdict(
    v,
    m.finished.length > 0 || m.reports.length > 0,
    `${plural(m.finished.length, 'completion')}: each notified, or kept for the next registration; no acknowledged connection reported as not connected`,
    'no meal was finished on the server',
  );
});

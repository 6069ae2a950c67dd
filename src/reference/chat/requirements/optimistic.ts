/**
 * CHAT-19: a message the user sends is shown at once (the source's "optimistic update").
 * For each `send` made while a conversation is open, the snapshot in force `T` after the
 * action shows more entries whose `content` is the sent text than the snapshot in force
 * just before it (whatever their ids or `pending` flags). Not judged when the session or
 * the run ends within `T`.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime, guarded, plural } from './evidence.js';
import { sessionAt, shownOf } from './model.js';

/** The CHAT-19 checker. */
export const checkOptimistic = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const a of m.actions) {
    if (a.do !== 'send' || typeof a.args.text !== 'string') continue;
    const session = sessionAt(m, a.node, a.seq);
    const deadline = a.t + m.T;
    if (!session || session.end <= deadline || m.endAt < deadline) continue;
    judged++;
    const text = a.args.text;
    const timeline = m.snapshots.get(a.node) ?? [];
    const count = (state: unknown): number => shownOf(state).filter((x) => x.content === text).length;
    const before = count(q.snapshotAt(timeline, a.t, a.seq - 1)?.state);
    if (count(q.snapshotAt(timeline, deadline)?.state) > before) continue;
    const later = timeline.find((s) => s.t > deadline && s.seq < session.endSeq && count(s.state) > before);
    v.push({
      at: a.t,
      seq: a.seq,
      text: `${a.node} sent "${text}" at ${fmtTime(a.t)} in conversation ${session.conversation}, and it was not shown within T (${fmtDuration(m.T)}, by ${fmtTime(deadline)})${later ? `; it appeared at ${fmtTime(later.t)}` : ''}`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'sent message')} shown within T (${fmtDuration(m.T)}) of the send`,
    'the user sent no message while a conversation was open',
  );
});

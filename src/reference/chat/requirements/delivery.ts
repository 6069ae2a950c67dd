/**
 * CHAT-10: for each node's conversation open at the end of the run, every message the
 * server stored for it (and did not lose in a state-losing server restart) is shown — an
 * entry with its id — in the snapshot in force at `max(heal, stored, session start) +
 * bound`, where bound = max(65 s, 32 s + 10 s + H + T) — decision: the spec's 65 s assumes
 * T ≤ 3 s, so a slower link widens it. When the run ends before that moment, a message
 * already visible at the end passes and a missing one is not judged; a node in an auth
 * error then is excused.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { notExercised } from '../../../conformance/requirement.js';
import * as q from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime, guarded } from './evidence.js';
import { authAt, shownOf } from './model.js';

/** The CHAT-10 checker. */
export const checkDelivery = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  let unjudged = 0;
  for (const node of m.nodes) {
    const final = m.sessions.find((s) => s.node === node && s.end === Infinity);
    if (!final) continue;
    const timeline = m.snapshots.get(node) ?? [];
    for (const msg of m.stored) {
      if (msg.conversation !== final.conversation) continue;
      if (m.stateLost.some((t) => t > msg.t)) continue;
      const due = Math.max(m.healAt, msg.t, final.start) + m.bound;
      const at = Math.min(due, m.endAt);
      if (authAt(m, node, at)) continue;
      const visible = shownOf(q.snapshotAt(timeline, at)?.state).some((s) => s.id === msg.id);
      if (visible) {
        judged++;
        continue;
      }
      if (due > m.endAt) {
        unjudged++;
        continue;
      }
      judged++;
      const later = timeline.find((s) => s.t > due && shownOf(s.state).some((x) => x.id === msg.id));
      v.push({
        at: msg.t,
        seq: msg.seq,
        text: `message ${msg.id} (${msg.role ?? 'unknown role'}, stored at ${fmtTime(msg.t)} for conversation ${final.conversation}) was not visible on ${node} at ${fmtTime(due)} (${msg.t > m.healAt ? 'stored' : 'heal'} + ${fmtDuration(m.bound)})${later ? `; it appeared at ${fmtTime(later.t)}` : ''}`,
      });
    }
  }
  if (v.length === 0 && judged === 0 && unjudged > 0) {
    return notExercised(
      `${unjudged} stored message${unjudged === 1 ? ' was' : 's were'} not visible when the run ended, before the delivery bound (heal + ${fmtDuration(m.bound)} = ${fmtTime(m.healAt + m.bound)}; the run ended at ${fmtTime(m.endAt)})`,
    );
  }
  return verdict(
    v,
    judged > 0,
    `all ${judged} stored message${judged === 1 ? '' : 's'} of the open conversation${judged === 1 ? ' was' : 's were'} visible within ${fmtDuration(m.bound)} after the heal${unjudged > 0 ? ` (${unjudged} not yet judgeable when the run ended)` : ''}`,
    'no message was stored for a conversation open at the end of the run',
  );
});

/**
 * CHAT-3: in every snapshot, the messages the server stored (entries whose id the server's
 * `message.stored` log knows) appear in non-decreasing order of the server's timestamp (from
 * that log; the snapshot's own `timestamp` only when the log has none). Decision: optimistic
 * entries (ids the server never assigned) are not judged — their place until acknowledged is
 * the client's choice, often the bottom — and ties may appear in any order.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime, guarded, plural } from './evidence.js';
import { parseTime, shownOf } from './model.js';

/** The CHAT-3 checker. */
export const checkOrder = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, timeline] of m.snapshots) {
    for (const [i, snap] of timeline.entries()) {
      // What the user saw at an instant is its last snapshot: a state that lasted 0 ms was never on screen.
      if (timeline[i + 1]?.t === snap.t) continue;
      const acked: { id: string; timestamp: string; at: number }[] = [];
      for (const s of shownOf(snap.state)) {
        const stored = m.storedById.get(s.id);
        const timestamp = stored?.timestamp ?? (stored ? s.timestamp : undefined);
        if (timestamp === undefined || Number.isNaN(parseTime(timestamp))) continue;
        acked.push({ id: s.id, timestamp, at: parseTime(timestamp) });
      }
      if (acked.length < 2) continue;
      judged++;
      const bad = acked.findIndex((s, i) => i > 0 && acked[i - 1]!.at > s.at);
      if (bad > 0) {
        const a = acked[bad - 1]!;
        const b = acked[bad]!;
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} showed ${a.id} (stored ${a.timestamp}) before ${b.id} (stored ${b.timestamp}) at ${fmtTime(snap.t)}: the list is not ordered by timestamp`,
        });
        break;
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'snapshot')} with two or more stored messages, all ordered by the server's timestamps`,
    'no snapshot showed two messages the server stored',
  );
});

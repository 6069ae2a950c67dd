import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, sockEnd } from './model.js';

/**
 * MEAL-2: every snapshot that shows `verified: true` is recorded while one of the node's
 * sockets has received a server frame (before that snapshot) and is still open. The
 * snapshot is the subject here: the requirement is about the state the client keeps.
 */
export const checkVerifiedByMessage = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, timeline] of m.snapshots) {
    const mine = m.sockets.filter((s) => s.node === node);
    for (const snap of timeline) {
      const st = snap.state as { verified?: unknown } | null;
      if (!st || st.verified !== true) continue;
      judged++;
      if (mine.some((s) => s.verifiedSeq !== undefined && s.verifiedSeq < snap.seq && snap.seq < s.endSeq)) continue;
      const latest = [...mine].reverse().find((s) => s.connectSeq < snap.seq);
      const why = !latest
        ? 'it had no socket at all'
        : latest.endSeq < snap.seq
          ? `its last socket ${latest.id} was already ${sockEnd(latest)}`
          : `${latest.id}${latest.openAt !== undefined ? ` (open since ${fmtTime(latest.openAt)})` : ' (still connecting)'} had not received any server message yet`;
      v.push({ at: snap.t, seq: snap.seq, text: `${node} showed the socket as verified at ${fmtTime(snap.t)}, but ${why}` });
      break;
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'snapshot')} showed a verified socket, each after a server message on an open socket`,
    'no snapshot showed a verified socket',
  );
});

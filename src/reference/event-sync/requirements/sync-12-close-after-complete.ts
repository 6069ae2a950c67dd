import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, restartAfterUntil, settles, timersDisturbed } from './query.js';

/**
 * SYNC-12: once a valid `sync.stream.complete` has reached the client, it closes the
 * stream socket within `T` (the source's flow ends with "Close WebSocket") — of the
 * frame's arrival, or of the snapshot where the client reports the sync complete when
 * that comes later (a client may deal with its frames in order, asynchronously). A
 * socket the server, the network or an app restart ended first needs no closing.
 */
export const checkClosesAfterComplete = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const s of m.streams) {
    const c = s.complete;
    if (!c) continue;
    // A client that works through its frames in order closes once it has dealt with the
    // completion: the deadline runs from when it reported the sync complete, if later.
    const settled = settles(m, s.node).find((x) => x.final.via === s.id && x.declared);
    const deadline = Math.max(c.t, settled?.snap?.t ?? c.t) + m.T;
    if (s.endAt <= deadline) {
      checked++;
      continue;
    }
    if (deadline > m.endAt || restartAfterUntil(m, s.node, c.seq, deadline) || timersDisturbed(m, s.node, c.t, deadline)) continue;
    checked++;
    v.push({
      at: deadline,
      seq: c.seq,
      text: `sync.stream.complete arrived on ${s.id} at ${fmtTime(c.t)}${settled?.snap && settled.snap.t > c.t ? ` (the client reported the sync complete at ${fmtTime(settled.snap.t)})` : ''}, but the client had not closed the socket ${fmtDuration(m.T)} later (${s.endAt === Infinity ? 'it never did' : `it ended at ${fmtTime(s.endAt)}`})`,
    });
  }
  return verdict(v, checked > 0, `${plural(checked, 'completed stream')} closed at once`, 'no stream completed');
});

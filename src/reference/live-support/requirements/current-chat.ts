import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { describeSession, guarded, list, plural, pollsOf, succeeded } from './model.js';
import { shownIds } from './shown.js';

/**
 * LIVE-13: once the first 2xx answer of a widget session's own polls has arrived, no
 * snapshot of the session shows a message that the server stored in another chat (ids
 * the server never logged — a client's own optimistic entries — are not judged). Before
 * that answer, the previous chat's messages may linger (LIVE-2 forbids them coming back).
 * Exercised by every session with a snapshot after its first answer that shows a message
 * the server knows.
 */
export const checkCurrentChatOnly = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    const first = pollsOf(m, s)
      .filter((p) => p.responseSeq !== undefined && p.responseSeq < s.endSeq && succeeded(p))
      .sort((a, b) => a.responseSeq! - b.responseSeq!)[0];
    if (!first) continue;
    let seen = false;
    for (const snap of m.snapshots.get(s.node) ?? []) {
      if (snap.seq <= first.responseSeq! || snap.seq >= s.endSeq) continue;
      const known = shownIds(snap.state).filter((id) => m.messageChat.has(id));
      if (known.length === 0) continue;
      seen = true;
      const foreign = known.filter((id) => m.messageChat.get(id) !== s.chat);
      if (foreign.length === 0) continue;
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `${describeSession(s)} showed ${plural(foreign.length, 'message')} of other chats at ${fmtTime(snap.t)}: ${list(foreign.map((id) => `${id} (${m.messageChat.get(id)})`))}`,
      });
      break;
    }
    if (seen) judged++;
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'widget session')} showed only the messages of the current chat`,
    'no widget showed a message after its first answer',
  );
});

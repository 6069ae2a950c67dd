/**
 * CHAT-5: for the first failure of a socket of the session's conversation since the
 * session began or a socket last opened (later failures are reconnect attempts, made
 * while polling already runs), some GET of that conversation starts within
 * `[failure, failure + 3 s + T]`, unless a socket of the conversation opens first.
 * Not judged when the session or the run ends before the deadline, the node is in an
 * auth error at some time in `[failure, deadline]` (one in force at the failure, or a 401
 * answer — or a 4001 close the client stops on — within the window: the client must, or
 * may, stop), the app was in the background, or the device was offline in that window (a
 * client may hold its polls while the device reports no network).
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { chatTiming } from '../wire.js';
import { convOf, fmtDuration, fmtTime, guarded, plural, req, sockEnd } from './evidence.js';
import { authDuring, failedInSession, offlineDuring, socketsOf } from './model.js';

/** The CHAT-5 checker. */
export const checkFallbackStarts = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const limit = chatTiming.basePollInterval + m.T;
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const gets = m.gets.filter((x) => x.node === session.node && x.conversation === session.conversation);
    let armed = true;
    for (const s of socks) {
      if (s.openAt !== undefined) armed = true;
      if (!failedInSession(s, session) || !armed) continue;
      armed = false;
      const f = s.endAt;
      const deadline = f + limit;
      const poll = gets.find((x) => x.requestAt >= f && x.requestSeq > s.connectSeq);
      const opened = socks.find((o) => o.openAt !== undefined && o.openSeq! > s.endSeq);
      const pollIn = poll && poll.requestAt <= deadline ? poll : undefined;
      const openIn = opened && opened.openAt! <= deadline && (!pollIn || opened.openSeq! < pollIn.requestSeq) ? opened : undefined;
      if (pollIn || openIn) {
        judged++;
        continue;
      }
      if (session.end <= deadline || m.endAt < deadline) continue;
      if (authDuring(m, s.node, f, deadline)) continue;
      if (q.faultsDuring(m.faults, 'app-background', f, deadline, s.node).length > 0) continue;
      if (offlineDuring(m, s.node, f, deadline)) continue;
      judged++;
      v.push({
        at: f,
        seq: s.endSeq,
        text: `${s.id} (${convOf(s)}) ${sockEnd(s)} and no poll started within 3 s + T (${fmtDuration(limit)}, by ${fmtTime(deadline)}); ${poll ? `the first poll was ${req(poll)} at ${fmtTime(poll.requestAt)}` : 'no poll followed at all'}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `after each of ${plural(judged, 'socket failure')} polling started (or a socket opened) within 3 s + T (${fmtDuration(limit)})`,
    'no socket failed while its conversation stayed open',
  );
});

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
 *
 * A handshake that hangs is a failed connect too: a socket still connecting 3 s after its
 * `ws.connect` counts as failed at that moment, and a *poll* (not a catch-up load) must
 * start by `connect + 3 s + 3 s + T` — the source's Test Case 2 expects the answer polled
 * 3–6 s after the failure, so a client needs a connect timeout of at most 6 s (the
 * reference's: 5 s) or polls while the handshake is pending. A Retry-After the client
 * received (CHAT-20) moves the deadline to the end of the wait it owes, plus T.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { chatTiming } from '../wire.js';
import { convOf, fmtDuration, fmtTime, guarded, plural, req, sockEnd } from './evidence.js';
import { authDuring, failedInSession, offlineDuring, quietUntil, socketsOf } from './model.js';

/** The CHAT-5 checker. */
export const checkFallbackStarts = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const limit = chatTiming.basePollInterval + m.T;
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const gets = m.gets.filter((x) => x.node === session.node && x.conversation === session.conversation);
    const polls = m.polls.filter((x) => x.node === session.node && x.conversation === session.conversation);
    let armed = true;
    for (const s of socks) {
      const stallAt = s.connectAt + chatTiming.connectBound;
      const stalled = (s.openAt === undefined || s.openAt > stallAt) && s.endAt > stallAt && stallAt < Math.min(session.end, m.endAt);
      if (s.openAt !== undefined && !stalled) armed = true;
      if (!(stalled || failedInSession(s, session)) || !armed) continue;
      armed = false;
      const f = stalled ? stallAt : s.endAt;
      const quiet = quietUntil(m, s.node, f);
      const deadline = Math.max(f + limit, quiet === undefined ? -Infinity : quiet + m.T);
      // A stalled handshake needs a poll (the catch-up load at the open does not replace polling).
      const poll = (stalled ? polls : gets).find((x) => x.requestSeq > s.connectSeq && (stalled || x.requestAt >= f));
      if (stalled && s.openAt !== undefined && s.openAt <= deadline && (!poll || poll.requestAt > s.openAt)) {
        judged++;
        continue;
      }
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
      const what = stalled
        ? `${s.id} (${convOf(s)}) was still connecting at ${fmtTime(f)}, 3 s after its connect at ${fmtTime(s.connectAt)} (a stalled handshake is a failed connect)`
        : `${s.id} (${convOf(s)}) ${sockEnd(s)}`;
      v.push({
        at: f,
        seq: stalled ? s.connectSeq : s.endSeq,
        text: `${what} and no poll started within 3 s + T (${fmtDuration(limit)}, by ${fmtTime(deadline)}); ${poll ? `the first poll was ${req(poll)} at ${fmtTime(poll.requestAt)}` : 'no poll followed at all'}`,
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

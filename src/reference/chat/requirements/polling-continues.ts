/**
 * CHAT-18: polling goes on through errors. In a session, once a socket of the conversation
 * has failed (the fallback is due), every GET p of the conversation that ends (answered,
 * failed or timed out) is followed by another GET of it starting within
 * `1.1 × 10 s + T` of p's end — 10 s being the slowest polling interval — unless a socket of
 * the conversation is open at some time in that window. Not judged when the session or run
 * ends first, or the device was offline, the app's timers were disturbed (background) or
 * the node was in an auth error within `[p's start, deadline]`.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { chatTiming } from '../wire.js';
import { fmtDuration, fmtTime, guarded, plural, req } from './evidence.js';
import * as q from '../../../conformance/trace-query.js';
import { authDuring, failedInSession, inSession, offlineDuring, socketsOf, timersDisturbed } from './model.js';

/** The CHAT-18 checker. */
export const checkPollingContinues = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const wait = (1 + chatTiming.jitter) * chatTiming.adaptive.slow + m.T;
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const firstFailure = socks.find((s) => failedInSession(s, session));
    if (!firstFailure) continue;
    const gets = m.gets.filter(
      (x) => x.node === session.node && x.conversation === session.conversation && inSession(session, x.requestSeq),
    );
    for (const p of gets) {
      if (p.requestSeq < firstFailure.endSeq || !Number.isFinite(p.endAt)) continue;
      const deadline = p.endAt + wait;
      if (session.end <= deadline || m.endAt < deadline) continue;
      if (socks.some((s) => s.openAt !== undefined && s.openAt <= deadline && s.endAt > p.endAt)) continue;
      const node = session.node;
      if (offlineDuring(m, node, p.requestAt, deadline) || timersDisturbed(m, node, p.requestAt, deadline)) continue;
      if (authDuring(m, node, p.requestAt, deadline)) continue;
      judged++;
      const next = gets.find((x) => x.requestSeq > p.requestSeq);
      if (next && next.requestAt <= deadline) continue;
      v.push({
        at: p.endAt,
        seq: p.endSeq,
        text: `${req(p)} at ${fmtTime(p.requestAt)} ended (${q.describeOutcome(p)}) while no socket of conversation ${session.conversation} was open, and no poll followed within 1.1 × 10 s + T (${fmtDuration(wait)}, by ${fmtTime(deadline)}): ${next ? `the next was ${next.id} at ${fmtTime(next.requestAt)}` : 'polling stopped'}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'poll')} made while the socket was down, each followed by the next within ${fmtDuration(wait)} of its end`,
    'no poll ended while the socket was down for long enough to judge',
  );
});

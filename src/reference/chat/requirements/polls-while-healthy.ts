/**
 * CHAT-4 and CHAT-7: a poll of the session's conversation starts at `t` while one of its
 * sockets is healthy: opened at or before `t` (earlier step), the client has not stopped
 * using it by `t` (a poll at the very instant it abandons the socket is fine), and
 * `t − max(open, last frame received) < H`. CHAT-4 judges the first socket connected in
 * each session; CHAT-7 every later one (a recovery, also after a refused first socket).
 * Catch-up loads (and their bounded retries) are not polls: see the model.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime, guarded, list, req } from './evidence.js';
import { chatHealthWindow, inSession, pollsOf, socketsOf, type ChatModel } from './model.js';

function pollsWhileHealthy(m: ChatModel, which: 'first' | 'later'): { v: Violation[]; windows: number; sockets: string[] } {
  const v: Violation[] = [];
  let windows = 0;
  const names: string[] = [];
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const targets = which === 'first' ? socks.slice(0, 1) : socks.slice(1);
    const polls = pollsOf(m, session);
    for (const s of targets) {
      if (s.openAt === undefined || s.openSeq === undefined || !inSession(session, s.openSeq)) continue;
      windows++;
      names.push(s.id);
      for (const p of polls) {
        if (p.requestSeq <= s.openSeq || p.requestAt >= s.endAt || p.requestAt >= session.end) continue;
        const last = q.lastFrameBefore(s, p.requestAt, p.requestSeq);
        const ref = Math.max(s.openAt, last?.t ?? -Infinity);
        if (p.requestAt - ref >= chatHealthWindow) continue;
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `poll ${req(p)} at ${fmtTime(p.requestAt)} while ${s.id} was healthy (open since ${fmtTime(s.openAt)}, ${last ? `last frame ${fmtTime(last.t)}` : 'no frame yet'}; H = ${fmtDuration(chatHealthWindow)})`,
        });
      }
    }
  }
  return { v, windows, sockets: names };
}

/** The CHAT-4 checker. */
export const checkNoPollWhileHealthy = guarded((m) => {
  const { v, windows, sockets } = pollsWhileHealthy(m, 'first');
  return verdict(
    v,
    windows > 0,
    `no poll started while the first socket of a conversation was healthy (${list(sockets)})`,
    'the first socket of a conversation never opened, so it was never healthy',
  );
});

/** The CHAT-7 checker. */
export const checkStopsPollingOnRecovery = guarded((m) => {
  const { v, windows, sockets } = pollsWhileHealthy(m, 'later');
  return verdict(
    v,
    windows > 0,
    `no poll started while a recovered socket was healthy (${list(sockets)})`,
    'no socket opened again after a failure (no recovery)',
  );
});

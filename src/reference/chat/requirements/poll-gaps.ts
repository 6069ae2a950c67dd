/**
 * Consecutive polls of one polling loop, as CHAT-6, CHAT-13 and CHAT-17 compare them: two
 * polls of a session with no socket of its conversation opening between them (a socket
 * that opens ends the loop; a later failure starts a new one "at once"), and no auth error
 * ended by the user between them (CHAT-14 stops the loop at the 401; the user's action
 * that ends the auth error is like a socket opening: the next failure starts a new loop at once).
 */
import type { Session } from './model.js';
import { pollsOf, sessionAt, socketsOf, type ChatModel, type ChatRequest } from './model.js';

/** Two consecutive polls of one loop. */
export interface PollGap {
  session: Session;
  prev: ChatRequest;
  next: ChatRequest;
  /** Start to start, ms. */
  gap: number;
}

/** Every pair of consecutive polls of one loop, session by session. */
export function pollGaps(m: ChatModel): PollGap[] {
  const out: PollGap[] = [];
  for (const session of m.sessions) {
    const polls = pollsOf(m, session);
    const opens = socketsOf(m, session).filter((s) => s.openSeq !== undefined);
    for (let i = 1; i < polls.length; i++) {
      const prev = polls[i - 1]!;
      const next = polls[i]!;
      if (opens.some((s) => s.openSeq! > prev.requestSeq && s.openSeq! < next.requestSeq)) continue;
      if (m.auth.some((w) => w.node === session.node && w.endedBy && w.fromSeq < next.requestSeq && w.toSeq > prev.requestSeq && w.toSeq < next.requestSeq))
        continue;
      out.push({ session, prev, next, gap: next.requestAt - prev.requestAt });
    }
  }
  return out;
}

/** Times of the node's `send` actions made while a conversation was open (a send with none open reaches nobody). */
export function sendTimes(m: ChatModel, node: string): number[] {
  return m.actions.filter((a) => a.node === node && a.do === 'send' && sessionAt(m, a.node, a.seq)).map((a) => a.t);
}

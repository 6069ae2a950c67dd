/**
 * CHAT-1: at every `ws.connect` of a node with a conversation open, no other socket of
 * the node is still connecting or open `T` after that instant, and the new socket is for
 * the open conversation; at every conversation switch, no socket of another conversation
 * is still connecting or open `T` after that instant. "Connecting or open" ends when the
 * client calls `close()` (CLOSING), the socket fails or closes, or the app restarts.
 * Decision: `T` of grace lets a client close the old socket asynchronously (after an
 * `await`, on the next tick) — make-before-break within `T` is not a second connection.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { convOf, fmtDuration, fmtTime, guarded, plural, sockEnd } from './evidence.js';
import { sessionAt, type ChatSocket } from './model.js';

/** The CHAT-1 checker. */
export const checkOneSocket = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  let live: ChatSocket[] = []; // connected earlier, not yet ended
  for (const s of [...m.sockets].sort((a, b) => a.connectSeq - b.connectSeq)) {
    live = live.filter((o) => o.endAt > s.connectAt);
    const others = live.filter((o) => o.node === s.node && o.endAt > s.connectAt + m.T);
    live.push(s);
    const session = sessionAt(m, s.node, s.connectSeq);
    if (!session) continue;
    checked++;
    for (const o of others) {
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.node} opened a second WebSocket: ${s.id} (${convOf(s)}) connected at ${fmtTime(s.connectAt)} while ${o.id} (${convOf(o)}, connected at ${fmtTime(o.connectAt)}${o.openAt !== undefined ? `, open since ${fmtTime(o.openAt)}` : ''}) was still ${o.openAt !== undefined && o.openAt <= s.connectAt ? 'open' : 'connecting'} ${fmtDuration(m.T)} (T) later (${sockEnd(o)})`,
      });
    }
    if (s.conversation !== session.conversation && s.url !== '') {
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.id} connected at ${fmtTime(s.connectAt)} to ${s.url} (${convOf(s)}) while conversation ${session.conversation} was open on ${s.node}`,
      });
    }
  }
  for (const session of m.sessions) {
    if (session.startedBy !== 'open') continue;
    for (const o of m.sockets) {
      if (
        o.node !== session.node ||
        o.conversation === session.conversation ||
        o.connectSeq >= session.startSeq ||
        o.endAt <= session.start + m.T
      )
        continue;
      v.push({
        at: session.start,
        seq: session.startSeq,
        text: `${o.id} (${convOf(o)}) was still ${o.openAt !== undefined ? 'open' : 'connecting'} ${fmtDuration(m.T)} (T) after ${session.node} opened conversation ${session.conversation} at ${fmtTime(session.start)} (${sockEnd(o)})`,
      });
    }
  }
  return verdict(
    v,
    checked > 0,
    `${plural(checked, 'WebSocket connection')} made while a conversation was open; never more than one connecting or open (beyond T), always for the open conversation`,
    'no WebSocket was connected while a conversation was open',
  );
});

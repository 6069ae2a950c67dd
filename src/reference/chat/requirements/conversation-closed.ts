/**
 * CHAT-11: after the user closes a conversation or switches to another (until it is
 * opened again on that node), from `T` after that action on: no GET of it and no
 * `ws.connect` for it starts (outbox POSTs are allowed), no socket for it is still
 * connecting or open, and no snapshot in force shows one of its messages (known from
 * `message.stored` ids and from the clientMessageIds of its POSTs). Decision: `T` of grace
 * lets a client tear the old conversation down asynchronously.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime, guarded, list, req, sockEnd } from './evidence.js';
import { shownOf } from './model.js';

/** The CHAT-11 checker. */
export const checkConversationClosed = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    if (s.endedBy !== 'close' && s.endedBy !== 'switch') continue;
    judged++;
    const X = s.conversation;
    const grace = s.end + m.T;
    const how =
      s.endedBy === 'close'
        ? `closed at ${fmtTime(s.end)}`
        : `switched away from at ${fmtTime(s.end)} (opened ${String(s.endAction?.args.conversation)})`;
    const next = m.sessions.find((o) => o.node === s.node && o.conversation === X && o.startSeq >= s.endSeq);
    const untilSeq = next?.startSeq ?? Infinity;
    for (const x of m.gets) {
      if (x.node !== s.node || x.conversation !== X || x.requestSeq <= s.endSeq || x.requestSeq >= untilSeq) continue;
      if (x.requestAt <= grace) continue;
      v.push({
        at: x.requestAt,
        seq: x.requestSeq,
        text: `${req(x)} at ${fmtTime(x.requestAt)}: a poll of conversation ${X} after it was ${how}`,
      });
    }
    for (const k of m.sockets) {
      if (k.node !== s.node || k.conversation !== X) continue;
      if (k.connectSeq > s.endSeq && k.connectSeq < untilSeq && k.connectAt > grace) {
        v.push({
          at: k.connectAt,
          seq: k.connectSeq,
          text: `${k.id} connected at ${fmtTime(k.connectAt)} to ${k.url} after conversation ${X} was ${how}`,
        });
      } else if (k.connectSeq < untilSeq && k.connectAt <= grace && k.endAt > grace) {
        v.push({
          at: s.end,
          seq: s.endSeq,
          text: `${k.id} for conversation ${X} was still ${k.openAt !== undefined && k.openAt <= s.end ? 'open' : 'connecting'} ${fmtDuration(m.T)} (T) after it was ${how}: ${sockEnd(k)}`,
        });
      }
    }
    const timeline = m.snapshots.get(s.node) ?? [];
    const current = q.snapshotAt(timeline, grace);
    const inForce = current && current.seq < untilSeq ? current : undefined;
    const after = timeline.filter((x) => x.t > grace && x.seq < untilSeq);
    for (const snap of inForce ? [inForce, ...after] : after) {
      const leaked = shownOf(snap.state).filter((x) => {
        const cmid = x.clientMessageId;
        const byId = m.messageConversation.get(x.id);
        return (byId ?? (cmid !== undefined ? m.cmidConversation.get(cmid) : undefined)) === X;
      });
      if (leaked.length > 0) {
        const t = Math.max(snap.t, s.end);
        v.push({
          at: t,
          seq: Math.max(snap.seq, s.endSeq),
          text: `${s.node} still showed ${leaked.length} message${leaked.length === 1 ? '' : 's'} of conversation ${X} (${list(leaked.map((x) => x.id))}) at ${fmtTime(Math.max(snap.t, grace))}, after it was ${how}`,
        });
        break;
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `after ${judged} close${judged === 1 ? '' : 's'}/switch${judged === 1 ? '' : 'es'}, no request, socket or message of the old conversation (beyond T)`,
    'no conversation was closed or switched away from',
  );
});

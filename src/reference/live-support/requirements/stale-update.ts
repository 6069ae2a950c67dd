import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { describeSession, guarded, list, plural, type LiveRequest, type Model } from './model.js';
import { shownIds } from './shown.js';

const { fmtTime } = q;

/**
 * LIVE-2: after a widget unmounts (until it mounts again or the app restarts) no poll of
 * that node starts and no snapshot shows a message id the snapshot before it did not (a
 * state update); after a dependency change from (email, chat) — for as long as the
 * session it started lasts — no snapshot shows a message of the old chat (known from the
 * server's logs) that the snapshot before it did not, and, when the email changed, no
 * poll of the old email starts. Old messages may linger until the new chat's first answer
 * replaces them (the source's fixed code does not clear them); they may not come back.
 * Polls of the same email after a chat change cannot be told apart on the wire: LIVE-1
 * judges a loop left running by its spacing. Exercised by every unmount and chat change.
 */
export const checkNoStaleUpdate = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    if (s.endedBy !== 'unmount' && !(s.endedBy === 'change' && s.next)) continue;
    const timeline = m.snapshots.get(s.node) ?? [];
    let untilSeq: number;
    let stale: (id: string) => boolean;
    let how: string;
    if (s.endedBy === 'unmount') {
      untilSeq = Math.min(
        m.sessions.find((o) => o.node === s.node && o.startSeq > s.endSeq)?.startSeq ?? Infinity,
        q.restarts(m.events, s.node).find((r) => r.seq > s.endSeq)?.seq ?? Infinity,
      );
      stale = () => true;
      how = `unmounted at ${fmtTime(s.end)}`;
      for (const x of m.polls) {
        if (x.node !== s.node || x.requestSeq <= s.endSeq || x.requestSeq >= untilSeq) continue;
        v.push({
          at: x.requestAt,
          seq: x.requestSeq,
          text: `poll ${x.id} GET ${x.path} at ${fmtTime(x.requestAt)}: ${describeSession(s)} was ${how}`,
        });
      }
    } else {
      const next = s.next!;
      untilSeq = next.endSeq;
      if (next.chat === s.chat) continue;
      stale = (id) => m.messageChat.get(id) === s.chat;
      how = `changed to ${next.email === s.email ? '' : `${next.email} / `}${next.chat} at ${fmtTime(s.end)}`;
      if (next.email !== s.email) {
        for (const x of m.polls) {
          if (
            x.node !== s.node ||
            x.route?.kind !== 'chats' ||
            x.route.email !== s.email ||
            x.requestSeq <= s.endSeq ||
            x.requestSeq >= untilSeq
          )
            continue;
          v.push({
            at: x.requestAt,
            seq: x.requestSeq,
            text: `poll ${x.id} GET ${x.path} at ${fmtTime(x.requestAt)} for the old email: ${describeSession(s)} was ${how}`,
          });
        }
      }
    }
    judged++;
    let prev = q.snapshotAt(timeline, s.end, s.endSeq);
    for (const snap of timeline) {
      if (snap.seq <= s.endSeq) continue;
      if (snap.seq >= untilSeq) break;
      const before = new Set(shownIds(prev?.state));
      const appeared = shownIds(snap.state).filter((id) => stale(id) && !before.has(id));
      prev = snap;
      if (appeared.length === 0) continue;
      const answer = lastAnswerBefore(m, s.node, snap.seq);
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `${s.node} showed ${s.endedBy === 'unmount' ? '' : `${s.chat}'s `}message${appeared.length === 1 ? '' : 's'} ${list(appeared)} at ${fmtTime(snap.t)}, after ${describeSession(s)} was ${how}${answer ? ` (the answer of ${answer.id}, started ${fmtTime(answer.requestAt)}, had just arrived)` : ''}: a state update from a stale response`,
      });
      break;
    }
  }
  return verdict(
    v,
    judged > 0,
    `after ${plural(judged, 'unmount or chat change', 'unmounts or chat changes')}: no stale state update and no poll for the old chat`,
    'no widget was unmounted and no chat changed',
  );
});

/** The last poll of `node` answered before step `seq` (evidence only). */
function lastAnswerBefore(m: Model, node: string, seq: number): LiveRequest | undefined {
  let best: LiveRequest | undefined;
  for (const x of m.polls)
    if (x.node === node && x.responseSeq !== undefined && x.responseSeq < seq && (!best || x.responseSeq > best.responseSeq!)) best = x;
  return best;
}

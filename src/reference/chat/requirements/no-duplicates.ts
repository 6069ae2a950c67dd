/**
 * CHAT-2: no `client.snapshot` lists two entries with the same `id`, nor an optimistic entry
 * beside another entry for the same send. An entry is optimistic when its id is not one the
 * server stored (the server's `message.stored` log decides, not the client's `pending`
 * flag); it belongs to the send whose `clientMessageId` it carries (its field, or its id
 * `local:<clientMessageId>`). "Beside another entry for the same send" means: the message
 * the server stored for that clientMessageId is shown too, or another entry carries the
 * same clientMessageId. Two stored messages with the same clientMessageId (the server
 * stored it again after losing its state) are two messages, not a duplicate.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime, guarded, list } from './evidence.js';
import { isServerMessage, shownOf, type ChatModel, type Shown } from './model.js';

/** The entry shown for the same send as the optimistic entry `p`, if any. */
function twinOf(m: ChatModel, shown: readonly Shown[], p: Shown): Shown | undefined {
  const cmid = p.clientMessageId;
  if (cmid === undefined || isServerMessage(m, p)) return undefined;
  const stored = m.cmidMessage.get(cmid);
  return shown.find((x) => x !== p && (x.id === stored || x.clientMessageId === cmid));
}

/** The CHAT-2 checker. */
export const checkNoDuplicates = guarded((m) => {
  const v: Violation[] = [];
  let shownAny = false;
  for (const [node, timeline] of m.snapshots) {
    for (const [i, snap] of timeline.entries()) {
      // What the user saw at an instant is its last snapshot: a state that lasted 0 ms was never on screen.
      if (timeline[i + 1]?.t === snap.t) continue;
      const shown = shownOf(snap.state);
      if (shown.length > 0) shownAny = true;
      const seen = new Map<string, number>();
      for (const s of shown) seen.set(s.id, (seen.get(s.id) ?? 0) + 1);
      const dups = [...seen].filter(([, n]) => n > 1);
      if (dups.length > 0) {
        const [id, n] = dups[0]!;
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} showed message ${id} ${n} times at ${fmtTime(snap.t)} (visible ids: ${list(
            shown.map((s) => s.id),
            10,
          )})`,
        });
        break;
      }
      const beside = shown.find((s) => twinOf(m, shown, s) !== undefined);
      if (beside) {
        const twin = twinOf(m, shown, beside)!;
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} showed the optimistic copy ${beside.id} beside ${isServerMessage(m, twin) ? 'its acknowledged message' : 'another entry for the same send'} ${twin.id} (clientMessageId ${beside.clientMessageId}) at ${fmtTime(snap.t)}${beside.content !== undefined ? ` ("${beside.content}")` : ''}`,
        });
        break;
      }
    }
  }
  return verdict(
    v,
    shownAny,
    'no snapshot showed a message id twice or an optimistic copy beside another entry for its send',
    'no client ever showed a message',
  );
});

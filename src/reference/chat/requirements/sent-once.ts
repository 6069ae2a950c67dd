/**
 * CHAT-12: group the `send` actions of a node by (conversation open at the send, text).
 * The user messages the server stored for that conversation with that content, carried by
 * that node's POSTs, count once per distinct `clientMessageId` (the same id stored again
 * only after a state-losing server restart is the server's doing): more than the number
 * of sends fails at once. When the conversation is open on the node at
 * `max(heal, last send) + bound` (see CHAT-10) and the node is not in an auth error:
 * fewer stores than sends fails, and the snapshot then must show the group exactly as
 * many times as it was sent. An entry shows the group when its id is one of the group's
 * stored ids, its clientMessageId (field or `local:` id) is one the node's POSTs of the
 * group carried, or — an entry whose id the server never assigned — its content is the
 * text (whatever its `pending` flag says). Sends with no conversation open are not
 * judged; a conversation closed at the end is judged only for "not more than once" (its
 * outbox must wait, CHAT-11).
 *
 * What a fault took away is not required back: a send whose next app restart came before
 * the server stored it may be lost when that restart wiped the storage (`storage.lost`),
 * or when the client's last write before it failed (`storage.fail`, a full storage, after
 * the send) — the outbox could not survive; and a message the server stored and then
 * forgot in a state-losing restart may be shown once, not at all, or beside the copy a
 * resend stored anew. The group's counts may fall short (or, for forgotten messages, go
 * over in the snapshot) by that many.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { notExercised } from '../../../conformance/requirement.js';
import * as q from '../../../conformance/trace-query.js';
import type { Action } from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime, guarded, list } from './evidence.js';
import { authAt, bodyField, isServerMessage, sessionAt, shownOf } from './model.js';

/** The CHAT-12 checker. */
export const checkSentOnce = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  let unjudged = 0;
  const groups = new Map<string, { node: string; conversation: string; text: string; sends: Action[] }>();
  for (const a of m.actions) {
    if (a.do !== 'send' || typeof a.args.text !== 'string') continue;
    const session = sessionAt(m, a.node, a.seq);
    if (!session) continue;
    const key = JSON.stringify([a.node, session.conversation, a.args.text]);
    const g = groups.get(key) ?? { node: a.node, conversation: session.conversation, text: a.args.text, sends: [] };
    g.sends.push(a);
    groups.set(key, g);
  }
  const restartsOf = (node: string) => q.restarts(m.events, node);
  /** `true` when the client could not keep send `a` across its next restart (see the file comment). */
  const storageLost = (a: Action): boolean => {
    const r = restartsOf(a.node).find((x) => x.seq > a.seq);
    if (!r) return false;
    if (m.events.some((e) => e.ev === 'storage.lost' && e.node === a.node && e.t === r.t)) return true;
    let lastWrite: string | undefined;
    let failedSince = false;
    for (const e of m.events) {
      if (e.seq <= a.seq || e.seq >= r.seq || e.node !== a.node) continue;
      if (e.ev === 'storage.fail') {
        lastWrite = 'fail';
        failedSince = true;
      } else if (e.ev === 'storage.set') lastWrite = 'set';
    }
    return failedSince && lastWrite === 'fail';
  };
  for (const g of groups.values()) {
    const N = g.sends.length;
    const sent = `"${g.text}" (sent ${N === 1 ? 'once' : `${N} times`} by ${g.node} in conversation ${g.conversation}, at ${g.sends.map((a) => fmtTime(a.t)).join(', ')})`;
    const stores = m.stored.filter(
      (s) =>
        s.conversation === g.conversation &&
        s.content === g.text &&
        s.role !== 'assistant' &&
        (s.node === g.node || (s.node === undefined && m.nodes.length === 1)) &&
        s.t >= g.sends[0]!.t,
    );
    const keys = [...new Set(stores.map((s) => s.clientMessageId ?? s.id))];
    if (keys.length > N) {
      const firstOf = keys.map((k) => stores.find((s) => (s.clientMessageId ?? s.id) === k)!);
      const extra = firstOf[N]!;
      judged++;
      v.push({
        at: extra.t,
        seq: extra.seq,
        text: `${sent} was stored ${keys.length} times: ${firstOf.map((s) => `${s.id} (clientMessageId ${s.clientMessageId ?? 'none'}${s.via ? `, ${s.via}` : ''} at ${fmtTime(s.t)})`).join(', ')}`,
      });
      continue;
    }
    const last = g.sends[N - 1]!;
    const due = Math.max(m.healAt, last.t) + m.bound;
    const at = Math.min(due, m.endAt);
    const session = m.sessions.find((s) => s.node === g.node && s.end === Infinity);
    if (!session || session.conversation !== g.conversation || authAt(m, g.node, at)) {
      if (keys.length > 0) judged++;
      continue;
    }
    const mayLose = g.sends.filter(storageLost).length;
    const forgotten = stores.filter((s) => m.stateLost.some((t) => t > s.t && t <= at)).length;
    const ids = new Set(stores.map((s) => s.id));
    const cmids = new Set(stores.map((s) => s.clientMessageId).filter((c): c is string => c !== undefined));
    for (const x of m.requests) {
      if (x.node !== g.node || x.method !== 'POST' || x.conversation !== g.conversation) continue;
      for (const sv of x.serves) {
        const cmid = bodyField(sv.body, 'clientMessageId');
        if (cmid !== undefined && bodyField(sv.body, 'content') === g.text) cmids.add(cmid);
      }
    }
    const snap = q.snapshotAt(m.snapshots.get(g.node) ?? [], at);
    const shown = shownOf(snap?.state).filter(
      (x) =>
        ids.has(x.id) ||
        (x.clientMessageId !== undefined && cmids.has(x.clientMessageId)) ||
        (!isServerMessage(m, x) && x.content === g.text),
    );
    const ok =
      keys.length >= N - mayLose &&
      keys.length <= N &&
      shown.length >= N - mayLose - forgotten &&
      shown.length <= Math.max(N, keys.length) + forgotten;
    if (ok) {
      judged++;
      continue;
    }
    if (due > m.endAt) {
      unjudged++;
      continue;
    }
    judged++;
    if (keys.length < N - mayLose) {
      v.push({
        at: last.t,
        seq: last.seq,
        text: `${sent} was stored ${keys.length === 0 ? 'not at all' : `only ${keys.length} time${keys.length === 1 ? '' : 's'}`} by ${fmtTime(due)} (${last.t > m.healAt ? 'send' : 'heal'} + ${fmtDuration(m.bound)})`,
      });
    } else {
      v.push({
        at: snap?.t ?? due,
        seq: snap?.seq,
        text: `${sent} was shown ${shown.length === 0 ? 'not at all' : `${shown.length} times`} on ${g.node} at ${fmtTime(due)}${shown.length > 0 ? ` (${list(shown.map((x) => x.id))})` : ''}; expected ${N === 1 ? 'once' : `${N} times`}`,
      });
    }
  }
  if (v.length === 0 && judged === 0 && unjudged > 0) {
    return notExercised(
      `${unjudged} sent message${unjudged === 1 ? ' was' : 's were'} not yet stored and shown when the run ended, before the delivery bound (${fmtDuration(m.bound)} after the heal)`,
    );
  }
  return verdict(
    v,
    judged > 0,
    `${judged} sent message${judged === 1 ? '' : 's'} stored once and shown once after the heal${unjudged > 0 ? ` (${unjudged} not yet judgeable when the run ended)` : ''}`,
    'the user sent no message while a conversation was open',
  );
});

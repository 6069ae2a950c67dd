import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { describeSession, guarded, plural, pollsOf, readable, timersDisturbed, type LiveRequest, type Model, type Stored } from './model.js';
import { shownIds } from './shown.js';

/**
 * Whether poll `p`'s answer lists message `msg`: a 2xx answer from the server (not the
 * edge) whose body arrived whole (not cut short by a `bad-body` fault), every arrival of the request at the server after `msg` was stored, and `msg`
 * neither replaced nor lost in a state-losing restart before the last arrival.
 */
function carries(m: Model, p: LiveRequest, msg: Stored): boolean {
  if (p.responseAt === undefined || !readable(p)) return false;
  if (p.serves.length === 0 || p.serves.some((x) => x.seq < msg.seq)) return false;
  const last = p.serves[p.serves.length - 1]!.seq;
  const replaced = m.replacedBy.get(msg.id);
  if (replaced && replaced.seq < last) return false;
  return !m.serverRestarts.some((r) => r.lose && r.seq > msg.seq && r.seq < last);
}

/**
 * The widget delivery rule of LIVE-3, LIVE-7 and LIVE-12: for message `msg` and every
 * widget session on its (email, chat), the first poll of the session whose answer
 * carries `msg` (see {@link carries}) must be reflected in the view within `T` of its
 * arrival: some snapshot of the session, after `msg` was stored and no later than that shows `msg` (and,
 * for a replacement, not the message it replaced). Not judged when the session ends or
 * the run ends before that deadline, or the app's timers were disturbed in the window.
 * How soon after the send such an answer comes is LIVE-8's business (the polling beat).
 */
function delivery(m: Model, msg: Stored, what: string): { v: Violation[]; judged: number } {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    if (s.email !== msg.email || s.chat !== msg.chat) continue;
    let first: LiveRequest | undefined;
    for (const p of pollsOf(m, s))
      if (carries(m, p, msg) && p.responseSeq! < s.endSeq && (!first || p.responseSeq! < first.responseSeq!)) first = p;
    if (!first) continue;
    const deadline = first.responseAt! + m.T;
    if (deadline > m.endAt || s.end <= deadline || timersDisturbed(m, s.node, first.responseAt!, deadline)) continue;
    judged++;
    const timeline = m.snapshots.get(s.node) ?? [];
    const shows = (state: unknown): boolean => {
      const ids = shownIds(state);
      return ids.includes(msg.id) && (msg.replaces === undefined || !ids.includes(msg.replaces));
    };
    const after = Math.max(msg.seq, s.startSeq);
    if (timeline.some((x) => x.seq > after && x.t <= deadline && shows(x.state))) continue;
    const later = timeline.find((x) => x.t > deadline && shows(x.state));
    const stillOld =
      msg.replaces !== undefined &&
      timeline.some((x) => x.seq > first!.responseSeq! && x.t <= deadline && shownIds(x.state).includes(msg.replaces!));
    v.push({
      at: deadline,
      seq: first.responseSeq,
      text: `${what} ${msg.id} (${msg.chat}, stored at ${fmtTime(msg.t)}) was not shown by ${describeSession(s)} within T (${fmtDuration(m.T)}) of poll ${first.id}'s answer at ${fmtTime(first.responseAt!)}, which listed it${stillOld ? `; it still showed ${msg.replaces}, the message it replaced` : ''}${later ? `; it appeared at ${fmtTime(later.t)}` : ''}`,
    });
  }
  return { v, judged };
}

function deliveryChecker(select: (msg: Stored) => boolean, what: string, passWhat: string, notWhat: string) {
  return guarded((m) => {
    const v: Violation[] = [];
    let judged = 0;
    for (const msg of m.stored) {
      if (!select(msg)) continue;
      const r = delivery(m, msg, what);
      v.push(...r.v);
      judged += r.judged;
    }
    return verdict(
      v,
      judged > 0,
      `${plural(judged, passWhat)} shown by the widget within T (${fmtDuration(m.T)}) of the first poll answer that listed it`,
      notWhat,
    );
  });
}

/** LIVE-3: every replacement (`message.replaced`) obeys the delivery rule, and the message it replaced disappears with it. */
export const checkReplacementShown = deliveryChecker(
  (msg) => msg.replaces !== undefined,
  'the replacement',
  'replaced message',
  'no poll answer listed a replaced message to a widget on its chat',
);

/** LIVE-7: every agent message (`message.stored`, role `agent`, not seeded) obeys the delivery rule. */
export const checkAgentMessageShown = deliveryChecker(
  (msg) => !msg.seeded && msg.role === 'agent' && msg.replaces === undefined,
  'agent message',
  'agent message',
  'no poll answer listed an agent message to a widget on its chat',
);

/** LIVE-12: every customer message (`message.stored`, role `user`, not seeded) obeys the delivery rule. */
export const checkCustomerMessageShown = deliveryChecker(
  (msg) => !msg.seeded && msg.role === 'user' && msg.replaces === undefined,
  'customer message',
  'customer message',
  'no poll answer listed a customer message to a widget on its chat',
);

import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { A, guarded, plural } from './model.js';

/**
 * LIVE-5 (the server): for every message stored (or put in place of another) at `t`, the
 * server sends a `chat_updates` frame listing it, by `t + A`, on every `/ws/dashboard`
 * socket whose subscription it logged before `t` and that is still alive at `t + A`.
 * Judged on the server's sends (`ws.send`), so nothing the network or a client does
 * between the server and the dashboard matters. Not judged when the broadcast the message
 * triggered failed (non-critical by design: the background cycle covers it), when the
 * message was replaced or the server restarted by `t + A`, or when the run ends first.
 * Exercised by every (message, subscribed socket) pair judged.
 */
export const checkImmediateBroadcast = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const msg of m.stored) {
    if (msg.seeded) continue;
    const deadline = msg.t + A;
    if (deadline > m.endAt) continue;
    const b = m.broadcastOf.get(msg.id);
    if (b?.done?.ok === false) continue;
    const replaced = m.replacedBy.get(msg.id);
    if (replaced && replaced.t <= deadline) continue;
    if (m.serverRestarts.some((r) => r.t >= msg.t && r.t <= deadline)) continue;
    for (const s of m.sockets) {
      const sub = m.subscribed.get(s.id);
      if (!sub || sub.seq > msg.seq || s.endAt <= deadline || (s.serverClosingAt !== undefined && s.serverClosingAt <= deadline)) continue;
      if (m.serverRestarts.some((r) => r.seq > sub.seq && r.seq < msg.seq)) continue;
      judged++;
      const frames = m.sentUpdates.get(s.id) ?? [];
      const lists = (f: (typeof frames)[number]) => f.users.some((u) => u.ids.includes(msg.id));
      if (frames.some((f) => f.seq > msg.seq && f.t <= deadline && lists(f))) continue;
      const later = frames.find((f) => f.seq > msg.seq && lists(f));
      v.push({
        at: deadline,
        seq: msg.seq,
        text: `${msg.role === 'agent' ? 'agent' : 'customer'} message ${msg.id} (${msg.email} / ${msg.chat}, stored at ${fmtTime(msg.t)}) was not sent to subscribed socket ${s.id} within A (${fmtDuration(A)}, by ${fmtTime(deadline)})${later ? `; the first frame listing it left at ${fmtTime(later.t)}, ${fmtDuration(later.t - msg.t)} after it was stored${b ? '' : ' (the server started no broadcast for it)'}` : b ? '' : '; the server started no broadcast for it'}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'message')} sent to every subscribed dashboard socket within A (${fmtDuration(A)}) of being stored`,
    'no message was stored while a dashboard socket was subscribed',
  );
});

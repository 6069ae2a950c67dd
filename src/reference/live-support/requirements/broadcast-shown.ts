import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { guarded, identityAt, list, plural, streamBacklog, timersDisturbed, type UpdateFrame } from './model.js';
import { shownUsers } from './shown.js';

const { fmtDuration, fmtTime } = q;

/**
 * LIVE-9: a dashboard shows what each `chat_updates` frame it receives tells it. For a
 * frame that reaches node N at `r` while N's dashboard identity is D: every message the
 * frame lists for a customer whose owner is D (the server's log, else the frame's
 * `dashboard_user_id`) is shown under that customer in N's snapshot in force at `r + T`
 * — unless a frame with a newer `data.timestamp` that N received by `r + T` no longer
 * lists it (the view may skip a state that is already outdated). Not judged when the
 * identity or the socket ends by `r + T`, the app's timers were disturbed, an opt-in
 * `ws-intermediary` fault (frames duplicated, reordered, dropped) touched the stream, or
 * the run ends first. Exercised by every frame judged that lists a message of D's customers.
 */
export const checkBroadcastShown = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, frames] of m.receivedUpdates) {
    const timeline = m.snapshots.get(node) ?? [];
    for (const f of frames) {
      const who = identityAt(m, node, f.seq);
      if (!who) continue;
      const deadline = f.t + m.T;
      if (deadline > m.endAt || who.to <= deadline) continue;
      const socket = m.sockets.find((s) => s.id === f.socket);
      if (!socket || socket.endAt <= deadline) continue;
      if (timersDisturbed(m, node, f.t, deadline)) continue;
      if (q.faultsDuring(m.faults, 'ws-intermediary', f.t - streamBacklog, deadline, node).length > 0) continue;
      const own = f.users.filter((u) => (m.owners.get(u.email) ?? u.owner) === who.user && u.ids.length > 0);
      if (own.length === 0) continue;
      judged++;
      const newer = frames.filter((g) => g.t <= deadline && g.timestamp > f.timestamp);
      const outdated = (email: string, id: string): boolean =>
        newer.some((g) => !g.users.some((u) => u.email === email && u.ids.includes(id)));
      const shown = shownUsers(q.snapshotAt(timeline, deadline)?.state);
      const missing: string[] = [];
      for (const u of own) {
        const view = shown.find((x) => x.email === u.email);
        for (const id of u.ids)
          if (!view?.ids.includes(id) && !outdated(u.email, id)) missing.push(view ? id : `${u.email} (the customer)`);
      }
      if (missing.length === 0) continue;
      v.push({
        at: deadline,
        seq: f.seq,
        text: `${node}, the dashboard of ${who.user}, did not show ${list([...new Set(missing)])} within T (${fmtDuration(m.T)}) of the chat_updates frame that reached it over ${f.socket} at ${fmtTime(f.t)}${describeFrame(f)}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'chat_updates frame')} shown by the dashboard within T (${fmtDuration(m.T)}) of arriving`,
    "no chat_updates frame listing a dashboard's own customers reached it",
  );
});

function describeFrame(f: UpdateFrame): string {
  return Number.isFinite(f.timestamp) ? ` (data.timestamp ${new Date(f.timestamp).toISOString()})` : '';
}

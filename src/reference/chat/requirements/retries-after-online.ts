/**
 * CHAT-16: when a `client-offline` or `app-background` window on a node ends (the device's
 * `online` or the app's `foreground` event) while a conversation is open there and no
 * socket of it is connecting or open, a `ws.connect` of that conversation follows within
 * `R = 1.1 × 32 s + T` — at once, or at the next step of a backoff still running, but never
 * "given up". Not judged when the session or the run ends before `R`, another such window
 * begins within `R`, or the node is in an auth error then.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime, guarded, plural } from './evidence.js';
import { authDuring, longestBackoff } from './model.js';

/** The CHAT-16 checker. */
export const checkRetriesAfterOnline = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const R = longestBackoff + m.T;
  for (const w of m.faults) {
    if (w.kind !== 'client-offline' && w.kind !== 'app-background') continue;
    const back = w.end;
    if (!Number.isFinite(back)) continue;
    const what = w.kind === 'client-offline' ? 'came back online' : 'returned to the foreground';
    for (const node of w.node !== undefined ? [w.node] : m.nodes) {
      const session = m.sessions.find((s) => s.node === node && s.start < back && s.end > back);
      if (!session) continue;
      const deadline = back + R;
      if (session.end <= deadline || m.endAt < deadline) continue;
      const mine = m.sockets.filter((k) => k.node === node && k.conversation === session.conversation);
      if (mine.some((k) => k.connectAt < back && k.endAt > back && k.connectSeq >= session.startSeq)) continue;
      if (authDuring(m, node, back, deadline)) continue;
      const again = m.faults.some(
        (x) =>
          x !== w &&
          (x.kind === 'client-offline' || x.kind === 'app-background') &&
          (x.node === undefined || x.node === node) &&
          x.start <= deadline &&
          x.end > back,
      );
      if (again) continue;
      judged++;
      const retry = mine.find((k) => k.connectAt >= back && k.connectAt <= deadline);
      if (retry) continue;
      const later = mine.find((k) => k.connectAt > deadline);
      v.push({
        at: back,
        text: `${node} ${what} at ${fmtTime(back)} (fault entry ${w.entry}) with conversation ${session.conversation} open and no socket, and did not try the WebSocket again within 1.1 × 32 s + T (${fmtDuration(R)}, by ${fmtTime(deadline)})${later ? `; its next connect was ${later.id} at ${fmtTime(later.connectAt)}` : '; it never connected again'}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `after ${plural(judged, 'return')} online or to the foreground without a socket, the client tried the WebSocket again within ${fmtDuration(R)}`,
    'the device never came back online (nor the app to the foreground) with a conversation open and no socket',
  );
});

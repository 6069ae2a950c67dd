import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime, type SocketLife } from '../../../conformance/trace-query.js';
import { guarded, plural, type Model } from './model.js';

/** A socket that opened and ended within this long of opening was dropped early (the stable-connection threshold). */
const earlyDrop = 5000;
/** The window of LIVE-14's bound. */
const rateWindow = 30_000;
/** The most connection attempts a streak of early drops may hold in one window. */
const maxAttempts = 10;

/** Whether `s` opened and then ended within {@link earlyDrop} of opening. */
function droppedEarly(s: SocketLife): boolean {
  return s.openAt !== undefined && Number.isFinite(s.endAt) && s.endAt - s.openAt < earlyDrop;
}

/**
 * When something other than the dashboard's own retry logic may open a socket on `node`:
 * the user's `connectDashboard`, an app restart, the device coming back online or the app
 * to the foreground (the end of a `client-offline` or `app-background` window). A policy
 * may start its backoff over at each.
 */
function prompts(m: Model, node: string): number[] {
  const out: number[] = [];
  for (const e of m.events)
    if (e.node === node && (e.ev === 'client.restart' || (e.ev === 'client.action' && (e.do === 'connectDashboard' || e.do === 'restart'))))
      out.push(e.t);
  for (const w of m.faults)
    if ((w.kind === 'client-offline' || w.kind === 'app-background') && (w.node === undefined || w.node === node) && Number.isFinite(w.end))
      out.push(w.end);
  return out;
}

/**
 * LIVE-14: a dashboard whose sockets keep dying right after they open slows down. A
 * **streak** starts when a socket of the node opened and ended within 5 s of opening; it
 * holds every later connection attempt of the node until a socket stays open 5 s or a
 * prompt (see {@link prompts}) comes — an attempt within T of a prompt starts afresh.
 * Within a streak, no window of 30 s − T holds more than 10 attempts. Any backoff that
 * grows (exponential, linear) passes, and so does a fixed delay of 3 s or more; a backoff that starts over on every
 * `open` — a reconnect every second against a backend that accepts and drops — fails.
 * Exercised by every streak of at least three attempts.
 */
export const checkReconnectRate = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const node of m.nodes) {
    const mine = m.sockets.filter((s) => s.node === node).sort((a, b) => a.connectSeq - b.connectSeq);
    if (mine.length < 3) continue;
    const prompted = prompts(m, node);
    const afterPrompt = (s: SocketLife, prev: SocketLife): boolean =>
      prompted.some((p) => p >= prev.connectAt && p <= s.connectAt && s.connectAt <= p + m.T);
    let streak: SocketLife[] = [];
    const close = (): void => {
      if (streak.length >= 3) judged++;
      streak = [];
    };
    for (let i = 1; i < mine.length; i++) {
      const prev = mine[i - 1]!;
      const s = mine[i]!;
      if (afterPrompt(s, prev)) {
        close();
        continue;
      }
      if (streak.length === 0) {
        if (!droppedEarly(prev)) continue;
        streak = [prev];
      }
      streak.push(s);
      const attempts = streak.slice(1);
      const within = attempts.filter((x) => x.connectAt > s.connectAt - (rateWindow - m.T));
      if (within.length > maxAttempts) {
        v.push({
          at: s.connectAt,
          seq: s.connectSeq,
          text: `${node}'s sockets kept dying right after they opened (${streak[0]!.id} opened at ${fmtTime(streak[0]!.openAt!)} and ended at ${fmtTime(streak[0]!.endAt)}), yet it made ${plural(within.length, 'connection attempt')} between ${fmtTime(within[0]!.connectAt)} and ${fmtTime(s.connectAt)} (${within.map((x) => x.id).join(', ')}): more than ${maxAttempts} within ${fmtDuration(rateWindow)} − T — its backoff never grew`,
        });
        judged++;
        streak = [];
        continue;
      }
      if (s.openAt !== undefined && s.endAt - s.openAt >= earlyDrop) close();
    }
    close();
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'streak')} of sockets dropped right after opening met with a backoff (at most ${maxAttempts} attempts in 30 s)`,
    'no dashboard had its sockets dropped right after opening three times in a row',
  );
});

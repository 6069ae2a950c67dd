/**
 * CHAT-13 (SHOULD): for two consecutive polls p, n of one loop (see poll-gaps), the wait
 * matches the adaptive interval E = 2 s if the node's user sent within 30 s, 5 s within
 * 5 min, else 10 s — within ±(10 % of E + T), measured from p's start or from p's end (a
 * loop that awaits each poll), with E taken at p's start or end (±T around the class
 * boundaries; the last send counted with or without sends before an app restart). A send
 * between p and n — inclusive: a send at the same instant as p's or n's start counts —
 * allows any shorter wait, measured either way (the client may speed up at once, and a
 * send may trigger the poll). Only sends made while a conversation was open count. Intervals that overlap the
 * app's background time, a `client-offline` window on the node (a client may hold its
 * polls while offline), an auth error or a Retry-After wait (CHAT-20) are not judged.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { chatTiming } from '../wire.js';
import { fmtDuration, fmtTime, guarded, plural } from './evidence.js';
import { authDuring, offlineDuring, retryAfterDuring } from './model.js';
import { pollGaps, sendTimes } from './poll-gaps.js';

/** The CHAT-13 checker. */
export const checkAdaptive = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const A = chatTiming.adaptive;
  const slack = (E: number): number => chatTiming.jitter * E + m.T;
  const classAt = (since: number | undefined): number =>
    since === undefined ? A.slow : since <= A.fastWindow ? A.fast : since <= A.mediumWindow ? A.medium : A.slow;
  const sendsOf = new Map<string, number[]>();
  for (const { session, prev: p, next: n, gap } of pollGaps(m)) {
    const node = session.node;
    if (!sendsOf.has(node)) sendsOf.set(node, sendTimes(m, node));
    const sends = sendsOf.get(node)!;
    const restartTimes = q.restarts(m.events, node).map((r) => r.t);
    const expected = (d: number): Set<number> => {
      const out = new Set<number>();
      const lastRestart = Math.max(-Infinity, ...restartTimes.filter((t) => t <= d));
      for (const x of [d - m.T, d, d + m.T]) {
        const lastSend = Math.max(-Infinity, ...sends.filter((t) => t <= x));
        out.add(classAt(Number.isFinite(lastSend) ? x - lastSend : undefined));
        // A send at the very instant of a restart may have reached either app.
        const sinceRestart = lastSend > lastRestart ? lastSend : -Infinity;
        out.add(classAt(Number.isFinite(sinceRestart) ? x - sinceRestart : undefined));
      }
      return out;
    };
    if (q.faultsDuring(m.faults, 'app-background', p.requestAt, n.requestAt, node).length > 0) continue;
    if (offlineDuring(m, node, p.requestAt, n.requestAt)) continue;
    if (authDuring(m, node, p.requestAt, n.requestAt)) continue;
    if (retryAfterDuring(m, node, p.requestAt, n.requestAt)) continue;
    judged++;
    const fromEnd = Number.isFinite(p.endAt) && p.endAt <= n.requestAt ? n.requestAt - p.endAt : undefined;
    const Es = new Set([...expected(p.requestAt), ...(Number.isFinite(p.endAt) ? expected(p.endAt) : [])]);
    const fits = [...Es].some((E) => Math.abs(gap - E) <= slack(E) || (fromEnd !== undefined && Math.abs(fromEnd - E) <= slack(E)));
    const sentBetween = sends.some((t) => t >= p.requestAt && t <= n.requestAt);
    const longest = Math.max(...Es);
    const shorter = gap <= longest + slack(longest) || (fromEnd !== undefined && fromEnd <= longest + slack(longest));
    if (fits || (sentBetween && shorter)) continue;
    const lastSend = Math.max(-Infinity, ...sends.filter((t) => t <= p.requestAt));
    const want = [...Es]
      .sort((a, b) => a - b)
      .map((E) => `${fmtDuration(E)} (±${fmtDuration(slack(E))})`)
      .join(' or ');
    v.push({
      at: n.requestAt,
      seq: n.requestSeq,
      text: `polls ${p.id} at ${fmtTime(p.requestAt)} and ${n.id} at ${fmtTime(n.requestAt)} were ${fmtDuration(gap)} apart${fromEnd !== undefined ? ` (${fmtDuration(fromEnd)} after the first answered)` : ''}; ${Number.isFinite(lastSend) ? `the user last sent at ${fmtTime(lastSend)} (${fmtDuration(p.requestAt - lastSend)} before)` : 'the user had not sent'}, so the interval should be ${want}`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'polling interval')} matched the adaptive 2/5/10 s schedule (±10 % + T, T = ${fmtDuration(m.T)})`,
    'no two consecutive polls to compare',
  );
});

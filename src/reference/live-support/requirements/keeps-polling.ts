import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import {
  B,
  describeSession,
  guarded,
  P,
  plural,
  pollsOf,
  R,
  succeeded,
  timersDisturbed,
  type LiveRequest,
  type Model,
  type WidgetSession,
} from './model.js';

/**
 * When the poll after `p` is due: `P + T` after `p` settled with a 2xx answer, `B + T`
 * after it failed (an error status, a failed fetch); a poll unsettled after `R` counts
 * as failed at `R`. This accepts a fixed interval (the source's `setInterval`), a loop
 * that waits 2 s after each answer, one that skips a tick while a poll is in flight, and
 * backing off (up to 30 s) after failures — or as long as a `Retry-After` header asked.
 */
function dueAfter(m: Model, p: LiveRequest): { at: number; why: string } {
  const settled = p.responseAt ?? p.failAt ?? Infinity;
  if (settled - p.requestAt > R) return { at: p.requestAt + R + B + m.T, why: `poll ${p.id} went unanswered for 10 s` };
  const ok = p.responseAt !== undefined && succeeded(p);
  if (ok) return { at: settled + P + m.T, why: `poll ${p.id} was answered ${p.status} at ${fmtTime(settled)}` };
  // A `Retry-After` longer than B may be honoured: the edge asked the client to wait that long.
  const retryAfter = (p.edge?.retryAfter ?? 0) * 1000;
  if (retryAfter > B)
    return { at: settled + retryAfter + m.T, why: `poll ${p.id} was answered ${p.status} with Retry-After: ${p.edge!.retryAfter} at ${fmtTime(settled)}` };
  return { at: settled + B + m.T, why: `poll ${p.id} failed (${p.status !== undefined ? `${p.status}${p.via === 'edge' ? ' from the edge' : ''}` : (p.failReason ?? 'no answer')}) at ${fmtTime(settled)}` };
}

/**
 * The last poll of the loop a session continues, for a session begun by a chat change that
 * kept the email: the last poll of the session before; when that session had none (a
 * chat change undone within a moment: X → Y → X), the last poll of the most recent earlier
 * session of the same widget and email, through an unbroken chain of such chat changes.
 * `undefined` when the chain reaches a mount, a restart, another email or the widget's
 * first session without finding a poll: the loop's beat then starts with the session.
 */
function beatOf(m: Model, s: WidgetSession): LiveRequest | undefined {
  let cur = s;
  while (cur.startedBy === 'change' && cur.prev && cur.prev.email === s.email) {
    const last = pollsOf(m, cur.prev).at(-1);
    if (last) return last;
    cur = cur.prev;
  }
  return undefined;
}

/** Where the first poll of a session is due: `T` after its start, or on the beat of the loop it continues (a chat change that kept the email; see {@link beatOf}). */
function firstDue(m: Model, s: WidgetSession): { at: number; from: number; why: string } {
  const own = {
    at: s.start + m.T,
    from: s.start,
    why: `the ${s.startedBy === 'restore' ? 'restart' : s.startedBy === 'change' ? 'chat change' : 'mount'} at ${fmtTime(s.start)}`,
  };
  const last = beatOf(m, s);
  if (!last) return own;
  const d = dueAfter(m, last);
  return d.at > own.at ? { at: d.at, from: last.requestAt, why: d.why } : own;
}

/**
 * LIVE-8: a widget session keeps its loop going: its first poll starts within `T` of the
 * session's start (or on the beat of the loop it continues), and each next poll by the
 * due time of the one before (see {@link dueAfter}); while the session lasts, polling
 * never stops. Not judged across the app's background time. Exercised by every session
 * that lasted past its first due time.
 */
export const checkKeepsPolling = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sessions) {
    const stop = Math.min(s.end, m.endAt);
    const polls = pollsOf(m, s);
    let due = firstDue(m, s);
    if (polls.length === 0 && stop <= due.at) continue;
    judged++;
    for (const p of polls) {
      if (p.requestAt > due.at && !timersDisturbed(m, s.node, due.from, p.requestAt)) {
        v.push({
          at: due.at,
          text: `${describeSession(s)}: no poll between ${fmtTime(due.from)} and ${fmtTime(p.requestAt)} (poll ${p.id}); after ${due.why} the next was due by ${fmtTime(due.at)}`,
        });
        break;
      }
      const d = dueAfter(m, p);
      due = { at: d.at, from: p.requestAt, why: d.why };
    }
    if (due.at < stop && !polls.some((p) => p.requestAt > due.at) && !timersDisturbed(m, s.node, due.from, due.at)) {
      v.push({
        at: due.at,
        text: `${describeSession(s)}: polling stopped: after ${due.why} the next poll was due by ${fmtTime(due.at)}, and the widget stayed mounted ${s.end === Infinity ? 'to the end of the run' : `until ${fmtTime(s.end)}`}`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'widget session')} kept polling: the first poll at once, each next within 2 s + T (${fmtDuration(P + m.T)}) of an answer`,
    'no widget stayed mounted long enough to poll',
  );
});

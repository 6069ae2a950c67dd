import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import * as q from '../../../conformance/trace-query.js';
import { B, guarded, identityAt, plural, tokenExpiredAt, wsKinds, type Model } from './model.js';

/**
 * The end of the trouble that started before `deadline(from)` and may keep `node` from
 * reconnecting: the latest end of a fault window of the socket kinds that is in force
 * some time in `[from, deadline]`, the deadline moving with it. `Infinity` when a fault
 * never ends.
 */
function troubleEnd(m: Model, node: string, from: number, wait: number): number {
  let clear = from;
  for (let i = 0; i < 20; i++) {
    let next = clear;
    for (const k of wsKinds) for (const w of q.faultsDuring(m.faults, k, from, clear + wait, node)) next = Math.max(next, w.end);
    if (next === clear) return clear;
    clear = next;
  }
  return clear;
}

/**
 * LIVE-11: a dashboard whose subscribed socket ends while the user still has it open —
 * the server restarted or closed it, the connection was reset or closed by the device
 * going offline, the client gave up on a silent socket — has a new socket subscribed
 * (the server logs `dashboard.subscribed`) by `E + B + T`, where `E` is the later of the
 * socket's end and the end of every fault that could keep it from reconnecting (a
 * partition, the device offline, the server down, upgrades refused, the app in the
 * background, …). Any reconnect policy that tries at least every 30 s once the way is
 * clear passes: at once on `online`, exponential backoff, a fixed delay. Not judged when
 * the node's token expired by the deadline (`token-expiry`: no sign-in exists), when
 * the identity ends first (the user closed the dashboard, the app restarted) or the run
 * ends before the deadline. Exercised by every judged loss.
 */
export const checkReconnects = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const s of m.sockets) {
    const sub = m.subscribed.get(s.id);
    if (!sub || !Number.isFinite(s.endAt) || s.endedBy === 'restart') continue;
    const who = identityAt(m, s.node, s.endSeq);
    if (!who) continue;
    const wait = B + m.T;
    const clear = troubleEnd(m, s.node, s.endAt, wait);
    const deadline = clear + wait;
    const again = m.sockets
      .filter((o) => o !== s && o.node === s.node && (m.subscribed.get(o.id)?.seq ?? -1) > sub.seq)
      .map((o) => ({ socket: o, sub: m.subscribed.get(o.id)! }))
      .sort((a, b) => a.sub.seq - b.sub.seq)[0];
    if (again && again.sub.t <= deadline && again.sub.seq < who.toSeq) {
      judged++;
      continue;
    }
    if (!Number.isFinite(deadline) || deadline > m.endAt || who.to <= deadline) continue;
    // An expired token is refused (401) until the agent signs in again, which this protocol has no way to do.
    if (tokenExpiredAt(m, s.node) <= deadline) continue;
    judged++;
    v.push({
      at: deadline,
      seq: s.endSeq,
      text: `${s.node}, the dashboard of ${who.user}, lost its subscribed socket ${s.id} at ${fmtTime(s.endAt)} (${describeEnd(s)})${clear > s.endAt ? ` and nothing stood in the way after ${fmtTime(clear)}` : ''}, but had no subscribed socket again within 30 s + T (${fmtDuration(wait)}, by ${fmtTime(deadline)})${again ? `; it subscribed again at ${fmtTime(again.sub.t)}` : ''}`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'lost dashboard socket')} replaced by a subscribed one within 30 s + T of the way being clear`,
    'no dashboard lost a subscribed socket while still open (early enough to judge)',
  );
});

function describeEnd(s: q.SocketLife): string {
  if (s.endedBy === 'closing') return `the client closed it${s.closingCode !== undefined ? ` with ${s.closingCode}` : ''}`;
  if (s.endedBy === 'close')
    return `closed${s.closeCode !== undefined ? ` with ${s.closeCode}` : ''}${s.resetAt !== undefined ? ' by a reset' : ''}`;
  return s.endedBy;
}

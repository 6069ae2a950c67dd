import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import type { Delivery, Model, Snap } from './model.js';
import {
  contractViolations,
  earlyClose,
  guarded,
  incarnationAt,
  minStall,
  plural,
  restartBetween,
  settles,
  show,
  snapsOf,
  timersRanFor,
} from './query.js';

/**
 * SYNC-6: an invalid event (positioned, but of an unknown type or without a payload
 * object) is skipped and counted, never stored, and never aborts the sync.
 *
 * A client may apply what it receives asynchronously, so counts are judged where it
 * has had the chance to finish: where it settled a sync (against what was delivered
 * before that sync's final), and at the last snapshot of each app launch (against what
 * was delivered at least `T` before the restart or the end of the run and followed by
 * at least `T` of normal timers: the background exemption). There, since the launch,
 * `skipped` has risen by at least the number of distinct invalid events delivered, and
 * the store has grown by at most the valid events delivered. Besides, the client does
 * not abandon the stream right after a batch with invalid events (a close SYNC-11(e)
 * does not permit either: no failure, less than 5 s of silence, not offline, not in the
 * background, not `dispose()`), and after such a page it asks for the next page (from
 * `nextCursor`), not the same one again.
 */
export const checkInvalidSkipped = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-6', ['skipped', 'store']);
  let checked = 0;
  const T = m.T;
  for (const node of m.nodes) {
    const list = snapsOf(m, node);
    const mine = m.deliveries.filter((d) => d.node === node);
    const points: { snap: Snap; upToSeq: number; upToT: number; when: string }[] = [];
    for (const { final, snap } of settles(m, node))
      if (snap) points.push({ snap, upToSeq: final.seq, upToT: Infinity, when: `the sync that ended at ${fmtTime(final.t)} was settled` });
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const next = list[i + 1];
      if (next && next.incarnation === s.incarnation) continue;
      const restart = m.restarts.find((r) => r.node === node && r.seq > s.seq);
      const endT = restart?.t ?? m.endAt;
      points.push({
        snap: s,
        upToSeq: restart?.seq ?? Infinity,
        upToT: endT - T,
        when: restart ? `the app restarted at ${fmtTime(restart.t)}` : 'the run ended',
      });
    }
    for (const p of points) {
      const base = list.find((s) => s.incarnation === p.snap.incarnation);
      if (!base || base.skipped === undefined || p.snap.skipped === undefined) continue;
      const inLaunch = mine.filter((d) => d.seq > base.seq && incarnationAt(m, node, d.seq) === p.snap.incarnation);
      // At the end of a launch only what the client had the chance to deal with counts:
      // delivered at least T before the restart or the end of the run, with at least T
      // of normal timers after it (a backgrounded app's timers are suspended or throttled).
      const due = inLaunch.filter(
        (d) => d.seq <= p.upToSeq && d.t <= p.upToT && (p.upToT === Infinity || timersRanFor(m, node, d.t, p.upToT + T, T)),
      );
      const invalid = new Set(due.flatMap((d) => d.invalidIds));
      if (invalid.size === 0) continue;
      checked++;
      const counted = p.snap.skipped - base.skipped;
      if (counted < invalid.size) {
        const first = due.find((d) => d.invalidIds.length > 0)!;
        v.push({
          at: p.snap.t,
          seq: p.snap.seq,
          text: `by ${fmtTime(p.snap.t)} (${p.when}) ${node}'s skipped count had risen by ${counted} since the app started, but ${plural(invalid.size, 'distinct invalid event')} had been delivered to it (the first in ${first.what} at ${fmtTime(first.t)}, ${first.invalidIds[0]}): invalid events are skipped and counted`,
        });
      }
      const validIn = inLaunch.filter((d) => d.seq < p.snap.seq).reduce((n, d) => n + d.valid, 0);
      if (p.snap.store && base.store && p.snap.store.count - base.store.count > validIn)
        v.push({
          at: p.snap.t,
          seq: p.snap.seq,
          text: `by ${fmtTime(p.snap.t)} ${node}'s store had grown by ${p.snap.store.count - base.store.count} events since the app started, more than the ${validIn} valid events delivered to it: invalid (or duplicate) events were stored`,
        });
    }
  }
  v.push(...abandonedAfterInvalid(m), ...pageAskedAgain(m));
  const exercised = checked > 0 || m.deliveries.some((d) => d.invalid > 0);
  return verdict(
    v,
    exercised,
    `${plural(checked, 'check')} of deliveries with invalid events: skipped, counted, never stored, the sync went on`,
    'no invalid event was delivered',
  );
});

/**
 * The client abandoned a stream right after a batch that carried invalid events: a close
 * SYNC-11(e) does not permit either (see {@link earlyClose}: not after a failure, a
 * repeated or unexpected frame, 5 s of silence, while offline or backgrounded, or by
 * `dispose()` when the app was killed), whose last frame before it was that batch.
 */
function abandonedAfterInvalid(m: Model): Violation[] {
  const v: Violation[] = [];
  for (const s of m.streams) {
    const early = earlyClose(m, s);
    if (!early || early.lastFrame?.kind !== 'batch') continue;
    const lastBatch: Delivery | undefined = s.deliveries.find((d) => d.seq === early.lastFrame!.seq);
    if (!lastBatch || lastBatch.invalid === 0) continue;
    v.push({
      at: s.closingAt!,
      seq: s.closingSeq,
      text: `the client closed ${s.id} at ${fmtTime(s.closingAt!)} right after ${lastBatch.what} carried invalid event${lastBatch.invalid === 1 ? '' : 's'} (${lastBatch.invalidIds[0] ?? '?'}), with no error, malformed frame or stall (it had been silent ${fmtDuration(s.closingAt! - early.since)}, less than ${fmtDuration(minStall)}): an invalid event must be skipped, not abort the sync`,
    });
  }
  return v;
}

/** After a page with invalid events (and more to come) the client asked for the same page again. */
function pageAskedAgain(m: Model): Violation[] {
  const v: Violation[] = [];
  for (const p of m.pages) {
    if (!p.ok || p.logs[0]!.invalid === 0 || !p.logs[0]!.hasMore) continue;
    const nextCursors = new Set(p.logs.map((l) => l.nextCursor));
    const next = m.pages.find((x) => x.node === p.node && x.requestSeq > p.responseSeq!);
    const stream = m.streams.find((s) => s.node === p.node && s.connectSeq > p.responseSeq! && (!next || s.connectSeq < next.requestSeq));
    if (stream || restartBetween(m, p.node, p.responseSeq!, next?.requestSeq ?? Infinity)) continue;
    if (next && next.since === p.since && !nextCursors.has(next.since)) {
      const n = p.logs[0]!.invalid;
      v.push({
        at: next.requestAt,
        seq: next.requestSeq,
        text: `after page ${p.id} (since ${show(p.since)}) carried ${plural(n, 'invalid event')}, ${next.id} at ${fmtTime(next.requestAt)} asked for the same page again instead of skipping ${n === 1 ? 'it' : 'them'}`,
      });
    }
  }
  return v;
}

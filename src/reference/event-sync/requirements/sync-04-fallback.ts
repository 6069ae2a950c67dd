import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { syncTiming } from '../wire.js';
import { guarded, restartAfterUntil, timersDisturbed } from './query.js';

const idle = syncTiming.streamIdleTimeout;

/**
 * SYNC-4: after every stream failure the client closes the socket (for an error frame,
 * a malformed frame or a stall: within `T` of it, a stall being 10 s without a frame)
 * and starts the REST fallback within `T`; and no page request is ever in flight while
 * a stream is running — connecting or open, not yet completed — nor the other way round
 * (one ending in the very instant the other starts does not overlap it).
 */
export const checkFallback = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const T = m.T;
  for (const s of m.streams) {
    const f = s.failure;
    if (!f) continue;
    const deadline = f.kind === 'stall' ? f.quietSince! + idle + T : f.t + T;
    if (deadline > m.endAt) continue;
    if (s.restartAt !== undefined && s.restartAt <= deadline) continue;
    if (restartAfterUntil(m, s.node, Number.isFinite(f.seq) ? f.seq : s.connectSeq, deadline)) continue;
    // With its timers held back (background) a client may also learn of a failure late:
    // one that deals with events through timers is throttled with them.
    if (timersDisturbed(m, s.node, f.kind === 'stall' ? f.quietSince! : f.t, deadline)) continue;
    checked++;
    if ((f.kind === 'error' || f.kind === 'malformed' || f.kind === 'stall') && s.endAt > deadline) {
      v.push({
        at: deadline,
        seq: Number.isFinite(f.seq) ? f.seq : undefined,
        text: `${f.text}, but the client ${f.kind === 'stall' ? `still held the stalled stream ${fmtDuration(deadline - f.quietSince!)} later` : `had not closed ${s.id} ${fmtDuration(T)} later`} (${s.endAt === Infinity ? 'it never did' : `it ended at ${fmtTime(s.endAt)}`})`,
      });
      continue;
    }
    const fromSeq = Number.isFinite(f.seq) ? f.seq : s.endSeq;
    const fromT = f.kind === 'stall' ? f.quietSince! : f.t;
    const fallback = m.pages.find(
      (p) =>
        p.node === s.node && p.requestAt >= fromT && p.requestAt <= deadline && p.requestSeq > (f.kind === 'stall' ? s.connectSeq : f.seq),
    );
    const already = m.pages.find((p) => p.node === s.node && p.requestSeq < fromSeq && p.endSeq > fromSeq);
    if (!fallback && !already) {
      const next = m.pages.find((p) => p.node === s.node && p.requestSeq > (Number.isFinite(f.seq) ? f.seq : s.connectSeq));
      v.push({
        at: deadline,
        seq: Number.isFinite(f.seq) ? f.seq : undefined,
        text: `${f.text}; the REST fallback did not start within ${fmtDuration(deadline - f.t)}${next ? ` (the first page request, ${next.id}, came at ${fmtTime(next.requestAt)})` : ' (no page request followed)'}`,
      });
    }
  }
  for (const p of m.pages) {
    // In the instant the stream ends, the order of "close" and "ask for a page" is free.
    const live = m.streams.find(
      (s) => s.node === p.node && s.connectSeq < p.requestSeq && p.requestSeq < s.activeEndSeq && s.activeEndAt > p.requestAt,
    );
    if (live) {
      checked++;
      v.push({
        at: p.requestAt,
        seq: p.requestSeq,
        text: `page request ${p.id} started at ${fmtTime(p.requestAt)} while the stream ${live.id} (connected at ${fmtTime(live.connectAt)}) was still ${live.openAt !== undefined && live.openAt <= p.requestAt ? 'open' : 'connecting'}: never stream and REST at once`,
      });
    }
  }
  for (const s of m.streams) {
    const inflight = m.pages.find(
      (p) => p.node === s.node && p.requestSeq < s.connectSeq && s.connectSeq < p.endSeq && p.endAt > s.connectAt,
    );
    if (inflight)
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.id} connected at ${fmtTime(s.connectAt)} while page request ${inflight.id} (started ${fmtTime(inflight.requestAt)}) was in flight: never stream and REST at once`,
      });
  }
  const exercised = checked > 0 || (m.streams.length > 0 && m.pages.length > 0);
  return verdict(
    v,
    exercised,
    `every stream failure (${checked}) closed the socket and fell back to REST at once; stream and REST never overlapped`,
    'no stream failed',
  );
});

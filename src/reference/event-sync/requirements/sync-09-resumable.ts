import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { comparePositions, parseCursor } from '../wire.js';
import type { Failure } from './model.js';
import { cursorText, guarded, incarnationAt, plural, show, storageFailedAcross, syncRequests } from './query.js';

/**
 * SYNC-9 (SHOULD): after a stream fails mid-stream (or the app is killed mid-stream),
 * the next sync request (the fallback's first page, or a later stream) starts from the
 * last event that stream delivered or later, not from the checkpoint again.
 */
export const checkResumable = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const reqs = syncRequests(m);
  for (const s of m.streams) {
    const f: Failure | undefined =
      s.failure ??
      (s.endedBy === 'restart' && !s.complete
        ? { t: s.endAt, seq: s.endSeq, kind: 'closed', text: `${s.id} was lost in the app restart at ${fmtTime(s.endAt)}` }
        : undefined);
    const last = [...s.deliveries].reverse().find((d) => d.last && (!f || d.seq < f.seq))?.last;
    if (!f || !last) continue;
    const fromSeq = Number.isFinite(f.seq) ? f.seq : s.endSeq;
    const next = reqs.find((r) => r.node === s.node && r.seq > fromSeq && r.socket !== s.id);
    if (!next) continue;
    // Killed while its storage failed it: the resume point it wrote may be gone (§ "Storage failures").
    if (s.endedBy === 'restart' && !s.failure && storageFailedAcross(m, s.node, incarnationAt(m, s.node, s.connectSeq), next.seq)) continue;
    checked++;
    const pos = typeof next.since === 'string' ? parseCursor(next.since) : undefined;
    if (!pos || comparePositions(pos, last) < 0)
      v.push({
        at: next.t,
        seq: next.seq,
        text: `after ${f.text} (the stream had delivered up to ${cursorText(last)}), ${next.what} at ${fmtTime(next.t)} asked since ${show(next.since)}: it downloads again what was already applied`,
      });
  }
  return verdict(
    v,
    checked > 0,
    `${plural(checked, 'interrupted stream')} resumed where ${checked === 1 ? 'it' : 'they'} stopped`,
    'no stream failed after delivering events',
  );
});

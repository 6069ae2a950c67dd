import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { comparePositions, parseCursor, type Position } from '../wire.js';
import { contractViolations, cursorText, guarded, plural, sameCursor, show, snapAfter, snapBefore, syncRequests } from './query.js';

/**
 * SYNC-1: every `sync.stream.request` (text or binary frame) and page request carries
 * `since` equal to the checkpoint the client had saved (its snapshot just before, or at
 * the end of, that step; compared as positions), or a resume point: a position after
 * the checkpoint no later than the last event delivered to the client (the server's
 * side of the trace). `null` is right only while no checkpoint is saved.
 */
export const checkSinceIsCheckpoint = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-1', ['checkpoint']);
  let checked = 0;
  const delivered = new Map<string, Position>();
  const ds = m.deliveries;
  let di = 0;
  for (const r of syncRequests(m)) {
    while (di < ds.length && ds[di]!.seq < r.seq) {
      const d = ds[di++]!;
      const cur = delivered.get(d.node);
      if (d.last && (!cur || comparePositions(d.last, cur) > 0)) delivered.set(d.node, d.last);
    }
    const before = snapBefore(m, r.node, r.seq);
    const after = snapAfter(m, r.node, r.seq, r.t);
    const saved = [before?.checkpoint, after?.checkpoint].filter((c) => c !== undefined) as (string | null)[];
    if (saved.length === 0) continue;
    checked++;
    if (r.since !== undefined && saved.some((c) => sameCursor(c, r.since))) continue;
    const cp = saved[0]!;
    const last = delivered.get(r.node);
    const at = `${r.what} at ${fmtTime(r.t)}`;
    if (r.since === undefined) {
      v.push({ at: r.t, seq: r.seq, text: `${at} carried an unreadable since (the saved checkpoint was ${show(cp)})` });
      continue;
    }
    if (r.since === null) {
      v.push({ at: r.t, seq: r.seq, text: `${at} asked for every event (since null) although the client had saved the checkpoint ${cp}` });
      continue;
    }
    const pos = parseCursor(r.since);
    if (!pos) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `${at} carried since "${r.since}", which is not a cursor (the saved checkpoint was ${show(cp)})`,
      });
      continue;
    }
    const cpPos = cp === null ? undefined : parseCursor(cp);
    if (cpPos && comparePositions(pos, cpPos) < 0) {
      v.push({ at: r.t, seq: r.seq, text: `${at} carried since ${r.since}, behind the saved checkpoint ${cp}` });
      continue;
    }
    if (!last || comparePositions(pos, last) > 0) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `${at} carried since ${r.since}, which is neither the saved checkpoint (${show(cp)}) nor a resume point: ${last ? `the last event delivered to ${r.node} was ${cursorText(last)}` : `no event had been delivered to ${r.node}`}`,
      });
    }
  }
  return verdict(
    v,
    checked > 0,
    `${plural(checked, 'sync request')} carried the saved checkpoint or a resume point`,
    'no sync request was made',
  );
});

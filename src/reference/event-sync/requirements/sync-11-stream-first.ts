import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import type { Model, Stream } from './model.js';
import { earlyClose, guarded, minStall, plural, restartAfterUntil, syncSteps, timersDisturbed } from './query.js';

/**
 * SYNC-11: every sync starts with the stream and actually uses it:
 * - a page request comes only after the sync it belongs to connected to
 *   `/v1/sync/stream` (a sync ends when its final checkpoint reaches the client, a page
 *   is answered 401, or the app restarts);
 * - a `sync` asked for while no sync runs connects the stream within `T`; one asked for
 *   while a sync runs does so within `T` of that sync's end (unless it ended with a 401
 *   or a restart, which drop it);
 * - once the socket is open, `sync.stream.request` is sent within `T`;
 * - the upgrade carries the user's token (the server did not refuse it for a missing one);
 * - the client does not close a stream before `sync.stream.complete` unless it failed
 *   (error, malformed frame, unexpected or repeated frame, close), stayed silent for at
 *   least 5 s, the device was offline or the app in the background, or the app was
 *   being killed (`dispose()` at a restart or at the end of the run).
 */
export const checkStreamFirst = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) checked += walkSyncs(m, node, v);
  for (const s of m.streams) {
    checked++;
    requestSent(m, s, v);
    const refusal = m.refusals.get(s.id);
    if (refusal?.reason === 'missing token')
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `the server refused the upgrade of ${s.id} (${refusal.status ?? '?'}) because it carried no token: the stream must be opened with the user's token (Authorization: Bearer, or access_token)`,
      });
    abandoned(m, s, v);
  }
  return verdict(v, checked > 0, `every sync (${checked} checks) started with the stream and used it`, 'no sync was asked for or ran');
});

/** Walks a node's syncs: page requests need a stream attempt first; a sync asked for connects the stream in time. */
function walkSyncs(m: Model, node: string, v: Violation[]): number {
  const T = m.T;
  let checked = 0;
  type Item = { t: number; seq: number; kind: string; id: string };
  const items: Item[] = [
    ...syncSteps(m, node),
    ...m.syncActions.filter((a) => a.node === node).map((a) => ({ t: a.t, seq: a.seq, kind: 'action', id: 'sync' })),
  ];
  items.sort((a, b) => a.seq - b.seq);
  let running = false;
  let streamTried = false;
  let flagged = false;
  let queued: Item | undefined;
  let ended: Item | undefined;
  let waiting: { t: number; seq: number; what: string }[] = [];
  const expect = (t: number, seq: number, what: string): void => {
    waiting.push({ t, seq, what });
  };
  const late = (w: { t: number; seq: number; what: string }, what: string): void => {
    v.push({
      at: w.t + T,
      seq: undefined,
      text: `${w.what}, but ${what}: every sync starts with the stream (/v1/sync/stream) within ${fmtDuration(T)}`,
    });
  };
  for (const x of items) {
    // A final ends the sync unless the client goes on paging right after it (then it did
    // not take the final for the end: the sync goes on, as where syncs are settled).
    if (ended && x.kind !== 'page') {
      const f = ended;
      running = streamTried = flagged = false;
      if (queued) expect(f.t, f.seq, `${node} was asked to sync at ${fmtTime(queued.t)} while a sync ran, which ended at ${fmtTime(f.t)}`);
      queued = undefined;
    }
    if (x.kind !== 'final') ended = undefined;
    switch (x.kind) {
      case 'action':
        checked++;
        if (!running) expect(x.t, x.seq, `${node} was asked to sync at ${fmtTime(x.t)}`);
        else queued ??= x;
        break;
      case 'connect':
        for (const w of waiting)
          if (x.t > w.t + T && !excused(m, node, w.t, w.seq, w.t + T)) late(w, `the stream was connected only at ${fmtTime(x.t)}`);
        waiting = [];
        // A sync asked for meanwhile is served by any new stream (SYNC-7 judges overlaps).
        if (running) queued = undefined;
        running = true;
        streamTried = true;
        break;
      case 'page': {
        let reported = false;
        for (const w of waiting) {
          if (excused(m, node, w.t, w.seq, w.t + T)) continue;
          late(w, `it asked for page ${x.id} at ${fmtTime(x.t)} instead`);
          reported = true;
        }
        waiting = [];
        if (!streamTried && !flagged && !reported) {
          checked++;
          v.push({
            at: x.t,
            seq: x.seq,
            text: `page request ${x.id} at ${fmtTime(x.t)} belongs to a sync that never tried the stream: REST pages are the fallback of a failed stream, never the first choice`,
          });
        }
        flagged = true;
        running = true;
        break;
      }
      case 'final':
        ended = x;
        break;
      case 'unauthorized':
      case 'restart':
        running = streamTried = flagged = false;
        queued = undefined;
        if (x.kind === 'restart') waiting = [];
        break;
    }
  }
  if (ended && queued)
    expect(ended.t, ended.seq, `${node} was asked to sync at ${fmtTime(queued.t)} while a sync ran, which ended at ${fmtTime(ended.t)}`);
  for (const w of waiting) if (w.t + T <= m.endAt && !excused(m, node, w.t, w.seq, w.t + T)) late(w, 'no stream was connected');
  return checked;
}

/**
 * No judgement when the app restarted, its timers were held back, or the device was
 * offline before the deadline (a client may wait for the network before it connects).
 */
function excused(m: Model, node: string, from: number, fromSeq: number, deadline: number): boolean {
  return (
    restartAfterUntil(m, node, fromSeq, deadline) ||
    timersDisturbed(m, node, from, deadline) ||
    q.faultsDuring(m.faults, 'client-offline', from, deadline, node).length > 0
  );
}

/** Once the socket is open, `sync.stream.request` goes out within `T`. */
function requestSent(m: Model, s: Stream, v: Violation[]): void {
  if (s.openAt === undefined) return;
  const deadline = s.openAt + m.T;
  const first = s.requests[0] ?? (s.sent[0] ? { t: s.sent[0].t } : undefined);
  if (first && first.t <= deadline) return;
  if (deadline > m.endAt || s.endAt <= s.openAt) return;
  if (s.endAt <= deadline && s.endedBy !== 'closing') return;
  if (excused(m, s.node, s.openAt, s.openSeq ?? s.connectSeq, deadline)) return;
  v.push({
    at: Math.min(deadline, s.endAt),
    seq: s.endAt <= deadline ? s.endSeq : undefined,
    text: `${s.id} opened at ${fmtTime(s.openAt)}, but ${first ? `the sync.stream.request went out only at ${fmtTime(first.t)}` : s.endAt <= deadline ? `the client closed it at ${fmtTime(s.endAt)} without sending sync.stream.request` : 'no sync.stream.request was sent on it'}`,
  });
}

/** The client closed a stream that had not failed, before it completed (see {@link earlyClose}). */
function abandoned(m: Model, s: Stream, v: Violation[]): void {
  const early = earlyClose(m, s);
  if (!early) return;
  const { lastFrame, since } = early;
  v.push({
    at: s.closingAt!,
    seq: s.closingSeq,
    text: `the client closed ${s.id} at ${fmtTime(s.closingAt!)} before sync.stream.complete although the stream had not failed (${lastFrame ? `the last frame, a ${lastFrame.kind === 'start' ? 'sync.stream.start' : `batch ${lastFrame.batchIndex}`}, had arrived ${fmtDuration(s.closingAt! - since)} before` : `it had been connected ${fmtDuration(s.closingAt! - since)} before`}): a stream is used until it completes or fails (${plural(minStall / 1000, 'second')} of silence may count as a stall)`,
  });
}

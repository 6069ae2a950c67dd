/**
 * CHAT-9: a socket that was open when it went silent — `ws.half-open` on it, a
 * `partition` or a stalling `client-offline` on its node, or a `hold` of one of its
 * frames — must be abandoned (the client calls `close()`, it closes, or a poll of its
 * conversation starts) by `ref + 1.1·H + T` (the heartbeat's 20 s plus 10 % of timer
 * slack), where `ref` is the silence's start or the last frame that still arrived after
 * it, whichever is later. When the impairment is lifted before that deadline (frames flow
 * again), nothing was due. Not judged while the app's timers did not run normally (in the
 * background, or within `throttleMs` after a throttled background: the kernel keeps timers
 * deferred to the aligned time). Decision: sockets still connecting are left to the
 * connect timeout; frames that keep arriving (a half-open towards the server only)
 * postpone the deadline, as they would a client's heartbeat.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { chatTiming } from '../wire.js';
import { convOf, fmtDuration, fmtTime, guarded, sockEnd } from './evidence.js';
import { chatHealthWindow, timersDisturbed, type ChatSocket } from './model.js';

/** The CHAT-9 checker. */
export const checkHalfOpen = guarded((m) => {
  const limit = (1 + chatTiming.jitter) * chatHealthWindow + m.T;
  const v: Violation[] = [];
  let exercised = 0;
  const episodes: { s: ChatSocket; start: number; seq: number; end: number; what: string }[] = [];
  const holds = m.events.filter((e) => e.ev === 'net.hold');
  for (const s of m.sockets) {
    if (s.openAt === undefined) continue;
    const open = (t: number): boolean => s.openAt! <= t && t < s.endAt;
    if (s.halfOpenAt !== undefined && open(s.halfOpenAt)) {
      episodes.push({
        s,
        start: s.halfOpenAt,
        seq: s.halfOpenSeq!,
        end: Infinity,
        what: `went half-open (${s.halfOpenDirection ?? 'both'})`,
      });
    }
    for (const w of m.faults) {
      const applies = w.node === undefined || w.node === s.node;
      if (!applies || !open(w.start)) continue;
      if (w.kind === 'partition')
        episodes.push({ s, start: w.start, seq: w.startSeq, end: w.end, what: `was cut off by a partition (fault entry ${w.entry})` });
      if (w.kind === 'client-offline' && w.params.sockets === 'stall') {
        episodes.push({
          s,
          start: w.start,
          seq: w.startSeq,
          end: w.end,
          what: `stalled when the device went offline (fault entry ${w.entry})`,
        });
      }
    }
    for (const e of holds) {
      if (e.id !== s.id || !open(e.t)) continue;
      const w = m.faults.find((x) => x.kind === 'hold' && x.params.name === e.name);
      episodes.push({ s, start: e.t, seq: e.seq, end: w?.end ?? Infinity, what: `had a frame held (hold "${q.str(e, 'name') ?? '?'}")` });
    }
  }
  episodes.sort((a, b) => a.seq - b.seq);
  for (const ep of episodes) {
    const { s } = ep;
    let ref = ep.start;
    let due: number | undefined;
    for (;;) {
      const deadline = ref + limit;
      if (ep.end <= deadline) break;
      const next = s.received.find((f) => f.seq > ep.seq && f.t > ref && f.t <= deadline);
      if (!next) {
        due = deadline;
        break;
      }
      ref = next.t;
    }
    const poll = m.gets.find((x) => x.node === s.node && x.conversation === s.conversation && x.requestAt >= ep.start);
    const abandonedAt = Math.min(s.endAt, poll?.requestAt ?? Infinity);
    if (due === undefined) {
      if (abandonedAt <= Math.min(ep.end, m.endAt)) exercised++;
      continue;
    }
    if (m.endAt < due && abandonedAt > m.endAt) continue;
    if (timersDisturbed(m, s.node, ep.start, due)) continue;
    exercised++;
    if (abandonedAt <= due) continue;
    const last = q.lastFrameBefore(s, due);
    v.push({
      at: ep.start,
      seq: ep.seq,
      text: `${s.id} (${convOf(s)}, open since ${fmtTime(s.openAt!)}) ${ep.what} at ${fmtTime(ep.start)}; ${last ? `its last frame arrived at ${fmtTime(last.t)}` : 'no frame had arrived'}, and it was not abandoned within 1.1 × H + T (${fmtDuration(limit)}, by ${fmtTime(due)}): ${s.endAt < Infinity ? sockEnd(s) : 'never closed'}${poll ? `, first poll ${poll.id} at ${fmtTime(poll.requestAt)}` : ', no poll started'}`,
      // The silence and the deadline it set (H + T after the last sign of life), for reports to draw.
      marks: [
        {
          kind: 'interval',
          start: ep.start,
          ...(Number.isFinite(abandonedAt) ? { end: abandonedAt } : {}),
          label: `${s.id} silent`,
          id: s.id,
          node: s.node,
        },
        { kind: 'deadline', start: due - limit, end: due, label: '1.1 × H + T', id: s.id, node: s.node },
      ],
    });
  }
  return verdict(
    v,
    exercised > 0,
    `every silent socket (${exercised}) was abandoned within 1.1 × H + T (${fmtDuration(limit)})`,
    'no socket went silent (half-open, partition, stall or held frame) for long enough while it was open',
  );
});

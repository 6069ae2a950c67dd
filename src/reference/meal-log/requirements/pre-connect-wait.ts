import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { guarded, plural, req } from './model.js';

/**
 * MEAL-10 (SHOULD): a meal submitted while a socket of the node is still connecting is
 * uploaded (its first POST) only after that socket opened or ended, or 5 s − T after the
 * submission. The document's `isWebSocketConnecting` is true until the connect returns,
 * so waiting for the open is enough; waiting on until the socket is verified is allowed too.
 */
export const checkPreConnectWait = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const sub of m.submissions) {
    const s = m.sockets.find(
      (x) => x.node === sub.node && x.connectSeq < sub.seq && sub.seq < x.endSeq && (x.openSeq === undefined || x.openSeq > sub.seq),
    );
    if (!s) continue;
    const p = m.posts.find((x) => x.node === sub.node && x.requestSeq > sub.seq && x.rawInput === sub.text);
    if (!p) continue;
    judged++;
    if (
      (s.openSeq !== undefined && s.openSeq < p.requestSeq) ||
      s.endSeq < p.requestSeq ||
      p.requestAt >= sub.t + mealLogLimits.preConnectWait - m.T
    )
      continue;
    v.push({
      at: p.requestAt,
      seq: p.requestSeq,
      text: `${sub.node} uploaded "${sub.text}" (${req(p)}) at ${fmtTime(p.requestAt)}, ${fmtDuration(p.requestAt - sub.t)} after the submission, while ${s.id} was still connecting: it should have waited for the connection (up to 5 s)`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'submission')} made while connecting waited for the connection`,
    'no meal was submitted while a connection was in progress',
  );
});

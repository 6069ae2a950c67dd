import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { guarded, plural, req, type MealRequest, type Model, type Submission } from './model.js';

/**
 * MEAL-10 (SHOULD): a meal submitted while a socket of the node is still connecting is
 * uploaded (its first POST) only after that socket opened or ended, or 5 s − T after the
 * submission. The document's `isWebSocketConnecting` is true until the connect returns,
 * so waiting for the open is enough; waiting on until the socket is verified is allowed too.
 * A submission's first upload is told apart from a retry of an earlier meal with the same
 * text by its local id (see {@link firstUpload}).
 */
export const checkPreConnectWait = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const sub of m.submissions) {
    const s = m.sockets.find(
      (x) => x.node === sub.node && x.connectSeq < sub.seq && sub.seq < x.endSeq && (x.openSeq === undefined || x.openSeq > sub.seq),
    );
    if (!s) continue;
    const p = firstUpload(m, sub);
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

/**
 * The first upload of the meal submitted at `sub`: the first POST of its node after it with
 * its text and a local id no upload carried before it. `undefined` when there is none, or
 * when it is ambiguous — an earlier meal with the same text had not been uploaded yet at
 * the submission, so the first new local id may be that meal's.
 */
export function firstUpload(m: Model, sub: Submission): MealRequest | undefined {
  const before = new Set<string>();
  for (const x of m.posts)
    if (x.node === sub.node && x.requestSeq < sub.seq && x.rawInput === sub.text && x.localId !== undefined) before.add(x.localId);
  const earlier = m.submissions.filter((s) => s.node === sub.node && s.text === sub.text && s.seq < sub.seq).length;
  if (earlier > before.size) return undefined;
  return m.posts.find(
    (x) => x.node === sub.node && x.requestSeq > sub.seq && x.rawInput === sub.text && (x.localId === undefined || !before.has(x.localId)),
  );
}

import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, req } from './model.js';

/**
 * MEAL-12: in every incarnation, the first upload (`POST /api/v1/meal-logs/natural`)
 * starts no earlier than the first `ws.connect` (the same virtual instant is fine).
 */
export const checkConnectBeforeUpload = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const inc of m.incarnations) {
    const post = m.posts.find((p) => p.node === inc.node && inc.startSeq < p.requestSeq && p.requestSeq < inc.endSeq);
    if (!post) continue;
    judged++;
    const sock = m.sockets.find((s) => s.node === inc.node && s.incarnation === inc.index);
    if (sock && sock.connectAt <= post.requestAt) continue;
    v.push({
      at: post.requestAt,
      seq: post.requestSeq,
      text: `${inc.node} uploaded a meal (${req(post)}${post.rawInput ? `, "${post.rawInput}"` : ''}) at ${fmtTime(post.requestAt)} before opening any WebSocket${sock ? ` (it connected only at ${fmtTime(sock.connectAt)})` : ''}: a completion can then find no connection`,
    });
  }
  return verdict(v, judged > 0, `${plural(judged, 'app launch')} with uploads; each connected first`, 'the client uploaded no meal');
});

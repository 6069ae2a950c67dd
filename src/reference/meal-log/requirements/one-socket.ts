import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, sockEnd, type MealSocket } from './model.js';

/**
 * MEAL-1: at every `ws.connect` of a node, no other socket of the node is still
 * connecting or open after that instant ("connecting or open" ends when the client calls
 * `close()`, the socket fails or closes, or the app restarts; closing the old socket in the
 * same instant is fine).
 */
export const checkOneSocket = guarded((m) => {
  const v: Violation[] = [];
  let live: MealSocket[] = [];
  for (const s of [...m.sockets].sort((a, b) => a.connectSeq - b.connectSeq)) {
    live = live.filter((o) => o.endAt > s.connectAt);
    for (const o of live.filter((x) => x.node === s.node)) {
      const open = o.openAt !== undefined && o.openAt <= s.connectAt;
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.node} opened a second WebSocket: ${s.id} connected at ${fmtTime(s.connectAt)} while ${o.id} (connected at ${fmtTime(o.connectAt)}${open ? `, open since ${fmtTime(o.openAt!)}` : ''}) was still ${open ? 'open' : 'connecting'} (${sockEnd(o)})`,
      });
    }
    live.push(s);
  }
  return verdict(
    v,
    m.sockets.length > 0,
    `${plural(m.sockets.length, 'WebSocket connection')}; never two connecting or open at once`,
    'the client never opened a WebSocket',
  );
});

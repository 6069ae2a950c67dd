import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural } from './model.js';

/**
 * LIVE-6 (the server): every send the server stored (or replacement it made) is answered
 * with a 2xx status, and the answer does not wait for the broadcast the send triggered:
 * its `http.respond` comes before that broadcast's `broadcast.sent` / `broadcast.failed`.
 * Not judged when the answer never left (a restart lost the exchange). Exercised by every
 * stored send that was answered.
 */
export const checkSendIndependent = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const msg of m.stored) {
    if (msg.seeded || msg.request === undefined) continue;
    const respond = (m.responds.get(msg.request) ?? []).find((r) => r.seq > msg.seq);
    if (!respond) continue;
    judged++;
    const b = m.broadcastOf.get(msg.id);
    const what = `${msg.replaces !== undefined ? 'replacement' : 'send'} ${msg.request} (message ${msg.id}, stored at ${fmtTime(msg.t)})`;
    if (respond.status === undefined || respond.status < 200 || respond.status > 299) {
      v.push({
        at: respond.t,
        seq: respond.seq,
        text: `${what} was answered ${respond.status ?? 'without a status'} at ${fmtTime(respond.t)}${b?.done && !b.done.ok ? `, after its broadcast #${b.n} failed at ${fmtTime(b.done.t)}` : ''}: a stored message must be answered as sent`,
      });
    } else if (b?.done && b.done.seq < respond.seq) {
      v.push({
        at: respond.t,
        seq: respond.seq,
        text: `${what} was answered at ${fmtTime(respond.t)}, only after its broadcast #${b.n} (started ${fmtTime(b.t)}) ${b.done.ok ? 'was sent' : 'failed'} at ${fmtTime(b.done.t)}: the send waited ${fmtDuration(respond.t - msg.t)} for the broadcast`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'send')} answered 2xx before the broadcast ${judged === 1 ? 'it' : 'they'} triggered completed`,
    'no send was stored and answered',
  );
});

/**
 * CHAT-14: after a `401` response (see "auth error" in model.ts) no HTTP request and no
 * `ws.connect` of that node starts (steps after the response) until the user opens a
 * conversation, sends, or relaunches the app. Decision: a refused upgrade is not a trigger
 * even when the trace records status 401, because a browser cannot see it; nor is a close
 * with 4001, nor a 401 answering a request of an earlier session (the user opened or
 * closed a conversation between the request and its answer) or of an earlier app. Those
 * only excuse a client that stops (the other checkers' auth-error exemptions).
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime, guarded, plural, req } from './evidence.js';

/** The CHAT-14 checker. */
export const checkAuth = guarded((m) => {
  const v: Violation[] = [];
  const triggers = m.auth.filter((w) => w.trigger && w.cause !== undefined);
  for (const w of triggers) {
    const cause = w.cause!;
    const since = `after ${cause.id} ${cause.method} ${cause.path} got 401 at ${fmtTime(w.from)}, with no user action since`;
    for (const x of m.requests) {
      if (x.node === w.node && x.requestSeq > w.fromSeq && x.requestSeq < w.toSeq) {
        v.push({ at: x.requestAt, seq: x.requestSeq, text: `${req(x)} at ${fmtTime(x.requestAt)} ${since}` });
      }
    }
    for (const s of m.sockets) {
      if (s.node === w.node && s.connectSeq > w.fromSeq && s.connectSeq < w.toSeq) {
        v.push({ at: s.connectAt, seq: s.connectSeq, text: `${s.id} connected to ${s.url} at ${fmtTime(s.connectAt)} ${since}` });
      }
    }
  }
  return verdict(
    v,
    triggers.length > 0,
    `after ${plural(triggers.length, '401 response')} the client made no request and opened no socket until the user acted`,
    'no request was answered with 401',
  );
});

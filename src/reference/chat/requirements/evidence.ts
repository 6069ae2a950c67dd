/**
 * How the chat checkers word their evidence, and the guard that turns a trace they cannot
 * read into `not-exercised` with the reason instead of a crash.
 */
import { guardedBy } from '../../../conformance/checker-kit.js';
import type { HttpExchange, SocketLife } from '../../../conformance/trace-query.js';
import * as q from '../../../conformance/trace-query.js';
import { chatModel, type ChatModel, type ChatSocket } from './model.js';

export const { fmtTime, fmtDuration } = q;

/** `c1/http#3 GET /api/v1/consultations/A/messages`. */
export function req(x: HttpExchange): string {
  return `${x.id} ${x.method} ${x.path}`;
}

/** How a socket's life ended, in words. */
export function sockEnd(s: SocketLife): string {
  switch (s.endedBy) {
    case 'closing':
      return `closed by the client${s.closingCode !== undefined ? ` (code ${s.closingCode})` : ''} at ${fmtTime(s.endAt)}`;
    case 'fail':
      return `failed to connect at ${fmtTime(s.endAt)}${s.failReason ? ` (${s.failReason})` : ''}`;
    case 'close':
      return `closed${s.closeCode !== undefined ? ` with ${s.closeCode}` : ''} at ${fmtTime(s.endAt)}${s.closeWhy ? ` (${s.closeWhy})` : ''}`;
    case 'restart':
      return `lost in the app restart at ${fmtTime(s.endAt)}`;
    case 'alive':
      return 'never closed';
  }
}

/** `conversation A`, or the socket's path when it names none. */
export function convOf(s: ChatSocket): string {
  return s.conversation !== undefined ? `conversation ${s.conversation}` : s.path;
}

/** A short list of ids: the first `max`, then how many in all. */
export function list(ids: string[], max = 6): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, … (${ids.length} in all)`;
}

/** `1 poll`, `2 polls`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Wraps a checker so that an unexpected trace yields `not-exercised` with the reason, never a crash. */
export const guarded = guardedBy(chatModel);

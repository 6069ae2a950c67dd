/**
 * --server broadcast-blocks-send — the send awaits its broadcast before answering, and
 * answers 500 when the broadcast fails.
 *
 * Where it comes from: what the source's Fix 3 removed ("Non-blocking async broadcast
 * (doesn't slow down response)", "Graceful error handling (broadcast failure won't break
 * message sending)"): an endpoint that does `await manager.broadcast(...)` inside the
 * request's try, so the broadcast's query cost delays the answer and its exception turns
 * a stored message into a 500. The reference's `answer` decision is replaced.
 *
 * What it breaks: the server requirement LIVE-6, never a client requirement (the message
 * is stored; the polls show it).
 */
import type { LiveResponse } from '../server-core.js';
import type { LiveServerVariant } from '../server.js';

async function answerAfterBroadcast(response: LiveResponse, broadcasts: readonly Promise<boolean>[]): Promise<LiveResponse> {
  const oks = await Promise.all(broadcasts);
  return oks.every(Boolean) ? response : { status: 500, body: { error: 'internal_error', reason: 'WebSocket broadcast failed' } };
}

/** The variant, as registered in variants.ts. */
export const broadcastBlocksSendServer: LiveServerVariant = {
  description:
    'the send awaits its broadcast before answering, and answers 500 when the broadcast fails (what Fix 3\u2019s non-blocking, non-critical broadcast avoids)',
  breaks: ['LIVE-6'],
  decisions: { answer: answerAfterBroadcast },
};

/**
 * Bug: the send queue retries a POST refused with 401 like any transient failure, with the
 * same expired token, while the rest of the client stopped at the auth error. Where it
 * comes from: offline queues whose retry policy lists 401 among retryable statuses (the
 * "token expired, queue hammers the API" reports against workbox-background-sync and
 * redux-offline, redux-offline/redux-offline#118); here it meets a `token-expiry`. Made by
 * overriding one decision: `sendUnauthorized()` schedules a retry. Must be caught by CHAT-14
 * (no request after a 401 until the user acts).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class OutboxRetriesOn401Machine extends ChatMachine {
  protected override sendUnauthorized(cmid: string): void {
    this.scheduleSendRetry(cmid);
  }
}

/** `zoo:chat/outbox-retries-on-401`. */
export const outboxRetriesOn401: ClientVariant = {
  description: 'the outbox retries a send refused with 401, with the same expired token',
  violates: ['CHAT-14'],
  create: (env) => createChatClient(env, { Machine: OutboxRetriesOn401Machine }),
};

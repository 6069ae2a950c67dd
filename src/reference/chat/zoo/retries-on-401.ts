/**
 * Bug: a 401 is treated like any other error — polling, reconnecting and outbox retries go
 * on with a token the server has rejected. Where it comes from: the fallback document's
 * "Error Handling" lists "Authentication failure (401)" among the errors whose recovery is
 * "Automatically start polling"; a client taking that literally never stops. Made by
 * overriding one decision: `unauthorized()` never recognises the answer.
 * Must be caught by CHAT-14 (no request after a 401 until the user acts).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class RetriesOn401Machine extends ChatMachine {
  protected override unauthorized(): boolean {
    return false;
  }
}

/** `zoo:chat/retries-on-401`. */
export const retriesOn401: ClientVariant = {
  description: 'treats 401 like any other error and keeps polling and reconnecting',
  violates: ['CHAT-14'],
  create: (env) => createChatClient(env, { Machine: RetriesOn401Machine }),
};

/**
 * Bug: the poll parses the answer as JSON outside the loop's error handling, so a 200 whose
 * body is a captive portal's HTML (a hotel Wi-Fi sign-in page) throws a `SyntaxError` that
 * ends the polling task for good. Where it comes from: the chat source's `pollingTask` —
 * its `try` covers the fetch, but a decode failure thrown from `Task { while … }` ends the
 * task; the classic "Unexpected token < in JSON at position 0" reports of fetch clients
 * behind captive portals. Made by overriding one decision: `pollDone()` ends the loop when
 * a poll got no usable list although the request succeeded at the HTTP level.
 * Must be caught by CHAT-18 (polling continues through errors).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine, type PollLoop } from '../client-machine.js';
import { createChatClient } from '../client.js';

class CrashesOnHtmlBodyMachine extends ChatMachine {
  protected override pollDone(key: string, loop: PollLoop, ok: boolean): void {
    if (!ok && this.lastGetStatus === 200) {
      // The parse threw inside the task: the loop is gone, though `isPolling` stays set.
      loop.inFlight = undefined;
      return;
    }
    super.pollDone(key, loop, ok);
  }
}

/** `zoo:chat/crashes-on-html-body`. */
export const crashesOnHtmlBody: ClientVariant = {
  description: 'a poll answered 200 with HTML (captive portal) throws in JSON parsing and ends polling for good',
  violates: ['CHAT-18'],
  create: (env) => createChatClient(env, { Machine: CrashesOnHtmlBodyMachine }),
};

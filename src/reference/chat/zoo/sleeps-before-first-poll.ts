/**
 * Bug: the fallback loop sleeps before it polls, so the first poll after the socket fails
 * comes one full interval late (10 s when the user has not sent for a while). Where it
 * comes from: the fallback document's "3. Polling Fallback" loop (`while … { poll; sleep }`)
 * written the other way round, `{ sleep; poll }` — or a `setInterval(poll, interval)`,
 * whose first tick comes one interval after the call. Made by a small patched copy of
 * `startPolling()`: the new loop is scheduled like a finished poll instead of polling at
 * once. Must be caught by CHAT-5 (first poll within one base interval of the failure).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine, type PollLoop } from '../client-machine.js';
import { createChatClient } from '../client.js';

class SleepsBeforeFirstPollMachine extends ChatMachine {
  protected override startPolling(): void {
    const conversation = this.snapshot().conversation;
    if (!conversation) return;
    const key = this.newLoopKey();
    if (key === undefined) return;
    const loop: PollLoop = { conversation, inFlight: undefined };
    this.loops.set(key, loop);
    this.pollDone(key, loop, false); // waits one interval, then polls
  }
}

/** `zoo:chat/sleeps-before-first-poll`. */
export const sleepsBeforeFirstPoll: ClientVariant = {
  description: 'the fallback loop sleeps before its first poll, so polling starts one full interval late',
  violates: ['CHAT-5'],
  create: (env) => createChatClient(env, { Machine: SleepsBeforeFirstPollMachine }),
};

/**
 * Bug: the first failed poll ends the polling loop, and since the loop is still marked as
 * running no new one starts until a socket opens again. Where it comes from: a Swift
 * polling `Task` whose loop body is `try await poll(); try await Task.sleep(...)` without a
 * `do/catch` — the first thrown error leaves the loop while `isPolling` stays `true` (the
 * fallback document's "Polling Errors" section exists because of exactly this). Made by
 * overriding one decision: `pollDone()` schedules no next poll after a failure.
 * Must be caught by CHAT-18 (polling continues through errors).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine, type PollLoop } from '../client-machine.js';
import { createChatClient } from '../client.js';

class StopsOnErrorMachine extends ChatMachine {
  protected override pollDone(key: string, loop: PollLoop, ok: boolean): void {
    if (ok) return super.pollDone(key, loop, ok);
    loop.inFlight = undefined; // the loop is left for dead but still registered: no new one starts
  }
}

/** `zoo:chat/stops-polling-on-error`. */
export const stopsPollingOnError: ClientVariant = {
  description: 'the first failed poll ends the polling loop for good (an unhandled throw in the polling task)',
  violates: ['CHAT-18'],
  create: (env) => createChatClient(env, { Machine: StopsOnErrorMachine }),
};

/**
 * Bug: no `isPolling` guard — every socket failure starts another polling loop beside the
 * ones already running. Where it comes from: the optimization document's "4. Prevent
 * Duplicate Polling" (the `guard !isPolling` it adds is missing), e.g. an `onError` callback
 * that calls `startPollingFallback` each time the socket errors. Made by overriding one
 * decision: `newLoopKey()` always hands out a fresh loop. Must be caught by CHAT-6 (one
 * polling loop).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class DuplicatePollerMachine extends ChatMachine {
  private started = 0;

  protected override newLoopKey(): string {
    return `poll#${++this.started}`;
  }
}

/** `zoo:chat/duplicate-poller`. */
export const duplicatePoller: ClientVariant = {
  description: 'no isPolling guard: every socket failure starts another polling loop',
  violates: ['CHAT-6'],
  create: (env) => createChatClient(env, { Machine: DuplicatePollerMachine }),
};

/**
 * Bug: the client loads the conversation over REST only when it is opened, not when a
 * socket opens again after an outage; and polling stops at that moment, so a message stored
 * after the last poll and before the socket opened (the socket pushes only newer ones) is
 * never shown. Where it comes from: the fallback document's "1. WebSocket Connection"
 * (`refreshCurrentMessages()` runs in `selectConversation` only) — the reconnect path of a
 * client that treats the socket as the whole feed. Made by wrapping the machine: the GET
 * it asks for when a socket opens is dropped. Must be caught by CHAT-10 (every stored
 * message visible after the heal).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine, type ChatCommand, type ChatEvent } from '../client-machine.js';
import { createChatClient } from '../client.js';

class NoCatchUpOnReconnectMachine extends ChatMachine {
  override handle(event: ChatEvent, now: number): ChatCommand[] {
    const commands = super.handle(event, now);
    // Polling ends when a socket opens, so the only GET asked for then is the catch-up load.
    return event.type === 'ws-open' ? commands.filter((c) => c.type !== 'get') : commands;
  }
}

/** `zoo:chat/no-catch-up-on-reconnect`. */
export const noCatchUpOnReconnect: ClientVariant = {
  description: 'loads messages over REST only when a conversation opens, not when the socket reconnects',
  violates: ['CHAT-10'],
  create: (env) => createChatClient(env, { Machine: NoCatchUpOnReconnectMachine }),
};

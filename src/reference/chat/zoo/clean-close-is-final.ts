/**
 * Bug: a clean close from the server (1000 normal, 1001 going away, 1012 restart, 1013 try
 * again later) is taken as "the server ended the session on purpose": the client falls
 * back to polling and never tries the socket again. Where it comes from: clients that
 * reconnect only on abnormal closes (`wasClean === false`) — pladaria/reconnecting-websocket#135
 * and websocket-client's `run_forever(reconnect=…)`, which skips a reconnect after a clean
 * close — so a deploy's 1001 leaves every user on polling. Made by wrapping the shell's
 * `WebSocket` to see close codes and overriding one decision: `reconnectDelay()` returns
 * none after a clean close. Must be caught by CHAT-8 (a reconnect is due after every failure).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import type { ClientEnv } from '../../../sim/client-node.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

const cleanCodes = [1000, 1001, 1012, 1013];

/** `zoo:chat/clean-close-is-final`. */
export const cleanCloseIsFinal: ClientVariant = {
  description: 'a clean server close (1000/1001/1012/1013) ends reconnecting: polling only from then on',
  violates: ['CHAT-8'],
  create: (env: ClientEnv) => {
    const seen: { code?: number } = {};
    const Base = env.WebSocket;
    // Registered before the shell's `onclose`, so the code is known when the machine decides.
    const WebSocket = class extends Base {
      constructor(...args: ConstructorParameters<typeof Base>) {
        super(...args);
        seen.code = undefined;
        this.addEventListener('close', (e) => {
          seen.code = (e as CloseEvent).code;
        });
      }
    } as typeof Base;
    class CleanCloseIsFinalMachine extends ChatMachine {
      protected override reconnectDelay(attempt: number): number | undefined {
        return seen.code !== undefined && cleanCodes.includes(seen.code) ? undefined : super.reconnectDelay(attempt);
      }
    }
    return createChatClient({ ...env, WebSocket }, { Machine: CleanCloseIsFinalMachine });
  },
};

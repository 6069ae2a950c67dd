import type { ProtocolDefinition } from '../../conformance/protocol.js';
import { createChatClient } from './client.js';
import { chatPropertyModel } from './property-model.js';
import { chatRequirements } from './requirements.js';
import { createChatServer, parseChatServerOptions } from './server.js';
import { ChatSnapshotSchema } from './snapshot.js';
import { chatVariants } from './variants.js';
import type { ChatDriver } from './wire.js';

const driver = (d: unknown): ChatDriver => d as ChatDriver;

/** The chat protocol: a WebSocket per conversation with a 3 s polling fallback. */
export const chatProtocol: ProtocolDefinition = {
  name: 'chat',
  title: 'Chat: WebSocket per conversation, polling fallback',
  sources: ['chat-websocket-polling-fallback.md', 'chat-backend-sync-optimization.md'],
  requirements: chatRequirements,
  snapshot: ChatSnapshotSchema,
  actions: {
    openConversation: {
      description: 'open (or switch to) a conversation: the driver gets openConversation(conversation: string)',
      params: { conversation: 'string' },
      run: (d, a) => driver(d).openConversation(a.conversation as string),
    },
    closeConversation: {
      description: 'close the open conversation: the driver gets closeConversation()',
      params: {},
      run: (d) => driver(d).closeConversation(),
    },
    send: {
      description: 'send a message in the open conversation: the driver gets send(text: string), the text itself',
      params: { text: 'string' },
      run: (d, a) => driver(d).send(a.text as string),
    },
  },
  defaults: { duration: 120_000, heal: 90_000, clients: ['c1'], network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } } },
  server: (variant, options) => {
    if (variant !== 'reference') throw new Error(`chat has no server variant "${variant}"`);
    return createChatServer(parseChatServerOptions(options, 'server.options'));
  },
  serverVariants: {},
  reference: (env) => createChatClient(env),
  variants: chatVariants,
  property: chatPropertyModel,
};

export { createChatClient } from './client.js';
export { createChatServer } from './server.js';
export type { ChatDriver, ChatMessage } from './wire.js';
export type { ChatSnapshot, ChatShownMessage } from './snapshot.js';
export { ChatSnapshotSchema, ChatShownMessageSchema } from './snapshot.js';

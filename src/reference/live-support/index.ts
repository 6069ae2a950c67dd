import type { ProtocolDefinition } from '../../conformance/protocol.js';
import { createLiveSupportClient } from './client.js';
import { liveSupportPropertyModel } from './property-model.js';
import { liveSupportRequirements } from './requirements.js';
import { LiveSupportSnapshotSchema } from './snapshot.js';
import { createLiveSupportServer, parseLiveServerOptions } from './server.js';
import { liveSupportServerVariants, liveSupportVariants } from './variants.js';
import type { LiveSupportDriver } from './wire.js';

const driver = (d: unknown): LiveSupportDriver => d as LiveSupportDriver;

/**
 * The live-support protocol: customer widgets poll their chats every 2 s; agent
 * dashboards hold a WebSocket subscribed to `chat_updates`. A node is either a widget or
 * a dashboard, decided by its first action (docs/protocols/live-support.md, "Driver").
 */
export const liveSupportProtocol: ProtocolDefinition = {
  name: 'live-support',
  title: 'Live support: polling widget, broadcast dashboard',
  sources: ['live-support-chat-polling-fixes.md'],
  requirements: liveSupportRequirements,
  snapshot: LiveSupportSnapshotSchema,
  actions: {
    mountWidget: {
      description: "widget: mount the chat view for customer `email`'s chat `chat` (or change the email or chat of a mounted one)",
      params: { email: 'string', chat: 'string' },
      run: (d, a) => driver(d).mountWidget(a.email as string, a.chat as string),
    },
    unmountWidget: { description: 'widget: unmount the chat view', params: {}, run: (d) => driver(d).unmountWidget() },
    switchChat: {
      description: 'widget: change the current chat of a mounted widget to `chat` (ignored while unmounted)',
      params: { chat: 'string' },
      run: (d, a) => driver(d).switchChat(a.chat as string),
    },
    customerSend: {
      description: 'widget: the customer sends `text` in the current chat (a client may ignore it while unmounted)',
      params: { text: 'string' },
      run: (d, a) => driver(d).customerSend(a.text as string),
    },
    connectDashboard: {
      description: 'dashboard: open the dashboard as agent `dashboardUserId`',
      params: { dashboardUserId: 'string' },
      run: (d, a) => driver(d).connectDashboard(a.dashboardUserId as string),
    },
    disconnectDashboard: { description: 'dashboard: close the dashboard', params: {}, run: (d) => driver(d).disconnectDashboard() },
    agentSend: {
      description: 'dashboard: the agent sends `text` in chat `chat`',
      params: { chat: 'string', text: 'string' },
      run: (d, a) => driver(d).agentSend(a.chat as string, a.text as string),
    },
    agentReplace: {
      description:
        'dashboard: the agent replaces their last message in chat `chat` (as the dashboard shows it) with `text` (same count, new id)',
      params: { chat: 'string', text: 'string' },
      run: (d, a) => driver(d).agentReplace(a.chat as string, a.text as string),
    },
  },
  defaults: { duration: 30_000, heal: 5_000, clients: ['w1', 'd1'], network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } } },
  server: (variant, options) => {
    const parsed = parseLiveServerOptions(options, 'server.options');
    if (variant === 'reference') return createLiveSupportServer(parsed);
    const v = liveSupportServerVariants[variant];
    if (!v)
      throw new Error(
        `live-support has no server variant "${variant}" (expected reference, ${Object.keys(liveSupportServerVariants).join(', ')})`,
      );
    return createLiveSupportServer(parsed, v.decisions);
  },
  serverVariants: Object.fromEntries(
    Object.entries(liveSupportServerVariants).map(([k, v]) => [k, { description: v.description, breaks: v.breaks }]),
  ),
  reference: (env) => createLiveSupportClient(env),
  variants: liveSupportVariants,
  property: liveSupportPropertyModel,
};

export { createLiveSupportClient } from './client.js';
export { createLiveSupportServer } from './server.js';
export type { LiveSupportDriver, LiveMessage, LiveChat, LiveUser } from './wire.js';
export type { LiveSupportSnapshot, WidgetSnapshot, DashboardSnapshot } from './snapshot.js';
export { LiveSupportSnapshotSchema } from './snapshot.js';

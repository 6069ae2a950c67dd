import type { WsConnection } from '../transport/ws-connection.js';
import { badBodyRule } from './bad-body.js';
import type { FaultTargets } from './engine.js';
import { flappingRule } from './flapping.js';
import { idleTimeoutRule } from './idle-timeout.js';
import { appliesTo, liveRules } from './live-rules.js';
import { messageTooBigRule } from './message-too-big.js';
import type { FaultEntry } from './plan.js';
import { requestResetRule } from './request-reset.js';
import { retryAfterRule } from './retry-after.js';
import { applyServerClose } from './server-close.js';
import { slowConsumerRule } from './slow-consumer.js';

/**
 * Starts an entry of the real-world kinds (idle-timeout, server-close, flapping,
 * request-reset, bad-body, retry-after, message-too-big, slow-consumer) and returns what
 * ends it; `undefined` for every other kind.
 */
export function startRealWorldFault(e: FaultEntry, entry: number, t: FaultTargets): (() => void) | undefined {
  const rules = liveRules(t.network);
  const matching = (c: WsConnection): boolean => appliesTo(e as { node?: string; path?: string }, c);
  // Sockets whose client has opened, and sockets whose server end is open (its 101 may still be on the way).
  const clientOpen = (): WsConnection[] => [...t.registry].filter((c) => c.opened && !c.clientDone && matching(c));
  const serverOpen = (): WsConnection[] => [...t.registry].filter((c) => c.server !== undefined && !c.serverDone && matching(c));
  switch (e.kind) {
    case 'idle-timeout':
      return rules.add(idleTimeoutRule(e, entry, t, clientOpen()));
    case 'flapping':
      return rules.add(flappingRule(e, entry, t));
    case 'message-too-big':
      return rules.add(messageTooBigRule(e, entry, t));
    case 'slow-consumer':
      return rules.add(slowConsumerRule(e, entry, t, serverOpen()));
    case 'server-close':
      applyServerClose(e, entry, serverOpen());
      return () => {};
    case 'request-reset':
      return rules.add(requestResetRule(e, entry, t), true);
    case 'bad-body':
      return rules.add(badBodyRule(e, entry, t), true);
    case 'retry-after':
      return rules.add(retryAfterRule(e, entry, t), true);
    default:
      return undefined;
  }
}

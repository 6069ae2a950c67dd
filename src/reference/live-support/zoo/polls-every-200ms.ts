/**
 * Zoo: a widget that polls every 200 ms instead of every 2 s — a dropped zero in
 * `setInterval(pollMessages, 2000)`, or a "faster feels more responsive" tweak. The
 * source fixes the interval at 2 s (§ Fix 1, "Reduced polling from 3s → 2s"; § Step 5,
 * "Should NOT see increasing frequency"). LIVE-1 (at most one poll per 2 s − T) must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';

/** The widget's interval is 200 ms: ten polls where the protocol allows one. */
export const pollsEvery200ms: ClientVariant = {
  description: 'the widget polls every 200 ms instead of every 2 s (a dropped zero in setInterval): ten times the allowed rate',
  violates: ['LIVE-1'],
  create: (env) => createLiveSupportClient(env, { widget: { pollInterval: 200 } }),
};

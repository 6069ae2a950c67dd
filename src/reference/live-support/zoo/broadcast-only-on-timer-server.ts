/**
 * --server broadcast-only-on-timer — no immediate broadcast: a stored or replaced message
 * reaches the dashboards only with the 2 s background cycle.
 *
 * Where it comes from: the source's Problem 3 ("No Immediate Updates": "Both systems
 * waited for their polling intervals") — the backend before Fix 3 added the
 * `asyncio.create_task(manager.broadcast(...))` to the send endpoints. The reference's
 * `broadcastOnChange` decision is replaced by one that starts nothing.
 *
 * What it breaks: the server requirement LIVE-5 (every stored message is sent to every
 * subscribed dashboard within A), never a client requirement.
 */
import type { LiveServerVariant } from '../server.js';

/** The variant, as registered in variants.ts. */
export const broadcastOnlyOnTimerServer: LiveServerVariant = {
  description:
    'no immediate broadcast on send: the dashboard learns of a message only from the 2 s background cycle (the source\u2019s Problem 3)',
  breaks: ['LIVE-5'],
  decisions: { broadcastOnChange: () => [] },
};

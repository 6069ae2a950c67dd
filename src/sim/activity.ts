import type { Task } from './scheduler.js';

/**
 * Receives each task just before it runs. The isolation layer that runs client code in a
 * worker thread uses it to publish what the worker is doing, so that a client that stops
 * yielding can be named with its node, its task and the virtual time. One probe per
 * thread; unset (the default), it costs one property read per task.
 */
export const activity: { probe: ((task: Task) => void) | undefined } = { probe: undefined };

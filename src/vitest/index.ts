/**
 * lockstep inside a client team's own vitest run: {@link conformance} registers one
 * test per requirement; {@link lockstepMatchers} add trace assertions to `expect`.
 *
 * ```ts
 * import { expect } from 'vitest';
 * import { conformance, lockstepMatchers } from 'lockstep/vitest';
 * import { createClient } from './src/chat-client.js';
 * expect.extend(lockstepMatchers);
 * // Pass the factory itself (vitest compiles your TypeScript; lockstep, installed under
 * // node_modules, cannot import a `.ts` path); `name` makes the replay command runnable.
 * conformance({ protocol: 'chat', client: createClient, name: './src/chat-client.ts', runs: 200 });
 * ```
 * @module lockstep/vitest
 */
export {
  brokenRunsMessage,
  notExercisedMessage,
  checkConformance,
  conformance,
  requirementFailureMessage,
  shippedScenarioRoot,
  type ConformanceOptions,
} from './conformance.js';
export {
  findingOf,
  installLockstepMatchers,
  lockstepMatchers,
  traceEvents,
  type LockstepMatcherContext,
  type LockstepMatcherResult,
  type LockstepMatchers,
  type TraceLike,
} from './matchers.js';

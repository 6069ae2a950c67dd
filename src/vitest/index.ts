/**
 * lockstep inside a client team's own vitest run: {@link conformance} registers one
 * test per requirement; {@link lockstepMatchers} add trace assertions to `expect`.
 *
 * ```ts
 * import { expect } from 'vitest';
 * import { conformance, lockstepMatchers } from 'lockstep/vitest';
 * expect.extend(lockstepMatchers);
 * conformance({ protocol: 'chat', client: './src/chat-client.ts', runs: 200 });
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

/**
 * lockstep: a deterministic network simulator and conformance harness for realtime
 * protocols with a WebSocket primary channel and an HTTP polling / REST fallback.
 *
 * - the **kernel**: {@link Simulation} and everything it is made of (clock, random,
 *   network, faults, transports, {@link Trace});
 * - the **driver interface** a client under test implements: {@link ClientEnv},
 *   {@link ClientDriver}, {@link ClientFactory}, {@link defineClient};
 * - **scenarios** ({@link Scenario}, {@link loadScenarioFile}) and runs
 *   ({@link runScenario}, {@link checkClient}, {@link checkProperty});
 * - **requirements** and their findings ({@link Requirement}, {@link Finding});
 * - **reports** ({@link reporters}, {@link buildJsonReport}, {@link buildJunitXml},
 *   {@link mergeReports}).
 * @module lockstep
 */
export * from './sim/index.js';
export { defineClient, type ClientDriver, type ClientFactory, type ClientModule } from './conformance/driver.js';
export {
  loadScenarioFile,
  parseScenario,
  resolveScenario,
  ScenarioError,
  type ResolvedScenario,
  type Scenario,
  type ScenarioAction,
} from './conformance/scenario.js';
export { runScenario, type RunOptions, type RunResult } from './conformance/runner.js';
export {
  aggregateRuns,
  checkClient,
  exitCodeOf,
  inShard,
  scenarioFilesOf,
  shardSize,
  verdictLetters,
  type CheckOptions,
  type ClientCheckResult,
  type RequirementInfo,
  type RequirementResult,
  type RunFailure,
  type RunKind,
  type RunRecord,
  type ScenarioOutcome,
} from './conformance/check.js';
export { checkProperty, runFailed, type Counterexample, type FailurePolicy, type PropertyOptions, type PropertyOutcome, type RunVerdictInput } from './conformance/property.js';
export { inProcessExecutor, summaryOf, workerExecutor, type RunExecutor, type WorkerExecutorOptions } from './conformance/isolation/executor.js';
export { defaultLimits, limitFlags, type IsolationLimits } from './conformance/isolation/limits.js';
export type { ClientFault, RunSummary } from './conformance/isolation/messages.js';
export { PoolStartError } from './conformance/isolation/pool.js';
export {
  judge,
  type CheckContext,
  type Checker,
  type EvidenceMark,
  type Finding,
  type Level,
  type Requirement,
  type RunVerdict,
  type Verdict,
} from './conformance/requirement.js';
export type { ActionDef, ClientVariant, ParamType, PropertyModel, ProtocolDefinition, ServerVariant } from './conformance/protocol.js';
export { ClientSpecError, getProtocol, protocols, resolveClient, type ResolvedClient } from './conformance/registry.js';
export { clientSlug, readFailureRecord, type FailureRecord } from './conformance/failure-record.js';
export * from './conformance/reporters/index.js';

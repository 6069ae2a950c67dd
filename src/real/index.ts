/**
 * Real-socket mode (docs/real-socket-mode.md): a protocol's reference server over real
 * HTTP and WebSocket with the fault layer in front of it, the wall-clock trace, the
 * control endpoint, judging recorded traces, and running a JavaScript client module in
 * its own process against it.
 * @module
 */
export { RealServer, RealServerError, isLoopback, type RealServerOptions, type RealServerUrls } from './server.js';
export { defaultLimits, maxTimerMs, realScheduleProblems, type RealLimits } from './limits.js';
export { realFaultProblems, realScenarioProblems, unrealisable, unrealisableEntry } from './faults.js';
export {
  judgeTrace,
  scenarioFromTrace,
  snapshotRequirements,
  requestAttemptRequirements,
  deviceEventRequirements,
  checkResultOf,
  TraceJudgeError,
  type TraceJudgement,
  type JudgedRun,
} from './judge.js';
export { checkReal, defaultParallel, type RealCheckOptions } from './check-real.js';
export { realTimeScenario, applyProfile, afterHealBound, profiles, type ProfileName } from './profile.js';
export { expandScenarioPaths, ScenarioPathError, type ScenarioPath } from './scenario-paths.js';
export { ApiListener } from './listener.js';
export { openTraceFile, RealTrace, TraceFileError, TraceFileExists, TraceNotKept, type TraceFile } from './trace-file.js';
export { createRealClientWorld, Gate, MemoryStorage, type RealClientConfig, type RealClientWorld } from './client-env.js';
export {
  runRealClient,
  ControlClient,
  type ControlAction,
  type NextActionAnswer,
  type LockstepClientEnv,
  type RealClientRunOptions,
} from './client-runner.js';

/** Length and sha256 of a kernel trace. */
export interface TraceSummary {
  length: number;
  hash: string;
}

/** What one run of one implementation of a workload reports (besides its wall time, which the worker measures). */
export interface RunDetail {
  /** Virtual milliseconds the run covered. */
  simMs: number;
  /** Events (scheduler tasks) executed. */
  events: number;
  /** Kernel runs: the trace, which proves the full workload ran. */
  trace?: TraceSummary;
  /** Workload-specific counts (frames received, polls completed, …), checked by `verify`. */
  counts: Record<string, number>;
}

/**
 * The implementations a workload can be run on: `kernel` and `baseline` for the kernel
 * workloads; a workload may name its own (the property workloads run `1-worker` and
 * `N-workers`).
 */
export type ImplName = string;

/** What a run returns; `trace` is summarized (hashed) after the clock has stopped. */
export interface RunOutcome extends Omit<RunDetail, 'trace'> {
  trace?: () => TraceSummary;
}

/** Runs one implementation once, from setup to the end of the simulated work. */
export type RunFn = () => Promise<RunOutcome>;

/** One printed figure, with an optional target. */
export interface Figure {
  label: string;
  value: number;
  /** Printed after the value: `×`, `ms`, `MB`. */
  unit: string;
  /** Decimals to print (default: 0 for values ≥ 100, else 2). */
  digits?: number;
  target?: { op: '>=' | '<='; value: number };
  /** A short remark printed in the details section. */
  note?: string;
}

/** Samples of one implementation in a timing child. */
export interface ImplTiming {
  /** Wall ms of each timed run, in run order. */
  ms: number[];
  /** CPU ms (user + system, all threads of the process) of each timed run: far less
   * sensitive than wall time to other processes competing for the cores. */
  cpuMs: number[];
  /** Detail of every timed run. */
  details: RunDetail[];
}

/** What a timing child reports. */
export interface TimingResult {
  workload: string;
  warmup: number;
  /** How each timed run was prepared (see bench/worker.ts). */
  settle: string;
  impls: Partial<Record<ImplName, ImplTiming>>;
  maxRssKb: number;
}

/** What a memory child (one run of one implementation in a fresh process) reports. */
export interface MemoryResult {
  workload: string;
  impl: ImplName;
  /** rss after imports and setup of the process, before the run. */
  rssBeforeKb: number;
  /** Largest rss seen by a 2 ms sampler during the run. */
  rssSampledPeakKb: number;
  /** Peak resident set of the whole process, from `process.resourceUsage().maxRSS`. */
  maxRssKb: number;
  ms: number;
  cpuMs: number;
  detail: RunDetail;
}

/**
 * A benchmark workload. Child processes call `impls` (see bench/worker.ts); the
 * orchestrator (bench/run.ts) calls `measure`, which spawns the children it needs and
 * turns their samples into figures.
 */
export interface Workload {
  /** Short stable name, used on the worker command line. */
  name: string;
  /** One line saying what it simulates. */
  title: string;
  impls: Partial<Record<ImplName, RunFn>>;
  /** Throws if a run did not do the full workload (wrong counts). */
  verify(detail: RunDetail, impl: ImplName): void;
  measure(ctx: BenchContext): Promise<WorkloadReport>;
}

/** Helpers the orchestrator gives each workload. */
export interface BenchContext {
  runs: number;
  warmup: number;
  /** Runs every implementation of `workload` in one fresh child: warm-up, then `runs` interleaved timed runs
   * (`only` overrides both for a workload too heavy to repeat). */
  time(workload: string, only?: { runs: number; warmup: number }): Promise<TimingResult>;
  /** Runs one implementation once in a fresh child and reports its memory; repeated `runs` times (or `times`). */
  memory(workload: string, impl: ImplName, times?: number): Promise<MemoryResult[]>;
}

/** What a workload's `measure` returns: figures for the table, lines for the details section. */
export interface WorkloadReport {
  figures: Figure[];
  details: string[];
}

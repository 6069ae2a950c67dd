import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ClientCheckResult } from '../check.js';
import type { JsonReport } from './json.js';

/** What a reporter gets at the end of a run. */
export interface ReportContext {
  /** The finished report: from a check, or combined from shards by `lockstep merge`. */
  readonly report: JsonReport;
  /** The directory the report files are written to. */
  readonly dir: string;
  /**
   * The in-memory results, traces included, when the report comes straight from a
   * check; absent after a merge (a reporter that needs a trace then replays the
   * failure record).
   */
  readonly results?: readonly ClientCheckResult[];
  /** When the command started (JUnit's `timestamp`); absent: when the report is written. */
  readonly startedAt?: Date;
  /**
   * Set while the report folder is being written beside its final place (it is swapped in
   * when every file is written): paths in the report name `final`, the files are in `stage`.
   */
  readonly staged?: {
    /** The folder the user named. */
    readonly final: string;
    /** Where the files are until the swap. */
    readonly stage: string;
  };
}

/** A path named in a report, where it can be read right now (inside the stage while one is open). */
export function readablePath(ctx: Pick<ReportContext, 'staged'>, path: string): string {
  const s = ctx.staged;
  if (!s) return path;
  const rel = relative(s.final, resolve(path));
  return rel.startsWith('..') || isAbsolute(rel) ? path : join(s.stage, rel);
}

/**
 * One output format of `lockstep check --report DIR` and `lockstep merge`. Like a vitest
 * reporter: the hooks during a run are optional, and the reporter serializes its file at
 * the end of the run with {@link Reporter.render}.
 */
export interface Reporter {
  /** The name the command line selects it by (`json`, `junit`). */
  readonly name: string;
  /** The file it writes into the report directory (`report.json`, `junit.xml`). */
  readonly file: string;
  /** Called after each client's check, before the report is complete. */
  onClientResult?(result: ClientCheckResult): void | Promise<void>;
  /** The file's content for the finished report. */
  render(ctx: ReportContext): string | Promise<string>;
}

/** Creates a fresh reporter for one run. */
export type ReporterFactory = () => Reporter;

/**
 * Report formats behind one interface, chosen by name: `json` (report.json), `junit`
 * (junit.xml) and `html` (index.html). `lockstep check --report DIR` and `lockstep merge`
 * write every reporter's file unless `--reporter` names some.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-write.js';
import { join } from 'node:path';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import type { ReportContext, Reporter, ReporterFactory } from './types.js';

export * from './types.js';
export {
  buildJsonReport,
  jsonReporter,
  readJsonReport,
  reportProblems,
  reportVersion,
  serializeJsonReport,
  type ClientReport,
  type CounterexampleReport,
  type JsonReport,
  type PropertyReport,
  type ReportOptions,
  type ReportProblem,
  type ScenarioReport,
} from './json.js';
export { buildHtmlReport, collectFailures, htmlReporter, type HtmlFailure } from './html.js';
export type { StepKind, TimelineStep, TimelineWindow } from './html-timeline.js';
export { buildJunitXml, junitClassname, junitReporter, junitTestName, junitTimestamp, junitTimingNow, runsTestName, type JunitTiming } from './junit.js';
export { annotationLine, buildGithubAnnotations, githubAnnotations, inGithubActions, type Annotation } from './github.js';
export { compareRuns, mergeReports, type FailureCopy, type MergeInput, type MergeResult } from './merge.js';

/**
 * Reporters that print to stdout instead of writing a file, by the name `--reporter` uses
 * (`github`: workflow annotations, see {@link buildGithubAnnotations}).
 */
export const streamReporters = ['github'] as const;

/** Every reporter, by the name the command line uses. */
export const reporters: Readonly<Record<string, ReporterFactory>> = {
  json: jsonReporter,
  junit: junitReporter,
  html: htmlReporter,
};

/** Creates the named reporters (default: all of them, in the order of {@link reporters}). */
export function createReporters(names?: readonly string[]): Reporter[] {
  return (names ?? Object.keys(reporters)).map((name) => {
    const make = reporters[name];
    if (!make) throw new Error(`unknown reporter "${name}" (expected one of ${Object.keys(reporters).join(', ')})`);
    return make();
  });
}

/**
 * Renders every reporter's file into `ctx.dir` (the stage, while one is open); returns the
 * paths the files will have (in the final folder). Each file is written to a temporary
 * name and renamed, so none is ever half-written.
 */
export async function writeReports(ctx: ReportContext, list: readonly Reporter[] = createReporters()): Promise<string[]> {
  const dir = ctx.staged?.stage ?? ctx.dir;
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const r of list) {
    const path = join(dir, r.file);
    writeFileAtomic(path, await r.render(ctx), `report-${r.name}`);
    written.push(join(ctx.staged?.final ?? ctx.dir, r.file));
  }
  return written;
}

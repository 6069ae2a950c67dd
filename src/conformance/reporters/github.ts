/**
 * GitHub Actions workflow annotations (`::error title=…::…`): one per failed, violated
 * (SHOULD) or never-exercised (MUST) client requirement and one per client whose runs
 * broke, each with the evidence and the replay command. GitHub shows them on the run's
 * summary page and, when `file=` names a file of the pull request, on that file.
 * `lockstep check` prints them to stdout with `--reporter github`, or by itself when
 * `GITHUB_ACTIONS=true` and `--reporter` is not given (as vitest does).
 * @module
 */
import type { RequirementResult } from '../check.js';
import type { ClientReport, JsonReport } from './json.js';

/** One workflow command: its level, properties and message. */
export interface Annotation {
  /** `error` gates (the check exits non-zero for it); `warning` does not. */
  level: 'error' | 'warning';
  /** The annotation's title. */
  title: string;
  /** A file of the repository to attach it to (the client's module), when there is one. */
  file?: string;
  /** The text: requirement, evidence, replay command. */
  message: string;
}

// As @actions/core escapes them: data keeps its line breaks as %0A, properties also escape `:` and `,`.
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** An annotation as the workflow command line GitHub reads from stdout. */
export function annotationLine(a: Annotation): string {
  const props = [...(a.file ? [`file=${escapeProperty(a.file)}`] : []), `title=${escapeProperty(a.title)}`].join(',');
  return `::${a.level} ${props}::${escapeData(a.message)}`;
}

/** The client's module file, when the client is one (not `reference` or a `zoo:` variant). */
function clientFile(c: Pick<ClientReport, 'client'>): string | undefined {
  return c.client === 'reference' || c.client.startsWith('zoo:') ? undefined : c.client.replace(/\\/g, '/').replace(/^\.\//, '');
}

function requirementAnnotation(c: ClientReport, q: RequirementResult): Annotation | undefined {
  if (q.subject === 'server') return undefined;
  const who = `${c.protocol} / ${c.client}${c.server ? ` vs ${c.server}` : ''}`;
  const head = `${q.id} (${q.level}) ${q.text} [${q.source}]`;
  const file = clientFile(c);
  const at = (f: NonNullable<RequirementResult['firstFailure']>): string => `${f.run}${f.at !== undefined ? ` at ${(f.at / 1000).toFixed(3)} s` : ''}`;
  if (c.inconclusive.includes(q.id))
    return {
      level: 'error',
      title: `lockstep ${who}: ${q.id} INCONCLUSIVE (never exercised)`,
      ...(file ? { file } : {}),
      message: `${head}\nno run exercised it: ${q.notExercisedBecause ?? 'no run reached the situation it is about'}`,
    };
  if ((q.verdict !== 'fail' && q.verdict !== 'non-strict') || !q.firstFailure) return undefined;
  const f = q.firstFailure;
  return {
    level: q.verdict === 'fail' ? 'error' : 'warning',
    title: `lockstep ${who}: ${q.id} ${q.verdict === 'fail' ? 'FAIL' : 'NON-STRICT'}`,
    ...(file ? { file } : {}),
    message: [head, `first failure: ${at(f)} (${q.failed} of ${q.exercised} runs that exercised it failed)`, `evidence: ${f.evidence}`, ...(f.replay ? [`replay: ${f.replay}`] : [])].join('\n'),
  };
}

/** Why a client's runs broke (guard stops, client errors, invalid snapshots), when they did. */
function brokenAnnotation(c: ClientReport): Annotation | undefined {
  const lines: string[] = [];
  for (const s of c.scenarios) {
    if (s.stopped) lines.push(`scenario ${s.name}: stopped: ${s.stopped}`);
    if (s.error) lines.push(`scenario ${s.name}: ${s.error}`);
    if (s.invalidSnapshot !== undefined) lines.push(`scenario ${s.name}: invalid snapshot: ${s.invalidSnapshot}`);
    if (s.clientError !== undefined) lines.push(`scenario ${s.name}: client error: ${s.clientError}`);
  }
  const cx = c.property?.counterexample;
  const unexplained = cx?.failed.filter((id) => !c.requirements.some((q) => q.id === id)) ?? [];
  if (cx && unexplained.length) lines.push(`property run ${cx.foundAt} failed (${unexplained.join(', ')})${c.property?.replay ? `\nreplay: ${c.property.replay}` : ''}`);
  if (!lines.length) return undefined;
  const file = clientFile(c);
  return { level: 'error', title: `lockstep ${c.protocol} / ${c.client}: a run broke`, ...(file ? { file } : {}), message: lines.join('\n') };
}

/** Every annotation of a report, client by client in report order, requirements in catalogue order. */
export function githubAnnotations(report: Pick<JsonReport, 'clients'>): Annotation[] {
  return report.clients.flatMap((c) => [
    ...c.requirements.map((q) => requirementAnnotation(c, q)).filter((a): a is Annotation => a !== undefined),
    ...[brokenAnnotation(c)].filter((a): a is Annotation => a !== undefined),
  ]);
}

/** The workflow commands of a report, one per line (empty when nothing failed). */
export function buildGithubAnnotations(report: Pick<JsonReport, 'clients'>): string {
  return githubAnnotations(report).map(annotationLine).join('\n');
}

/** Whether annotations are printed without `--reporter github`: inside GitHub Actions. */
export function inGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

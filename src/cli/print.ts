import { outcomeWord, type ClientCheckResult, type RequirementResult } from '../conformance/check.js';
import type { Finding, Level } from '../conformance/requirement.js';
import { plain, verdictStyle, type Paint } from './style.js';

/** Formats virtual ms as seconds for people. */
export function secs(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`;
}

/** How a table is printed: colour, and the width to fit (absent: no limit, as in a log file). */
export interface TableStyle {
  /** Colours verdict words (default: none). */
  paint?: Paint;
  /** Columns of the terminal: the requirement text is cut to fit (never below 20 characters). */
  width?: number;
}

/** `text`, cut with an ellipsis to at most `max` characters. */
export function fit(text: string, max: number | undefined): string {
  return max === undefined || text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/**
 * How often the property runs exercised a requirement: `237/326 (73%)`; `-` when no
 * property run was aggregated (scenarios only).
 */
export function propertyRate(q: Pick<RequirementResult, 'exercisedInPropertyRuns' | 'propertyRuns'>): string {
  if (!q.propertyRuns) return '-';
  const n = q.exercisedInPropertyRuns ?? 0;
  return `${n}/${q.propertyRuns} (${Math.round((100 * n) / q.propertyRuns)}%)`;
}

/**
 * The per-requirement table of one client: the client's requirements, then (apart, under
 * their own heading) the server requirements, which never count toward the client's
 * verdict. Columns: the verdict; the runs that passed / failed / did not exercise it; how
 * many of the property runs exercised it; the requirement's text, cut to the width.
 */
export function requirementTable(r: Pick<ClientCheckResult, 'requirements'>, style: TableStyle = {}): string {
  const paint = style.paint ?? plain;
  const row = (q: RequirementResult) => [q.id, q.level, verdictWord(q.verdict), `${q.passed}/${q.failed}/${q.notExercised}`, propertyRate(q), q.text];
  const head = ['requirement', 'level', 'verdict', 'runs pass/fail/n-e', 'in property runs', 'text'];
  const client = r.requirements.filter((q) => q.subject !== 'server').map(row);
  const server = r.requirements.filter((q) => q.subject === 'server').map(row);
  const widths = head.map((h, i) => Math.max(h.length, ...[...client, ...server].map((cells) => cells[i]!.length)));
  const text = head.length - 1;
  const room = style.width === undefined ? undefined : Math.max(20, style.width - widths.slice(0, text).reduce((a, w) => a + w + 2, 0) - 1);
  const line = (cells: string[], isHead = false) =>
    cells
      .map((c, i) => {
        if (i === text) return fit(c, room);
        const padded = i === 3 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
        return i === 2 && !isHead ? paint(verdictStyle(c), padded) : padded;
      })
      .join('  ');
  const out = [paint('bold', line(head, true)), ...client.map((c) => line(c))];
  if (server.length)
    out.push(
      fit("server requirements (the server's behaviour: shown for information, never counted toward the client's verdict):", style.width),
      ...server.map((c) => line(c)),
    );
  return out.join('\n');
}

/** What the client never did, for a requirement no run exercised. */
export function neverExercisedText(q: Pick<RequirementResult, 'notExercisedBecause' | 'notExercised'>): string {
  if (q.notExercisedBecause !== undefined) return q.notExercisedBecause;
  return q.notExercised > 0
    ? 'no run reached the situation it is about'
    : 'no run judged it (no scenario lists it, or the client could not run)';
}

/**
 * Why a check is inconclusive: one line per MUST requirement no run exercised, saying what
 * the client never did, and how to proceed. Empty when the check is not inconclusive.
 */
export function inconclusiveDetails(r: Pick<ClientCheckResult, 'requirements' | 'inconclusive' | 'exitCode'>): string {
  const ids = r.inconclusive ?? [];
  const allowed = r.requirements.filter((q) => q.level === 'MUST' && q.subject !== 'server' && q.exercised === 0 && !ids.includes(q.id));
  const out: string[] = [];
  if (ids.length) {
    out.push(
      `${r.exitCode === 3 ? 'INCONCLUSIVE' : 'Also inconclusive'}: ${ids.length} MUST requirement${ids.length === 1 ? ' was' : 's were'} never exercised, so ${ids.length === 1 ? 'its' : 'their'} verdict is unknown:`,
    );
    for (const id of ids) {
      const q = r.requirements.find((x) => x.id === id)!;
      out.push(`  ${id}: ${neverExercisedText(q)}`);
    }
    out.push(
      `  A check passes only when every MUST requirement was exercised. Give the client a scenario or more --runs that reach ${ids.length === 1 ? 'it' : 'them'}; a client that knowingly lacks a feature names it with --allow-not-exercised ${ids.join(',')}.`,
    );
  }
  if (allowed.length)
    out.push(`Allowed to go unexercised (--allow-not-exercised): ${allowed.map((q) => `${q.id} (${neverExercisedText(q)})`).join('; ')}`);
  return out.join('\n');
}

/**
 * The one word for a verdict, the same in `check`, `run`, `replay` and `judge`: PASS, FAIL
 * (a MUST failed), NON-STRICT (a SHOULD was violated), NOT-EXERCISED.
 */
export function verdictWord(verdict: string): string {
  return verdict.toUpperCase();
}

/** A run's verdict on one requirement in the check's words: a failed SHOULD is NON-STRICT, as in the check's table. */
export function runVerdictWord(verdict: Finding['verdict'], level: Level | undefined): string {
  return verdict === 'fail' && level === 'SHOULD' ? 'NON-STRICT' : verdictWord(verdict);
}

/** Failures with their evidence and replay commands; broken runs; server notes; why the check is inconclusive. */
export function failureDetails(r: ClientCheckResult, paint: Paint = plain): string {
  const out: string[] = [];
  for (const q of r.requirements) {
    if (!q.firstFailure || q.subject === 'server') continue;
    const word = q.verdict === 'fail' ? 'FAIL' : 'NON-STRICT';
    out.push(
      `${q.id} ${paint(verdictStyle(word), word)}${q.verdict === 'fail' ? '' : ' (a SHOULD was violated)'}: first in ${q.firstFailure.run}${q.firstFailure.at !== undefined ? ` at ${secs(q.firstFailure.at)}` : ''}, ${q.failed} of ${q.exercised} runs that exercised it failed:`,
    );
    out.push(`  ${q.firstFailure.evidence}`);
    if (q.firstFailure.replay) out.push(`  replay: ${q.firstFailure.replay}`);
  }
  for (const s of r.scenarios) {
    if (s.stopped) out.push(`scenario ${s.name}: stopped: ${s.stopped}`);
    if (s.error) out.push(`scenario ${s.name}: ${s.error}`);
    if (s.invalidSnapshot !== undefined) out.push(`scenario ${s.name}: invalid snapshot: ${s.invalidSnapshot}`);
    if (s.clientError !== undefined) out.push(`scenario ${s.name}: client error: ${s.clientError}`);
    if (s.clientWarning !== undefined) out.push(`scenario ${s.name}: client error (warning only): ${s.clientWarning}`);
  }
  const cx = r.property?.counterexample;
  if (cx) {
    const shrunk = cx.shrunk ? `shrunk (${cx.shrinks} steps) to` : 'not shrunk (the client took the run down):';
    out.push(
      `property: found after ${cx.foundAt + 1} runs, ${shrunk} ${cx.scenario.faults.length} fault entries and ${cx.scenario.actions.length} actions; fails ${cx.failed.join(', ')}`,
    );
    out.push(`  faults: ${JSON.stringify(cx.scenario.faults)}`);
    if (cx.stopped) out.push(`  stopped: ${cx.stopped}`);
    if (cx.error) out.push(`  ${cx.error}`);
    if (cx.invalidSnapshot !== undefined) out.push(`  invalid snapshot: ${cx.invalidSnapshot}`);
    if (cx.clientError !== undefined) out.push(`  client error: ${cx.clientError}`);
    out.push(`  replay: ${r.property!.replay}`);
  }
  const server: string[] = [];
  for (const q of r.requirements) {
    if (q.subject === 'server' && q.firstFailure)
      server.push(`  ${q.id} (server) failed in ${q.firstFailure.run}: ${q.firstFailure.evidence}`);
  }
  for (const s of r.scenarios)
    for (const m of s.mismatches) server.push(`  scenario ${s.name}: ${m.requirement} (server) expected ${m.expected}, got ${m.got}`);
  if (server.length) out.push("Server notes (the server's behaviour, not charged to the client):", ...server);
  const inconclusive = inconclusiveDetails(r);
  if (inconclusive) out.push(inconclusive);
  return out.join('\n');
}

/** The closing line of one client's check: `chat / reference: INCONCLUSIVE (exit 3, 1.2 s)`. */
export function outcomeLine(r: Pick<ClientCheckResult, 'protocol' | 'client' | 'exitCode' | 'wallMs'>, paint: Paint = plain): string {
  const word = outcomeWord(r.exitCode);
  return `${r.protocol} / ${r.client}: ${paint(verdictStyle(word), word)} (exit ${r.exitCode}, ${(r.wallMs / 1000).toFixed(1)} s)`;
}

/** One finding line; given the requirement's level, a violated SHOULD reads NON-STRICT as in `check`. */
export function findingLine(f: Finding, level?: Level, paint: Paint = plain): string {
  const word = runVerdictWord(f.verdict, level);
  return `${f.requirement.padEnd(8)} ${paint(verdictStyle(word), word.padEnd(13))} ${f.at !== undefined ? `${secs(f.at).padStart(8)}  ` : ''}${f.evidence}`;
}

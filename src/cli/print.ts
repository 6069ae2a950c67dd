import { outcomeWord, type ClientCheckResult, type RequirementResult } from '../conformance/check.js';
import type { Finding } from '../conformance/requirement.js';

/** Formats virtual ms as seconds for people. */
export function secs(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The per-requirement table of one client, as plain text: the client's requirements, then
 * (apart, under their own heading) the server requirements, which never count toward the
 * client's verdict.
 */
export function requirementTable(r: Pick<ClientCheckResult, 'requirements'>): string {
  const row = (q: RequirementResult) => [
    q.id,
    q.level,
    q.verdict.toUpperCase(),
    String(q.exercised ?? q.passed + q.failed),
    `${q.passed}/${q.failed}/${q.notExercised}`,
    q.text,
  ];
  const head = ['requirement', 'level', 'verdict', 'exercised', 'pass/fail/n-e', 'text'];
  const client = r.requirements.filter((q) => q.subject !== 'server').map(row);
  const server = r.requirements.filter((q) => q.subject === 'server').map(row);
  const widths = head.map((h, i) => Math.max(h.length, ...[...client, ...server].map((cells) => cells[i]!.length)));
  const text = head.length - 1;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === text ? (c.length > 70 ? `${c.slice(0, 67)}...` : c) : i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ');
  const out = [line(head), ...client.map(line)];
  if (server.length)
    out.push(
      "server requirements (the server's behaviour: shown for information, never counted toward the client's verdict):",
      ...server.map(line),
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

/** Failures with their evidence and replay commands; broken runs; server notes; why the check is inconclusive. */
export function failureDetails(r: ClientCheckResult): string {
  const out: string[] = [];
  for (const q of r.requirements) {
    if (!q.firstFailure || q.subject === 'server') continue;
    out.push(
      `${q.id} ${q.verdict === 'fail' ? 'FAILED' : 'violated (SHOULD)'} in ${q.firstFailure.run}${q.firstFailure.at !== undefined ? ` at ${secs(q.firstFailure.at)}` : ''}:`,
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
export function outcomeLine(r: Pick<ClientCheckResult, 'protocol' | 'client' | 'exitCode' | 'wallMs'>): string {
  return `${r.protocol} / ${r.client}: ${outcomeWord(r.exitCode)} (exit ${r.exitCode}, ${(r.wallMs / 1000).toFixed(1)} s)`;
}

/** One finding line. */
export function findingLine(f: Finding): string {
  return `${f.requirement.padEnd(8)} ${f.verdict.toUpperCase().padEnd(13)} ${f.at !== undefined ? `${secs(f.at).padStart(8)}  ` : ''}${f.evidence}`;
}

import type { ClientCheckResult } from '../conformance/check.js';
import type { Finding } from '../conformance/requirement.js';

/** Formats virtual ms as seconds for people. */
export function secs(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`;
}

/** The per-requirement table of one client, as plain text. */
export function requirementTable(r: ClientCheckResult): string {
  const rows = r.requirements.map((q) => [q.id, q.level, q.verdict.toUpperCase(), `${q.passed}/${q.failed}/${q.notExercised}`, q.text]);
  const head = ['requirement', 'level', 'verdict', 'pass/fail/n-e', 'text'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  widths[4] = Math.min(widths[4]!, 70);
  const line = (cells: string[]) => cells.map((c, i) => (i === 4 ? (c.length > 70 ? `${c.slice(0, 67)}...` : c) : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** Failures with their evidence and replay commands. */
export function failureDetails(r: ClientCheckResult): string {
  const out: string[] = [];
  for (const q of r.requirements) {
    if (!q.firstFailure) continue;
    out.push(`${q.id} ${q.verdict === 'fail' ? 'FAILED' : 'violated (SHOULD)'} in ${q.firstFailure.run}${q.firstFailure.at !== undefined ? ` at ${secs(q.firstFailure.at)}` : ''}:`);
    out.push(`  ${q.firstFailure.evidence}`);
    if (q.firstFailure.replay) out.push(`  replay: ${q.firstFailure.replay}`);
  }
  for (const s of r.scenarios) {
    for (const m of s.mismatches) out.push(`scenario ${s.name}: ${m.requirement} expected ${m.expected}, got ${m.got}`);
    if (s.stopped) out.push(`scenario ${s.name}: stopped: ${s.stopped}`);
    if (s.error) out.push(`scenario ${s.name}: ${s.error}`);
  }
  const cx = r.property?.counterexample;
  if (cx) {
    out.push(`property: found after ${cx.foundAt + 1} runs, shrunk (${cx.shrinks} steps) to ${cx.scenario.faults.length} fault entries and ${cx.scenario.actions.length} actions; fails ${cx.failed.join(', ')}`);
    out.push(`  faults: ${JSON.stringify(cx.scenario.faults)}`);
    if (cx.stopped) out.push(`  stopped: ${cx.stopped}`);
    out.push(`  replay: ${r.property!.replay}`);
  }
  return out.join('\n');
}

/** One finding line. */
export function findingLine(f: Finding): string {
  return `${f.requirement.padEnd(8)} ${f.verdict.toUpperCase().padEnd(13)} ${f.at !== undefined ? `${secs(f.at).padStart(8)}  ` : ''}${f.evidence}`;
}

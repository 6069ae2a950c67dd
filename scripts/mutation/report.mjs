// Reading and merging the JSON reports of mutation runs (mutation-testing-report-schema).
import { readFileSync, writeFileSync } from 'node:fs';

/** The protocol's report folder. */
export const reportDir = (protocol) => `reports/mutation/${protocol}`;

/** Reads a JSON report, or explains what is missing. */
export function readReport(dir) {
  const file = `${dir}/mutation.json`;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: expected the JSON report of a mutation run, found ${e.code ?? e.message}`);
  }
}

const key = (file, m) =>
  `${file}:${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column}|${m.mutatorName}|${m.replacement}`;

/** Stryker `--mutate` ranges (0-based columns) that select exactly the report's surviving and uncovered mutants (and any nested in them). */
export function survivorRanges(report) {
  const out = [];
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const { start, end } = m.location;
      out.push(`${file}:${start.line}:${start.column - 1}-${end.line}:${end.column - 1}`);
    }
  }
  return [...new Set(out)];
}

/** Copies the results of a re-run into the full report, mutant by mutant (same place, mutator and replacement); returns how many changed. */
export function mergeInto(full, rerun) {
  const byKey = new Map();
  for (const [file, f] of Object.entries(rerun.files)) for (const m of f.mutants) byKey.set(key(file, m), m);
  let changed = 0;
  for (const [file, f] of Object.entries(full.files)) {
    f.mutants = f.mutants.map((m) => {
      const r = byKey.get(key(file, m));
      if (!r || r.status === 'Ignored') return m;
      if (r.status !== m.status) changed++;
      return { ...r, id: m.id };
    });
  }
  return changed;
}

/** Writes a merged report: the JSON, and the HTML page with the same report embedded. */
export function writeReport(dir, report, htmlTemplateDir) {
  writeFileSync(`${dir}/mutation.json`, JSON.stringify(report));
  const html = readFileSync(`${htmlTemplateDir}/index.html`, 'utf8');
  const marker = 'app.report = ';
  const start = html.lastIndexOf(marker);
  if (start < 0) throw new Error(`${htmlTemplateDir}/index.html: expected Stryker's HTML report (with "${marker}"), found another page`);
  const end = html.indexOf(';\n', start);
  writeFileSync(
    `${dir}/index.html`,
    html.slice(0, start + marker.length) + JSON.stringify(report).replace(/</g, '\\u003c') + html.slice(end),
  );
}

/** Counts by status, and the score Stryker shows: killed (with timed out) ÷ (killed + timed out + survived + no coverage). */
export function describe(report) {
  const counts = {};
  for (const f of Object.values(report.files)) for (const m of f.mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const valid = killed + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  const score = valid ? ((100 * killed) / valid).toFixed(1) : 'n/a';
  return `score ${score} % (${Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;
}

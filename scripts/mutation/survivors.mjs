// Lists the mutants of a protocol's last mutation run that no check killed, one a line
// (`node scripts/mutation/survivors.mjs meal-log`), for triage in docs/mutation.md.
import { readReport, reportDir } from './report.mjs';

const protocol = process.argv[2] ?? '';
let report;
try {
  report = readReport(reportDir(protocol));
} catch (e) {
  console.error(`${e.message} (run: npm run mutation -- ${protocol || '<protocol>'})`);
  process.exit(2);
}
for (const [name, f] of Object.entries(report.files)) {
  const lines = f.source.split('\n');
  for (const m of f.mutants) {
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const { start, end } = m.location;
    const original = lines[start.line - 1].slice(start.column - 1, start.line === end.line ? end.column - 1 : undefined).trim();
    console.log(
      `${m.status} #${m.id} ${name}:${start.line}:${start.column} ${m.mutatorName}: ${original.slice(0, 60)} -> ${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60)}`,
    );
  }
}

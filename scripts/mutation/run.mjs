// `npm run mutation [-- <protocol>... [--survivors] [--<stryker option> ...]]`: StrykerJS
// over each reference client, one protocol after another (docs/mutation.md). Reports land
// in reports/mutation/<protocol>/. `--survivors` re-tests only the mutants the last run
// left alive (after a checker or a scenario was sharpened) and merges the result into
// that report.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, mergeInto, readReport, reportDir, survivorRanges, writeReport } from './report.mjs';
import { protocols, targets } from './targets.mjs';

const args = process.argv.slice(2);
// Leading words are protocols; from the first option on, everything goes to Stryker (`--concurrency 1`, `--mutate <ranges>`).
const firstOption = args.findIndex((a) => a.startsWith('--'));
const asked = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption);
const survivorsOnly = options.includes('--survivors');
const strykerArgs = options.filter((a) => a !== '--survivors');
for (const p of asked) {
  if (!(p in targets)) {
    console.error(`npm run mutation: expected a protocol (${protocols.join(', ')}), found "${p}"`);
    process.exit(2);
  }
}
const chosen = asked.length ? asked : protocols;
// The package exports no path to its bin: resolve the package and step to bin/ from there.
const stryker = new URL('./bin/stryker.js', pathToFileURL(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json')))
  .pathname;
const config = new URL('./stryker.config.mjs', import.meta.url).pathname;

const summary = [];
let failed = false;
for (const protocol of chosen) {
  const started = performance.now();
  const line = survivorsOnly ? rerunSurvivors(protocol) : runAll(protocol);
  const minutes = (performance.now() - started) / 60000;
  summary.push(`${protocol}: ${line} (${minutes.toFixed(1)} min)`);
}
console.log(`\nMutation score per protocol (reports/mutation/<protocol>/index.html):\n${summary.map((s) => `  ${s}`).join('\n')}`);
process.exit(failed ? 1 : 0);

function stryke(protocol, extraArgs, env = {}) {
  const r = spawnSync(process.execPath, [stryker, 'run', config, ...extraArgs], {
    stdio: 'inherit',
    env: { ...process.env, ...env, LOCKSTEP_MUTATION_PROTOCOL: protocol },
  });
  if (r.status !== 0) failed = true;
  return r.status === 0 ? '' : `, stryker exit ${r.status}`;
}

function runAll(protocol) {
  const status = stryke(protocol, strykerArgs);
  try {
    return describe(readReport(reportDir(protocol))) + status;
  } catch {
    return `no report${status}`;
  }
}

function rerunSurvivors(protocol) {
  const dir = reportDir(protocol);
  const full = readReport(dir);
  // Survivors are matched by place: the mutated files must be those of the last run.
  const edited = Object.entries(full.files).filter(([file, f]) => !existsSync(file) || readFileSync(file, 'utf8') !== f.source);
  if (edited.length) {
    failed = true;
    return `--survivors: expected the mutated files of the last run, found ${edited.map(([f]) => f).join(', ')} changed since: run it in full`;
  }
  const ranges = survivorRanges(full);
  if (!ranges.length) return `${describe(full)}; nothing survived`;
  const rerunDir = `${dir}/rerun`;
  const status = stryke(protocol, [...strykerArgs, '--mutate', ranges.join(',')], { LOCKSTEP_MUTATION_OUT: rerunDir });
  if (status) return `re-run failed${status}`;
  const changed = mergeInto(full, readReport(rerunDir));
  writeReport(dir, full, rerunDir);
  rmSync(rerunDir, { recursive: true, force: true });
  return `${describe(full)}; ${changed} of ${ranges.length} re-tested mutants changed status`;
}

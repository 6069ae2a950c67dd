// StrykerJS over one reference client's decision code (scripts/mutation/targets.mjs),
// with `lockstep check` as the test: every shipped scenario of the protocol plus a fixed
// number of property runs under a fixed seed. Run through scripts/mutation/run.mjs
// (`npm run mutation`), which sets LOCKSTEP_MUTATION_PROTOCOL; see docs/mutation.md.
import { mutateFor, targets } from './targets.mjs';

const protocol = process.env.LOCKSTEP_MUTATION_PROTOCOL ?? '';
if (!(protocol in targets)) {
  throw new Error(`LOCKSTEP_MUTATION_PROTOCOL: expected one of ${Object.keys(targets).join(', ')}, found ${JSON.stringify(protocol)}`);
}
// Property runs per mutant and their seed: fixed, so the score is reproducible.
const runs = Number(process.env.LOCKSTEP_MUTATION_RUNS ?? targets[protocol].runs);
const seed = 1;
const concurrency = Math.min(2, Number(process.env.LOCKSTEP_MUTATION_CONCURRENCY ?? 2));
// run.mjs --survivors writes a re-run elsewhere, then merges it into the protocol's report.
const out = process.env.LOCKSTEP_MUTATION_OUT ?? `reports/mutation/${protocol}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // scripts/mutation/lockstep-runner.mjs: `lockstep check --protocol <p> --runs <runs>
  // --seed <seed> --workers 0` run inside Stryker's test-runner process (no Node start-up
  // per mutant), with mutant coverage. --workers 0: the client runs in that thread too; a
  // mutant that hangs it is stopped by Stryker's timeout.
  testRunner: 'lockstep',
  lockstep: { protocol, runs, seed },
  coverageAnalysis: 'perTest',
  // `lockstep` above is this runner's own option, not a typo.
  warnings: { unknownOptions: false },
  mutate: mutateFor(protocol),
  plugins: ['@stryker-mutator/*', ...['./lockstep-runner.mjs', './ignore-plumbing.mjs'].map((f) => new URL(f, import.meta.url).pathname)],
  ignorers: ['lockstep-plumbing'],
  // The sandbox needs only what `lockstep check` reads.
  ignorePatterns: [
    '/test',
    '/docs',
    '/bench',
    '/examples',
    '/dist',
    '/reports',
    '/asyncapi',
    '/.bench-build',
    '/.scratch',
    '/.ci',
    '/.stryker-tmp',
  ],
  tempDirName: `.stryker-tmp/${protocol}`,
  concurrency,
  // A shared 2-core machine: a slow run is not a hang.
  timeoutMS: 10000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'progress', 'clear-text'],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  incrementalFile: `${out}/incremental.json`,
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
};

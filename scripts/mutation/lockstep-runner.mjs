// A StrykerJS test runner whose one test is `lockstep check` of one protocol, run in the
// test-runner process itself through the CLI's `main()` — loaded once, so a mutant costs
// only its check, not a Node start-up and a TypeScript load (about half of a check's CPU
// with the command runner). It reports mutant coverage, so Stryker skips mutants no check
// reaches ("no coverage") and reloads the process for mutants that act at module load.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { commonTokens, declareClassPlugin, PluginKind, tokens } from '@stryker-mutator/api/plugin';
import { DryRunStatus, MutantRunStatus, TestStatus, determineHitLimitReached } from '@stryker-mutator/api/test-runner';

const testId = 'lockstep check';

class LockstepRunner {
  static inject = tokens(commonTokens.options);

  constructor(options) {
    const o = options.lockstep ?? {};
    if (typeof o.protocol !== 'string' || !Number.isInteger(o.runs) || !Number.isInteger(o.seed)) {
      throw new Error(`stryker config: expected lockstep: { protocol, runs, seed }, found ${JSON.stringify(options.lockstep)}`);
    }
    /** The check that is the test: every shipped scenario plus `runs` property runs. */
    this.args = ['check', '--protocol', o.protocol, '--runs', String(o.runs), '--seed', String(o.seed), '--workers', '0'];
    /** The same scenarios without property runs: a cheap first pass (no runs, no shrinking). */
    this.scenariosOnly = ['check', '--protocol', o.protocol, '--runs', '0', '--workers', '0'];
  }

  capabilities() {
    // A fresh process for a mutant that must be active while the modules load.
    return { reloadEnvironment: false };
  }

  /** Loaded on first use, after the active mutant is set: a static mutant is then in force while the modules load. */
  async main() {
    if (!this.loaded) {
      // As bin/lockstep.js does: a guard or trap that fires inside the client's async code
      // leaves a rejection nobody handles, and the run has already stopped on it. Stryker's
      // own handler would log it with a real `new Date()` — which lockstep's traps, active
      // while the client runs in this thread, stop as nondeterminism, killing the process.
      process.removeAllListeners('unhandledRejection');
      process.on('unhandledRejection', () => {});
      // An exception escaping the client's code (a listener rethrown on the next tick) ends
      // the `lockstep` process — a broken run: remembered here and reported as a kill.
      process.on('uncaughtException', (e) => {
        this.crash ??= e;
      });
      const { register } = await import('tsx/esm/api');
      register();
      this.loaded = (await import(pathToFileURL(join(process.cwd(), 'src/cli/main.ts')).href)).main;
    }
    return this.loaded;
  }

  async check(args = this.args) {
    const ns = (globalThis.__stryker__ ??= {});
    const main = await this.main();
    const lines = [];
    const table = [];
    ns.currentTestId = testId;
    const started = performance.now();
    let code;
    this.crash = undefined;
    try {
      code = await main(
        args,
        (s) => table.push(s),
        (s) => lines.push(s),
      );
    } finally {
      ns.currentTestId = undefined;
    }
    const ms = performance.now() - started;
    if (this.crash) return { code: 1, ms, message: `the process would have crashed: ${this.crash.message ?? this.crash}` };
    const should = failedShoulds(table.join('\n'));
    // A violated SHOULD leaves the exit code 0 (non-strict) but is a verdict the reference does not earn.
    if (code === 0 && should.length) return { code: 1, ms, message: `SHOULD failed: ${should.join(', ')}` };
    return { code, ms, message: `exit ${code}${lines.length ? `: ${lines.slice(-3).join(' | ')}` : ''}` };
  }

  async dryRun() {
    const ns = (globalThis.__stryker__ ??= {});
    ns.activeMutant = undefined;
    ns.mutantCoverage = { static: {}, perTest: {} };
    const r = await this.check();
    const base = { id: testId, name: `lockstep ${this.args.join(' ')}`, timeSpentMs: Math.round(r.ms) };
    return {
      status: DryRunStatus.Complete,
      tests: [r.code === 0 ? { ...base, status: TestStatus.Success } : { ...base, status: TestStatus.Failed, failureMessage: r.message }],
      mutantCoverage: ns.mutantCoverage,
    };
  }

  async mutantRun(options) {
    const ns = (globalThis.__stryker__ ??= {});
    ns.activeMutant = options.activeMutant.id;
    ns.hitLimit = options.hitLimit;
    ns.hitCount = options.hitLimit === undefined ? undefined : 0;
    // The scenarios are part of the full check, so a requirement they fail fails it too: a
    // mutant they kill is killed by the check, without drawing and shrinking property runs.
    // Only a failure counts here (exit 3 may just mean that only property runs exercise a MUST).
    let r = await this.check(this.scenariosOnly);
    if (r.code !== 1) r = await this.check();
    const hitLimit = determineHitLimitReached(ns.hitCount, ns.hitLimit);
    ns.activeMutant = undefined;
    ns.hitLimit = undefined;
    ns.hitCount = undefined;
    if (hitLimit) return { status: MutantRunStatus.Timeout, reason: hitLimit.reason };
    // Any exit but 0 is a verdict the reference does not earn: a failed MUST (1), a MUST no
    // longer exercised (3), a run that broke — or a failed SHOULD (above).
    if (r.code !== 0) return { status: MutantRunStatus.Killed, killedBy: [testId], failureMessage: r.message, nrOfTests: 1 };
    return { status: MutantRunStatus.Survived, nrOfTests: 1 };
  }
}

/** The client requirements at level SHOULD the check's table shows as failed (server requirements, listed after them, never count). */
function failedShoulds(text) {
  const client = text.replace(/\x1b\[[0-9;]*m/g, '').split(/^server requirements/m)[0];
  return [...client.matchAll(/^(\S+)\s+SHOULD\s+(?:FAIL|NON-STRICT)\b/gm)].map((m) => m[1]);
}

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, 'lockstep', LockstepRunner)];

import { beforeAll, describe, it } from 'vitest';
import {
  checkClient,
  checkRequirementIds,
  scenarioFilesOf,
  shippedScenarioRoot,
  type ClientCheckResult,
  type RequirementResult,
} from '../conformance/check.js';
import type { GuardLimits } from '../sim/guard-limits.js';
import type { ClientFactory, ClientModule } from '../conformance/driver.js';
import { getProtocol, protocols, resolveClient, type ResolvedClient } from '../conformance/registry.js';

/** What {@link conformance} runs. */
export interface ConformanceOptions {
  /** The protocol's name (`chat`, ...): one of the protocols lockstep ships. */
  protocol: string;
  /**
   * The client under test: a factory, a module declared with `defineClient`, or the same
   * strings `lockstep check --client` takes (`reference`, `zoo:<protocol>/<variant>`, a
   * module path). With a module path, the replay command in a failure message works as
   * printed; for a factory, give that path as {@link ConformanceOptions.name}.
   */
  client: ClientFactory | ClientModule | string;
  /** How the client is named in test names and failure records (default: the `client` string, or `client`). */
  name?: string;
  /** Property runs (default 100; 0: scenarios only). */
  runs?: number;
  /** Seed of the property runs (default 1). */
  seed?: number;
  /**
   * Scenario files to run: `true` (default) for every scenario lockstep ships for the
   * protocol, `false` for none, or a list of paths.
   */
  scenarios?: boolean | string[];
  /** A server variant to run against (default: the reference server). */
  server?: string;
  /** Run with the simulated world installed as globals (clients written against globals). */
  globals?: boolean;
  /**
   * A module (path, relative to the working folder) whose `handlers` or default export is
   * an array of msw handlers, put in front of each run's server as `--server-module` does:
   * what the handlers leave falls through to the server. Failure records and replay
   * commands carry it.
   */
  serverModule?: string;
  /** Where a shrunk counterexample's failure record is written (default `reports/failures`). */
  failureDir?: string;
  /** Timeout of the whole check, ms (default 300 000). */
  timeout?: number;
  /**
   * MUST requirements the client knowingly does not exercise (a feature it lacks). Any
   * other MUST requirement no run exercises is a failing test: the check could not tell
   * whether the client meets it. Unknown ids throw.
   */
  allowNotExercised?: string[];
  /** Guard limits for every run, by name (`{ 'timer-storm': 2000 }`), as `--guard` sets them. */
  guards?: GuardLimits;
}

export { shippedScenarioRoot } from '../conformance/check.js';

async function resolve(o: ConformanceOptions): Promise<ResolvedClient> {
  if (typeof o.client === 'string') {
    const r = await resolveClient(o.client, o.protocol);
    return o.name ? { ...r, name: o.name } : r;
  }
  const protocol = getProtocol(o.protocol);
  if (typeof o.client === 'function') return { protocol, factory: o.client, name: o.name ?? 'client' };
  if (o.client.protocol !== o.protocol)
    throw new Error(`the client module is for protocol "${o.client.protocol}", but conformance() was given protocol "${o.protocol}"`);
  return { protocol, factory: o.client.createClient as ClientFactory, name: o.name ?? 'client' };
}

/**
 * Runs the conformance check that {@link conformance} registers tests for, without
 * vitest: the protocol's scenarios and property runs, aggregated per requirement.
 */
export async function checkConformance(o: ConformanceOptions): Promise<ClientCheckResult> {
  const client = await resolve(o);
  const scenarioFiles =
    o.scenarios === false ? [] : Array.isArray(o.scenarios) ? o.scenarios : scenarioFilesOf(client.protocol.name, shippedScenarioRoot);
  return checkClient(
    {
      client,
      runs: o.runs ?? 100,
      seed: o.seed ?? 1,
      scenarioFiles,
      failureDir: o.failureDir ?? 'reports/failures',
      server: o.server,
      globals: o.globals,
      ...(o.serverModule !== undefined ? { serverModule: o.serverModule } : {}),
      allowNotExercised: o.allowNotExercised,
      guards: o.guards,
    },
    protocols,
  );
}

const secs = (ms: number | undefined) => (ms === undefined ? '' : ` at ${(ms / 1000).toFixed(3)} s`);

/**
 * The message a failing requirement's test fails with: what failed, where, the
 * evidence and the command that replays it.
 */
export function requirementFailureMessage(result: Pick<ClientCheckResult, 'client' | 'protocol'>, q: RequirementResult): string {
  const f = q.firstFailure;
  return [
    `${q.id} (${q.level}) ${q.verdict === 'fail' ? 'failed' : 'violated'} for ${result.protocol} client ${result.client}: ${q.text}`,
    ...(f
      ? [
          `  first failure: ${f.run}${secs(f.at)}${f.seq !== undefined ? ` (trace step ${f.seq})` : ''}`,
          `  evidence: ${f.evidence}`,
          ...(f.replay ? [`  replay: ${f.replay}`] : []),
        ]
      : []),
    `  runs: ${q.passed} passed, ${q.failed} failed, ${q.notExercised} not exercised`,
    `  source: ${q.source}`,
  ].join('\n');
}

/**
 * The message of a MUST requirement no run exercised: what the client never did, and how
 * to proceed. The check cannot tell whether the client meets it, so its test fails.
 */
export function notExercisedMessage(result: Pick<ClientCheckResult, 'client' | 'protocol'>, q: RequirementResult): string {
  return [
    `${q.id} (${q.level}) was never exercised for ${result.protocol} client ${result.client}, so the check is inconclusive: ${q.text}`,
    `  never exercised: ${q.notExercisedBecause ?? 'no run reached the situation it is about'}`,
    `  runs: ${q.exercised} exercised it, ${q.notExercised} did not`,
    `  Add a scenario or more runs that reach it; if the client knowingly lacks the feature, pass allowNotExercised: ['${q.id}'].`,
    `  source: ${q.source}`,
  ].join('\n');
}

/** Why a check's runs broke (guard stops, client errors, invalid snapshots), or undefined. */
export function brokenRunsMessage(result: ClientCheckResult): string | undefined {
  const lines: string[] = [];
  for (const s of result.scenarios) {
    if (s.stopped) lines.push(`  scenario ${s.name}: stopped: ${s.stopped}`);
    if (s.error) lines.push(`  scenario ${s.name}: ${s.error}`);
    if (s.invalidSnapshot !== undefined) lines.push(`  scenario ${s.name}: invalid snapshot: ${s.invalidSnapshot}`);
    if (s.clientError !== undefined) lines.push(`  scenario ${s.name}: client error: ${s.clientError}`);
  }
  const cx = result.property?.counterexample;
  if (cx && cx.failed.some((f) => f.startsWith('guard:') || f === 'client-error' || f === 'invalid-snapshot')) {
    lines.push(
      `  property run ${cx.foundAt}: ${cx.failed.join(', ')}${cx.stopped ? ` (${cx.stopped})` : ''}${cx.error ? ` (${cx.error})` : ''}${cx.invalidSnapshot !== undefined ? ` (${cx.invalidSnapshot})` : ''}${cx.clientError !== undefined ? ` (${cx.clientError})` : ''}`,
      `  replay: ${result.property?.replay}`,
    );
  }
  return lines.length ? `${result.protocol} client ${result.client}: runs broke\n${lines.join('\n')}` : undefined;
}

/**
 * Registers the conformance suite of one client in the current vitest file: a `describe`
 * with one test per requirement of the protocol (named `<id> <sentence>`) and one test
 * that every run completed. The check itself runs once, in `beforeAll`. A failed MUST
 * fails its test with the evidence and the replay command; a MUST requirement no run
 * exercised fails its test too, saying what the client never did (unless
 * `allowNotExercised` names it: then it is skipped, as an unexercised SHOULD is); a
 * violated SHOULD passes with an annotation. A server requirement (the server's
 * behaviour) passes, annotated with its verdict: it is never the client's failure.
 *
 * ```ts
 * import { conformance } from 'lockstep/vitest';
 * import { createClient } from '../src/chat-client.js';
 * conformance({ protocol: 'chat', client: createClient, name: './src/chat-client.ts', runs: 200 });
 * ```
 */
export function conformance(o: ConformanceOptions): void {
  const protocol = getProtocol(o.protocol);
  checkRequirementIds(protocol, o.allowNotExercised ?? [], 'conformance(): allowNotExercised');
  const label = o.name ?? (typeof o.client === 'string' ? o.client : 'client');
  describe(`lockstep ${protocol.name}: ${label}${o.server ? ` against server ${o.server}` : ''}${o.serverModule ? ` behind ${o.serverModule}` : ''}`, () => {
    let result: ClientCheckResult | undefined;
    beforeAll(async () => {
      result = await checkConformance(o);
    }, o.timeout ?? 300_000);
    for (const req of protocol.requirements) {
      it(`${req.id} ${req.text}`, async (ctx) => {
        const q = result!.requirements.find((x) => x.id === req.id)!;
        if (q.subject === 'server') {
          if (q.verdict !== 'pass') await ctx.annotate(`server requirement (not counted against the client): ${q.verdict}${q.firstFailure ? ` — ${q.firstFailure.evidence}` : ''}`, 'notice');
          return;
        }
        if (q.verdict === 'fail') throw new Error(requirementFailureMessage(result!, q));
        if (result!.inconclusive?.includes(q.id)) throw new Error(notExercisedMessage(result!, q));
        if (q.verdict === 'non-strict') await ctx.annotate(requirementFailureMessage(result!, q), 'warning');
        if (q.verdict === 'not-exercised')
          ctx.skip(`not exercised${q.level === 'MUST' ? ' (allowed)' : ''}: ${q.notExercisedBecause ?? `no run reached the situation ${q.id} is about`}`);
      });
    }
    it('every run completed (no guard stop, client error or invalid snapshot)', () => {
      const broken = brokenRunsMessage(result!);
      if (broken) throw new Error(broken);
    });
  });
}

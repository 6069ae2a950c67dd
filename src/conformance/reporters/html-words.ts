/**
 * The words of the HTML report, the same the terminal uses: verdicts PASS / FAIL /
 * NON-STRICT / NOT-EXERCISED, results PASS / FAIL / INCONCLUSIVE, and every count names
 * its noun (requirements, runs, clients).
 */
import type { ClientReport } from './json.js';

/** A requirement verdict as printed. */
export const verdictLabel: Record<string, string> = { pass: 'PASS', fail: 'FAIL', 'non-strict': 'NON-STRICT', 'not-exercised': 'NOT-EXERCISED' };

/** A client as named in the report (with its server variant, when not the reference). */
export const clientName = (c: ClientReport): string => `${c.client}${c.server ? ` vs server ${c.server}` : ''}`;

/** The element id of the i-th failure. */
export const failureId = (i: number): string => `failure-${i}`;

/** How many client requirements of a client ended in each state; inconclusive ones are MUST requirements never exercised. */
export interface RequirementCounts {
  /** FAIL. */
  failed: number;
  /** NON-STRICT (a SHOULD violated). */
  nonStrict: number;
  /** NOT-EXERCISED MUST requirements that make the result INCONCLUSIVE. */
  inconclusive: number;
  /** Other NOT-EXERCISED requirements. */
  notExercised: number;
  /** PASS. */
  passed: number;
}

/** The requirement counts of one client (server requirements are not the client's and are left out). */
export function requirementCounts(c: ClientReport): RequirementCounts {
  const out: RequirementCounts = { failed: 0, nonStrict: 0, inconclusive: 0, notExercised: 0, passed: 0 };
  for (const q of c.requirements) {
    if (q.subject === 'server') continue;
    if (q.verdict === 'fail') out.failed++;
    else if (q.verdict === 'non-strict') out.nonStrict++;
    else if (q.verdict === 'pass') out.passed++;
    else if (c.inconclusive.includes(q.id)) out.inconclusive++;
    else out.notExercised++;
  }
  return out;
}

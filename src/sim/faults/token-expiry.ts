import type { ServerApp, ServerHost } from '../server-host.js';
import { FaultPlanError, type PlanProblem } from './validate.js';
import type { FaultPlan, TokenExpiryFault } from './plan.js';

/**
 * Applies a `token-expiry` entry: the server application is told, through its
 * `expireCredentials` hook, that credentials issued before `issuedBefore` (default `at`)
 * are no longer accepted. What a credential is, and which status or close code follows,
 * is the protocol's business, not the kernel's.
 */
export function startTokenExpiry(e: TokenExpiryFault, entry: number, server: ServerHost): void {
  const issuedBefore = e.issuedBefore ?? e.at;
  const epoch = server.env.Date.now() - server.env.now();
  server.expireCredentials({ issuedBefore, issuedBeforeTime: epoch + issuedBefore, node: e.node, entry });
}

/**
 * Rejects a plan with `token-expiry` entries when the server application has no
 * `expireCredentials` hook: such an entry would silently do nothing. `server` names the
 * server in the message (`chat's server`).
 */
export function checkTokenExpirySupport(plan: FaultPlan, app: ServerApp | undefined, source: string, server = 'the server'): void {
  if (app?.expireCredentials) return;
  const problems: PlanProblem[] = [];
  plan.forEach((e, i) => {
    if (e.kind === 'token-expiry')
      problems.push({
        entry: i,
        field: 'kind',
        expected: `a fault kind the server supports (${server} does not support token-expiry: its application has no expireCredentials hook)`,
        found: 'token-expiry',
      });
  });
  if (problems.length > 0) throw new FaultPlanError(problems, source);
}

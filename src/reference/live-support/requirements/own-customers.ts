import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, identityAt, list, plural } from './model.js';
import { shownUsers } from './shown.js';

/**
 * LIVE-4: no snapshot of a dashboard node, while it has a dashboard identity, shows a
 * customer whose owner (as the server logged it) is not that identity — nor a customer
 * the server never had. The identity comes from the user's `connectDashboard`, never from
 * the snapshot. Exercised by every such snapshot that shows at least one customer.
 */
export const checkOwnUsersOnly = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, timeline] of m.snapshots) {
    for (const snap of timeline) {
      const me = identityAt(m, node, snap.seq)?.user;
      if (me === undefined) continue;
      const users = shownUsers(snap.state);
      if (users.length === 0) continue;
      judged++;
      const foreign = users.filter((u) => m.owners.get(u.email) !== me);
      if (foreign.length === 0) continue;
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `${node}, the dashboard of ${me}, showed ${plural(foreign.length, 'customer')} of other dashboard users at ${fmtTime(snap.t)}: ${list(foreign.map((u) => `${u.email} (${m.owners.get(u.email) ?? 'not a customer of the server'})`))}`,
      });
      break;
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'dashboard snapshot')} showed only the agent's own customers`,
    'no dashboard showed a customer',
  );
});

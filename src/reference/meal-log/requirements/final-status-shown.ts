import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime, snapshotAt, type Snapshot } from '../../../conformance/trace-query.js';
import { expiryOf, guarded, lostByRestart, missingExcused, plural, showsMeal, shownOf, type Submission } from './model.js';

/**
 * MEAL-4: each meal the server created for a node and finished (`meal.finished`) is shown
 * by that node with the same final status (by backend id or local id) in the snapshot in
 * force at `max(heal, finished) + B`; a submitted meal that the server never created by
 * `heal + B` fails too. A meal whose deadline falls after the end of the run is judged
 * only if the last snapshot already shows it final (a pass, never a failure). A meal the
 * server lost in a restart that lost its state (by the deadline) is not judged: the
 * server no longer has a status to show (a copy the client uploads again is a new meal,
 * judged in its turn). A client may give a meal up after a fault plan's edge answered its
 * upload with a 4xx other than 408 and 429: each such answer excuses one meal of its node
 * that never reached the server (as in MEAL-7). Faults no client can outlast: once a
 * `token-expiry` covers the node, the server answers it nothing but 401 and the protocol
 * has no way to get a new token — a meal whose deadline falls after the expiry is judged
 * only if the snapshot in force at the expiry already shows it final (a pass), and none of
 * its meals that never reached the server is blamed; a meal submitted in an incarnation
 * that ended in a restart after which the storage did not hold the outbox excuses one
 * meal that never reached the server (what was not uploaded by then is gone).
 */
export const checkFinalStatusShown = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const fin = new Map(m.finished.map((f) => [f.id, f]));
  for (const c of m.created) {
    if (c.node === undefined) continue;
    const f = fin.get(c.id);
    if (!f) continue;
    const timeline = m.snapshots.get(c.node) ?? [];
    const shows = (snap: Snapshot | undefined): boolean => showsMeal(snap?.state, c.id, c.localId, f.status);
    const deadline = Math.max(m.healAt, f.t) + m.bound;
    if (lostByRestart(m, c.seq, deadline)) continue;
    const expiry = expiryOf(m, c.node);
    if (expiry && deadline > expiry.t) {
      if (shows(snapshotAt(timeline, expiry.t))) judged++;
      continue;
    }
    if (deadline > m.endAt) {
      if (shows(timeline[timeline.length - 1])) judged++;
      continue;
    }
    judged++;
    const snap = snapshotAt(timeline, deadline);
    if (shows(snap)) continue;
    const shown = shownOf(snap?.state).find((x) => x.id === c.id || (c.localId !== undefined && x.localId === c.localId));
    v.push({
      at: deadline,
      text: `meal ${c.id} ("${c.rawInput ?? '?'}") was ${f.status} on the server at ${fmtTime(f.t)}, but at ${fmtTime(deadline)} (${fmtDuration(m.bound)} after ${f.t > m.healAt ? 'that' : 'the heal'}) ${c.node} showed it ${shown ? `as ${shown.status}` : 'not at all'}`,
    });
  }
  const never = new Map<string, Submission[]>();
  for (const s of m.submissions) {
    if (m.healAt + m.bound > m.endAt) continue;
    if (m.created.some((c) => c.node === s.node && c.rawInput === s.text)) continue;
    never.set(s.node, [...(never.get(s.node) ?? []), s]);
  }
  for (const [node, list] of never) {
    if (missingExcused(m, node, list.length)) continue;
    for (const s of list) {
      judged++;
      v.push({
        at: m.healAt + m.bound,
        text: `the meal "${s.text}" that ${s.node} submitted at ${fmtTime(s.t)} never reached the server (no meal.created by ${fmtTime(m.healAt + m.bound)})`,
      });
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'finished meal')} shown with the server's final status in time`,
    'no meal was finished on the server in time to be judged',
  );
});

import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime, snapshotAt, type Snapshot } from '../../../conformance/trace-query.js';
import { guarded, plural, showsMeal, shownOf } from './model.js';

/**
 * MEAL-4: each meal the server created for a node and finished (`meal.finished`) is shown
 * by that node with the same final status (by backend id or local id) in the snapshot in
 * force at `max(heal, finished) + B`; a submitted meal that the server never created by
 * `heal + B` fails too. A meal whose deadline falls after the end of the run is judged
 * only if the last snapshot already shows it final (a pass, never a failure).
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
  for (const s of m.submissions) {
    if (m.healAt + m.bound > m.endAt) continue;
    if (m.created.some((c) => c.node === s.node && c.rawInput === s.text)) continue;
    judged++;
    v.push({
      at: m.healAt + m.bound,
      text: `the meal "${s.text}" that ${s.node} submitted at ${fmtTime(s.t)} never reached the server (no meal.created by ${fmtTime(m.healAt + m.bound)})`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'finished meal')} shown with the server's final status in time`,
    'no meal was finished on the server in time to be judged',
  );
});

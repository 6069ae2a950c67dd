import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { disturbance, guarded, plural, req, type MealRequest, type Model } from './model.js';

/** A period in which the client must poll: it knows of a meal processing and has no verified socket. */
interface Period {
  from: number;
  fromSeq: number;
  to: number;
}

/**
 * MEAL-11: while the client knows (from the server's answers) of a meal processing and
 * none of its sockets is verified, it keeps a listing GET going: the first starts within
 * 5 s + T of the period's start (one already in flight counts), and after each ends — by
 * its answer, its failure, or at the latest 60 s + T after it started — the next starts
 * within 30 s + T. Time offline or in the background does not count: a disturbance
 * restarts the count at its end with 30 s + T.
 */
export const checkFallbackPolls = guarded((m) => {
  const v: Violation[] = [];
  let periods = 0;
  const wait = mealLogLimits.requestWait + m.T;
  const endOf = (g: MealRequest): number => Math.min(g.endAt, g.requestAt + wait);
  for (const inc of m.incarnations) {
    const node = inc.node;
    const gets = m.gets.filter((g) => g.node === node && inc.startSeq < g.requestSeq && g.requestSeq < inc.endSeq);
    // A deadline `span` after `t`, in time the app could act: a disturbance restarts the count at its end, with the longest gap.
    const due = (t: number, span: number): number => {
      let from = t;
      let s = span;
      for (;;) {
        const d = disturbance(m, node, from, from + s);
        if (d === undefined || d <= from) return from + s;
        from = d;
        s = Math.max(s, mealLogLimits.pollMax + m.T);
      }
    };
    for (const w of periodsOf(m, inc.node, inc.startSeq, inc.endSeq, Math.min(inc.end, m.endAt))) {
      periods++;
      let refSeq = w.fromSeq;
      const inFlight = gets.filter((g) => g.requestSeq < w.fromSeq && endOf(g) > w.from).sort((a, b) => endOf(b) - endOf(a))[0];
      let deadline = inFlight ? due(endOf(inFlight), mealLogLimits.pollMax + m.T) : due(w.from, mealLogLimits.pollInterval + m.T);
      let what = inFlight
        ? `its listing request ${req(inFlight)} (started at ${fmtTime(inFlight.requestAt)}) was in flight when a meal was processing with no verified socket at ${fmtTime(w.from)}`
        : `a meal was processing with no verified socket from ${fmtTime(w.from)}`;
      while (deadline < w.to) {
        const g = gets.find((x) => x.requestSeq > refSeq && x.requestAt <= deadline);
        if (!g) {
          v.push({ at: deadline, text: `${node} did not poll: ${what}, but no listing request started by ${fmtTime(deadline)}` });
          break;
        }
        refSeq = g.requestSeq;
        deadline = due(endOf(g), mealLogLimits.pollMax + m.T);
        what = `its last listing request (${req(g)}, started at ${fmtTime(g.requestAt)}) ${g.endAt <= g.requestAt + wait ? `ended at ${fmtTime(g.endAt)}` : `was still unanswered ${fmtDuration(wait)} later`}`;
      }
    }
  }
  return verdict(
    v,
    periods > 0,
    `${plural(periods, 'period')} with a meal processing and no verified socket, each covered by polling`,
    'the client never knew of a meal processing while it had no verified socket',
  );
});

/** The periods of one incarnation in which the client knew of a meal processing and had no verified socket. */
function periodsOf(m: Model, node: string, startSeq: number, endSeq: number, endAt: number): Period[] {
  const socks = m.sockets.filter((s) => s.node === node && startSeq < s.connectSeq && s.connectSeq < endSeq);
  const points: { t: number; seq: number }[] = m.knowledge.between(node, startSeq, endSeq).map((k) => ({ t: k.t, seq: k.seq }));
  for (const s of socks) {
    if (s.verifiedAt !== undefined && s.verifiedSeq !== undefined) points.push({ t: s.verifiedAt, seq: s.verifiedSeq });
    if (s.endSeq !== Infinity) points.push({ t: s.endAt, seq: s.endSeq });
  }
  points.sort((a, b) => a.seq - b.seq);
  const must = (p: { seq: number }): boolean =>
    m.knowledge.at(node, p.seq + 0.5).processing > 0 &&
    !socks.some((s) => s.verifiedSeq !== undefined && s.verifiedSeq <= p.seq && p.seq < s.endSeq);
  const out: Period[] = [];
  let open: { t: number; seq: number } | undefined;
  for (const p of points) {
    const c = must(p);
    if (c && !open) open = p;
    else if (!c && open) {
      out.push({ from: open.t, fromSeq: open.seq, to: p.t });
      open = undefined;
    }
  }
  if (open) out.push({ from: open.t, fromSeq: open.seq, to: endAt });
  return out;
}

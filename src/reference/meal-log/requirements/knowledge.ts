/**
 * What the server told each client about its meals, step by step (docs/protocols/meal-log.md,
 * "Definitions: the client's knowledge"). The truth comes from the server's side of the
 * trace — the meals it created and finished, and what each listing it served contained
 * — and reaches the client only through answers it received: a listing's answer, an
 * upload's answer, a pushed completion. A client's own view of itself (its snapshot)
 * plays no part: the polling rules judge what the client knew, not what it says. Where
 * the client may hold either of two beliefs (a pushed completion it may refresh instead
 * of reading; a listing a proxy delivered twice; a meal the server lost in a restart that
 * lost its state, missing from a listing that would have shown it), the meal is `maybe`:
 * the rule that forbids polling counts it as processing, the rule that demands polling
 * does not. Only answers that reached the client count (its `http.response`, not from the
 * edge): an answer lost on its way tells the client nothing.
 */
import * as q from '../../../conformance/trace-query.js';
import type { TraceEvent } from '../../../sim/trace.js';
import type { MealRequest, Push, Submission } from './model.js';

/** The client's knowledge after one step. */
export interface KnowledgeStep {
  t: number;
  seq: number;
  /** Meals it was told are processing (and not since that they are final). */
  processing: number;
  /**
   * Meals the client may believe either processing or final: a duplicated listing showed
   * them both ways, or a completion was pushed that no listing has confirmed yet.
   */
  maybe: number;
  /** A listing succeeded in this incarnation: the client knows every meal of the day. */
  complete: boolean;
  /** Submitted meals the client has not yet heard of from the server (no upload answer, no listing, no push). */
  pending: number;
}

/** What one listing's answer told the client, for adaptive polling. */
export type ListingEffect = 'changed' | 'new' | 'none' | 'ambiguous';

/** The knowledge of every node, and what each listing answer changed. */
export interface Knowledge {
  /** The knowledge of `node` just before step `seq`. */
  at(node: string, seq: number): KnowledgeStep;
  /** The knowledge steps of `node` in `(fromSeq, toSeq)`. */
  between(node: string, fromSeq: number, toSeq: number): KnowledgeStep[];
  /** What a successful listing's answer changed (by exchange id); absent when it did not succeed. */
  effect(exchange: string): ListingEffect | undefined;
}

type Status = 'processing' | 'completed' | 'failed' | 'maybe';

/** One copy of a listing as the server served it: the meals it showed, and the meals it would have shown had the server not lost them. */
interface Served {
  view: Map<string, 'processing' | 'completed' | 'failed'>;
  gone: Set<string>;
}

interface ServerMeal {
  node?: string;
  rawInput?: string;
  day?: string;
  status: 'processing' | 'completed' | 'failed';
}

interface Sources {
  events: readonly TraceEvent[];
  nodes: readonly string[];
  requests: readonly MealRequest[];
  /** Completion frames that arrived on a socket the client still had. */
  pushes: readonly Push[];
  submissions: readonly Submission[];
}

const isFinal = (s: Status | undefined): boolean => s === 'completed' || s === 'failed';

/** Replays the trace and records, per node, what the client knew after each step that changed it. */
export function buildKnowledge(src: Sources): Knowledge {
  const table = new Map<string, ServerMeal>();
  const rawOf = new Map<string, string | undefined>();
  const listings = new Map(src.requests.filter((r) => r.route === 'list' && r.method === 'GET').map((r) => [r.id, r]));
  const uploads = new Map(src.requests.filter((r) => r.route === 'submit' && r.method === 'POST').map((r) => [r.id, r]));
  const spoiled = new Set(src.requests.filter((r) => r.unreadable).map((r) => r.id));
  const served = new Map<string, Served[]>();
  /** Meals the server forgot in a restart that lost its state. */
  const lost = new Map<string, ServerMeal>();
  const uploaded = new Map<string, { id: string; status: ServerMeal['status'] }>();
  /** Completion frames by the `ws.recv` step that delivered them. */
  const pushes = new Map(src.pushes.map((p) => [p.seq, p]));

  const known = new Map<string, Map<string, Status>>();
  const complete = new Map<string, boolean>();
  const submitted = new Map<string, Map<string, number>>();
  const steps = new Map<string, KnowledgeStep[]>();
  const effects = new Map<string, ListingEffect>();
  for (const n of src.nodes) {
    known.set(n, new Map());
    complete.set(n, false);
    submitted.set(n, new Map());
    steps.set(n, []);
  }
  const subsBySeq = new Map(src.submissions.map((s) => [s.seq, s]));

  const record = (node: string, t: number, seq: number): void => {
    const k = known.get(node);
    const list = steps.get(node);
    if (!k || !list) return;
    let processing = 0;
    let maybe = 0;
    const heard = new Map<string, number>();
    for (const [id, st] of k) {
      if (st === 'processing') processing++;
      else if (st === 'maybe') maybe++;
      const raw = rawOf.get(id);
      if (raw !== undefined) heard.set(raw, (heard.get(raw) ?? 0) + 1);
    }
    let pending = 0;
    for (const [text, n] of submitted.get(node) ?? []) pending += Math.max(0, n - (heard.get(text) ?? 0));
    list.push({ t, seq, processing, maybe, complete: complete.get(node) ?? false, pending });
  };

  for (const e of src.events) {
    const node = q.str(e, 'node');
    switch (e.ev) {
      case 'server.restart':
        if (e.state !== undefined && e.state !== 'keep') {
          for (const [id, m] of table) lost.set(id, m);
          table.clear();
        }
        break;
      case 'server.log': {
        const id = q.str(e, 'id');
        if (e.msg === 'meal.created' && id !== undefined) {
          const request = q.str(e, 'request');
          const meal: ServerMeal = {
            node: request?.split('/')[0],
            rawInput: q.str(e, 'rawInput'),
            day: q.str(e, 'loggedAt')?.slice(0, 10),
            status: 'processing',
          };
          table.set(id, meal);
          rawOf.set(id, meal.rawInput);
          if (request !== undefined && !uploaded.has(request)) uploaded.set(request, { id, status: 'processing' });
        } else if (e.msg === 'meal.finished' && id !== undefined) {
          const m = table.get(id);
          const status = q.str(e, 'status');
          if (m && (status === 'completed' || status === 'failed')) m.status = status;
        } else if (e.msg === 'meal.duplicate' && id !== undefined) {
          const request = q.str(e, 'request');
          const status = table.get(id)?.status ?? (q.str(e, 'status') as ServerMeal['status'] | undefined) ?? 'processing';
          if (request !== undefined && !uploaded.has(request)) uploaded.set(request, { id, status });
        }
        break;
      }
      case 'http.serve': {
        const x = listings.get(q.str(e, 'id') ?? '');
        if (!x) break;
        const covers = (m: ServerMeal): boolean => m.node === x.node && (x.date === undefined || m.day === undefined || m.day === x.date);
        const view = new Map<string, ServerMeal['status']>();
        for (const [id, m] of table) if (covers(m)) view.set(id, m.status);
        const gone = new Set<string>();
        for (const [id, m] of lost) if (covers(m)) gone.add(id);
        served.set(x.id, [...(served.get(x.id) ?? []), { view, gone }]);
        break;
      }
      case 'http.response': {
        const id = q.str(e, 'id') ?? '';
        const status = q.num(e, 'status');
        // A body a bad-body fault spoiled tells the client nothing, although the server may have acted.
        if (status === undefined || status < 200 || status >= 300 || e.via === 'edge' || spoiled.has(id)) break;
        const listing = listings.get(id);
        const k = known.get(listing?.node ?? uploads.get(id)?.node ?? '');
        if (listing && k && served.has(id)) {
          effects.set(id, applyListing(k, served.get(id)!));
          complete.set(listing.node, true);
          record(listing.node, e.t, e.seq);
        } else if (uploads.has(id) && k && uploaded.has(id)) {
          const u = uploaded.get(id)!;
          if (!isFinal(k.get(u.id))) k.set(u.id, u.status);
          record(uploads.get(id)!.node, e.t, e.seq);
        }
        break;
      }
      case 'ws.recv': {
        // A pushed completion tells the client the meal is final — but the document's client
        // refreshes the listing instead of reading the payload, so until a listing confirms
        // it the meal may still be processing in the client's eyes.
        const p = pushes.get(e.seq);
        const k = p && known.get(p.node);
        if (!p || !k) break;
        if (!isFinal(k.get(p.id))) k.set(p.id, 'maybe');
        rawOf.set(p.id, rawOf.get(p.id) ?? table.get(p.id)?.rawInput);
        record(p.node, e.t, e.seq);
        break;
      }
      case 'client.restart':
        if (node !== undefined && known.has(node)) {
          known.get(node)!.clear();
          complete.set(node, false);
          record(node, e.t, e.seq);
        }
        break;
      case 'client.action': {
        const s = subsBySeq.get(e.seq);
        const counts = s && submitted.get(s.node);
        if (!s || !counts) break;
        counts.set(s.text, (counts.get(s.text) ?? 0) + 1);
        record(s.node, e.t, e.seq);
        break;
      }
    }
  }

  const initial = (): KnowledgeStep => ({ t: 0, seq: -1, processing: 0, maybe: 0, complete: false, pending: 0 });
  return {
    at(node, seq) {
      const list = steps.get(node) ?? [];
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.seq < seq) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? initial() : list[lo - 1]!;
    },
    between(node, fromSeq, toSeq) {
      return (steps.get(node) ?? []).filter((s) => s.seq > fromSeq && s.seq < toSeq);
    },
    effect: (exchange) => effects.get(exchange),
  };
}

/**
 * Applies a listing's answer. With a request a proxy delivered twice, the client got one
 * of the answers: a meal the copies show differently is `maybe`. A meal the client was
 * told about that the server has since lost (a restart that lost its state) and that the
 * listing would show is `maybe` too: the client may keep it as it was, or drop it as the
 * server no longer lists it.
 */
function applyListing(k: Map<string, Status>, copies: readonly Served[]): ListingEffect {
  const ids = new Set(copies.flatMap((c) => [...c.view.keys(), ...[...c.gone].filter((id) => k.has(id))]));
  let changed = false;
  let added = false;
  let ambiguous = false;
  for (const id of ids) {
    const seen = new Set(copies.map((c) => c.view.get(id)).filter((s): s is ServerMeal['status'] => s !== undefined));
    const missed = copies.some((c) => c.gone.has(id));
    const next: Status = seen.size === 1 && !missed ? [...seen][0]! : 'maybe';
    const before = k.get(id);
    if (isFinal(before)) continue;
    if (next === 'maybe' || (before === 'maybe' && isFinal(next))) ambiguous = true;
    else if (isFinal(next)) changed = true;
    else if (before === undefined) added = true;
    k.set(id, next);
  }
  return changed ? 'changed' : ambiguous ? 'ambiguous' : added ? 'new' : 'none';
}

import type { TraceEvent } from '../../sim/trace.js';
import type { EvidenceMark } from '../requirement.js';
import { snapshotSummary } from './html-diff.js';
import { foldRepeats } from './html-fold.js';
import { traceIntervals } from './html-intervals.js';

/** What a timeline step is, for its colour and shape. */
export type StepKind = 'request' | 'response' | 'frame' | 'drop' | 'fault' | 'state' | 'action' | 'error' | 'info';

/** One step of a failure's timeline, placed on a lane (or drawn as an arrow between two lanes). */
export interface TimelineStep {
  /** Virtual time, ms. */
  t: number;
  /** Trace sequence number. */
  seq: number;
  /** The trace step's `ev`. */
  ev: string;
  /** The lane it starts on (a client node, `network` or `server`). */
  from: string;
  /** The lane an arrow ends on, when the step is a message. */
  to?: string;
  /** What it is. */
  kind: StepKind;
  /** Short text drawn on it. */
  label: string;
  /** The message never reached `to`'s side: the network lost it (drawn as an arrow that stops short). */
  lost?: boolean;
  /** A row standing for repeated steps folded away: how many, and the time of the last. */
  folded?: {
    /** Steps folded into this row. */
    count: number;
    /** Virtual time of the last folded step, ms. */
    until: number;
  };
}

/** A window of a failing run's trace, around the violating step. */
export interface TimelineWindow {
  /** The lanes, left to right: client nodes, `network`, `server`. */
  lanes: string[];
  /** The steps kept. */
  steps: TimelineStep[];
  /** Steps of the trace left out before and after the window. */
  omittedBefore: number;
  /** Steps left out after the window. */
  omittedAfter: number;
  /** The violating step's sequence number, when the finding names one and it is in the window. */
  highlight?: number;
  /**
   * Requests and sockets alive during the window, drawn as bars on their node's lane
   * (Jepsen-style): a request from `http.request` to its response or failure, a socket
   * from `ws.connect` to its close.
   */
  bars?: {
    /** The node's lane. */
    lane: string;
    /** The traced id (`c1/http#4`, `c1/ws#2`). */
    id: string;
    /** A request or a socket. */
    kind: 'request' | 'socket';
    /** Virtual time it started, ms. */
    start: number;
    /** Virtual time it ended, ms; absent: still alive at the end of the trace. */
    end?: number;
    /** Short text for its tooltip. */
    label: string;
  }[];
  /** Deadlines and intervals the violated requirement's checker named (see {@link EvidenceMark}). */
  marks?: EvidenceMark[];
  /** The client snapshot at (or last before) the violating step, with the one before it, for a diff. */
  snapshot?: {
    /** The client node. */
    node: string;
    /** Its trace sequence number. */
    seq: number;
    /** Its virtual time, ms. */
    t: number;
    /** The snapshot before it on the same node; absent: it is the first. */
    before?: unknown;
    /** The snapshot itself. */
    after: unknown;
  };
}

/** Steps kept before / after the violating step. */
export const windowBefore = 30;
/** Steps kept after the violating step. */
export const windowAfter = 12;

const cut = (s: string, n = 110): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const str = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The client node an id like `c1/http#3` belongs to. */
function nodeOf(f: Record<string, unknown>): string | undefined {
  if (typeof f.node === 'string') return f.node;
  if (typeof f.id === 'string' && f.id.includes('/')) return f.id.slice(0, f.id.indexOf('/'));
  return undefined;
}

/** Places one trace step on the lanes; undefined for steps the diagram leaves out (frame arrivals). */
export function stepOf(e: TraceEvent, keep = false): TimelineStep | undefined {
  const f = e as Record<string, unknown>;
  const node = nodeOf(f) ?? 'c1';
  const base = { t: e.t, seq: e.seq, ev: e.ev };
  const id = f.id === undefined ? '' : ` (${str(f.id)})`;
  switch (e.ev) {
    case 'ws.recv':
      return keep
        ? { ...base, from: f.dir === 'to-server' ? 'server' : node, kind: 'frame', label: `frame #${str(f.n)} arrives${id}` }
        : undefined;
    case 'client.random':
      return keep ? { ...base, from: node, kind: 'info', label: `Math.random draws: ${str(f.draws)}` } : undefined;
    case 'http.request':
      return { ...base, from: node, to: 'server', kind: 'request', label: `${str(f.method)} ${str(f.url)}${id}` };
    case 'http.serve':
      return { ...base, from: 'server', kind: 'info', label: `serves ${str(f.method)} ${str(f.path)}${f.dup ? ' DUPLICATE' : ''}` };
    case 'http.respond':
      return { ...base, from: 'server', to: node, kind: 'response', label: `${str(f.status)}${id}` };
    case 'http.edge':
      return { ...base, from: 'network', to: node, kind: 'fault', label: `edge answers ${str(f.status)} (fault entry ${str(f.entry)})` };
    case 'http.response':
      return { ...base, from: node, kind: 'response', label: `← ${str(f.status)}${f.via === 'edge' ? ' from the edge' : ''}${id}` };
    case 'http.fail':
    case 'http.refused':
    case 'http.lost':
    case 'http.discard':
      return { ...base, from: node, kind: 'error', label: `${e.ev.slice(5)}${f.reason ? `: ${str(f.reason)}` : ''}${id}` };
    case 'ws.connect':
      return { ...base, from: node, to: 'server', kind: 'request', label: `connect ${str(f.url)}${id}` };
    case 'ws.accept':
      return { ...base, from: 'server', to: node, kind: 'response', label: `accept${id}` };
    case 'ws.refuse':
      return { ...base, from: 'server', to: node, kind: 'error', label: `refuse ${str(f.status)}${id}` };
    case 'ws.send': {
      const toServer = f.dir === 'to-server';
      return {
        ...base,
        from: toServer ? node : 'server',
        to: toServer ? 'server' : node,
        kind: 'frame',
        label: `#${str(f.n)} ${str(f.data)}`,
      };
    }
    case 'ws.close':
    case 'ws.closing':
      return {
        ...base,
        from: f.side === 'server' ? 'server' : node,
        kind: 'info',
        label: `${e.ev.slice(3)} ${str(f.code)}${f.wasClean === false ? ' abnormal' : ''}${id}`,
      };
    case 'ws.open':
    case 'ws.fail':
    case 'ws.discard':
      return {
        ...base,
        from: node,
        kind: e.ev === 'ws.open' ? 'info' : 'error',
        label: `${e.ev.slice(3)}${f.reason ? `: ${str(f.reason)}` : ''}${id}`,
      };
    case 'ws.reset':
    case 'ws.half-open':
      return { ...base, from: 'network', kind: 'fault', label: `${e.ev}${id}` };
    case 'net.drop':
      return {
        ...base,
        from: 'network',
        kind: 'drop',
        label: `✕ dropped ${str(f.envelope)}${f.n !== undefined ? ` #${str(f.n)}` : ''}: ${str(f.reason)}${id}`,
      };
    case 'net.dup':
    case 'net.reorder':
    case 'net.hold':
    case 'net.release':
      return {
        ...base,
        from: 'network',
        kind: 'fault',
        label: `${e.ev.slice(4)} ${str(f.envelope)}${f.n !== undefined ? ` #${str(f.n)}` : ''}${id}`,
      };
    case 'fault.start':
    case 'fault.end': {
      const params = Object.entries(f).filter(([k]) => !['t', 'seq', 'ev', 'entry', 'kind'].includes(k));
      const rest = params.length ? ` ${params.map(([k, v]) => `${k}=${str(v)}`).join(' ')}` : '';
      return {
        ...base,
        from: 'network',
        kind: 'fault',
        label: `FAULT ${str(f.kind)} ${e.ev === 'fault.start' ? 'starts' : 'ends'} (entry ${str(f.entry)})${e.ev === 'fault.start' ? rest : ''}`,
      };
    }
    case 'client.snapshot':
      return { ...base, from: node, kind: 'state', label: `shows ${str(f.state)}` };
    case 'client.action':
      return { ...base, from: node, kind: 'action', label: `user: ${str(f.do)}${f.args ? ` ${str(f.args)}` : ''}` };
    case 'client.error':
      return { ...base, from: node, kind: 'error', label: `error in ${str(f.subject)}: ${str(f.message)}` };
    case 'client.snapshot-invalid':
      return { ...base, from: node, kind: 'error', label: `snapshot breaks the schema: ${str(f.field)}: expected ${str(f.expected)}, found ${str(f.found)}` };
    case 'client.restart':
      return { ...base, from: node, kind: 'state', label: `app restarted (incarnation ${str(f.incarnation)})` };
    case 'client.log':
      return { ...base, from: node, kind: 'info', label: `log: ${str(f.msg)}` };
    case 'storage.set':
    case 'storage.remove':
    case 'storage.clear':
      return { ...base, from: node, kind: 'state', label: `${e.ev} ${str(f.key)}` };
    case 'server.log':
      return { ...base, from: 'server', kind: 'info', label: `log: ${str(f.msg)}` };
    case 'server.error':
      return { ...base, from: 'server', kind: 'error', label: `error in ${str(f.subject)}: ${str(f.message)}` };
    case 'server.restart':
    case 'server.up':
      return {
        ...base,
        from: 'server',
        kind: 'fault',
        label: e.ev === 'server.up' ? 'server up' : `server restarts (down ${str(f.downtime)} ms)`,
      };
    case 'guard.stop':
      return { ...base, from: 'network', kind: 'error', label: `guard stopped the run: ${str(f.reason)} ${str(f.message)}` };
    default: {
      const rest = Object.entries(f).filter(([k]) => !['t', 'seq', 'ev'].includes(k));
      return {
        ...base,
        from: typeof f.node === 'string' ? f.node : 'network',
        kind: 'info',
        label: `${e.ev} ${rest.map(([k, v]) => `${k}=${str(v)}`).join(' ')}`,
      };
    }
  }
}

/** The dropped envelopes of a trace, by `id` and frame number: their arrows stop short of the receiver. */
function droppedOf(events: readonly TraceEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.ev !== 'net.drop') continue;
    const f = e as Record<string, unknown>;
    const env = str(f.envelope);
    if (env.includes('response')) out.add(`http.respond ${str(f.id)}`);
    else if (env.includes('request')) out.add(`http.request ${str(f.id)}`);
    else if (f.n !== undefined) out.add(`ws.send ${str(f.id)} ${str(f.n)} ${str(f.dir)}`);
  }
  return out;
}

/** Whether the message of step `e` was lost on the way. */
function isLost(e: TraceEvent, dropped: Set<string>): boolean {
  const f = e as Record<string, unknown>;
  if (e.ev === 'http.respond' || e.ev === 'http.request') return dropped.has(`${e.ev} ${str(f.id)}`);
  if (e.ev === 'ws.send') return dropped.has(`ws.send ${str(f.id)} ${str(f.n)} ${str(f.dir)}`);
  return false;
}

/** Rows to show at most after the violating step when marks reach further than {@link windowAfter}. */
export const windowAfterMax = 40;

/**
 * The steps of a trace around the violating step `seq` (the last steps when the finding
 * names none): at most {@link windowBefore} rows before and {@link windowAfter} after it
 * (up to {@link windowAfterMax} when a mark of the finding ends later), so a report with
 * many failures stays small. Runs of repeated traffic (ping/pong, a polling loop) are
 * folded into one row; a lost message is drawn as an arrow that stops short; a snapshot
 * row says what changed since the previous one.
 */
export function timelineWindow(
  events: readonly TraceEvent[],
  clients: readonly string[],
  seq: number | undefined,
  marks?: readonly EvidenceMark[],
): TimelineWindow {
  const dropped = droppedOf(events);
  const lastSnap = new Map<string, unknown>();
  let snapshot: TimelineWindow['snapshot'];
  const raw: TimelineStep[] = [];
  for (const e of events) {
    const s = stepOf(e, e.seq === seq);
    if (e.ev === 'client.snapshot') {
      const f = e as Record<string, unknown>;
      const node = nodeOf(f) ?? 'c1';
      const before = lastSnap.get(node);
      if (s) s.label = snapshotSummary(before, f.state);
      // The violating snapshot is shown as a diff against the one before it on its node.
      if (e.seq === seq) snapshot = { node, seq: e.seq, t: e.t, ...(before === undefined ? {} : { before }), after: f.state };
      lastSnap.set(node, f.state);
    }
    if (!s) continue;
    if (isLost(e, dropped)) {
      s.to = 'network';
      s.lost = true;
      s.kind = 'drop';
      s.label = `${s.label} ✕ lost`;
    }
    raw.push(s);
  }
  const all = foldRepeats(raw, seq);
  let at = seq === undefined ? -1 : all.findIndex((s) => s.seq >= seq);
  if (at === -1) at = all.length - 1;
  const start = Math.max(0, at - windowBefore);
  const reach = Math.max(-Infinity, ...(marks ?? []).map((m) => m.end ?? m.start));
  let end = Math.min(all.length, at + windowAfter + 1);
  while (end < all.length && end < at + windowAfterMax + 1 && all[end - 1]!.t < reach) end++;
  // The violating step keeps more of its text: it usually is the evidence.
  const steps = all.slice(start, end).map((s) => ({ ...s, label: cut(s.label, s.seq === seq ? 800 : 110) }));
  const lanes = [...clients];
  for (const s of steps) for (const l of [s.from, s.to]) if (l && l !== 'network' && l !== 'server' && !lanes.includes(l)) lanes.push(l);
  lanes.push('network', 'server');
  const highlight = seq !== undefined && steps.some((s) => s.seq === seq) ? seq : undefined;
  const count = (xs: TimelineStep[]): number => xs.reduce((n, s) => n + (s.folded ? s.folded.count : 1), 0);
  const from = steps[0]?.t ?? 0;
  const to = steps.length ? Math.max(...steps.map((s) => s.folded?.until ?? s.t)) : 0;
  const bars = traceIntervals(events).filter((b) => b.start <= to && (b.end ?? Infinity) >= from && lanes.includes(b.lane));
  return {
    lanes,
    steps,
    omittedBefore: count(all.slice(0, start)),
    omittedAfter: count(all.slice(end)),
    highlight,
    ...(bars.length ? { bars } : {}),
    ...(marks?.length ? { marks: [...marks] } : {}),
    ...(snapshot ? { snapshot } : {}),
  };
}

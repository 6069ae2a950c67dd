import { sampleLatency } from './latency.js';
import { resolveLink, resolveTimeouts, type LinkConfig, type NetworkConfig, type NetworkTimeouts } from './link.js';
import type { Random } from './random.js';
import type { Trace } from './trace.js';
import type { HoldMatch } from './faults/plan.js';

/** Direction of travel, relative to the client. */
export type Dir = 'to-server' | 'to-client';

/** What crosses the network. */
export type EnvelopeType = 'http.request' | 'http.response' | 'ws.connect' | 'ws.accept' | 'ws.frame' | 'ws.close';

/** The only thing that crosses the simulated network: one message between a client node and the server. */
export interface Envelope {
  /** The exchange or connection it belongs to (`c1/http#3`, `c1/ws#1`). */
  id: string;
  /** What it is. */
  type: EnvelopeType;
  /** The client node at one end (the server is the other). */
  node: string;
  /** Which way it travels. */
  dir: Dir;
  /** Its size on the wire (for bandwidth). */
  bytes: number;
  /** Request path (HTTP and upgrades) or the socket's path. */
  path?: string;
  /** Payload text, for hold matching (frames and bodies). */
  text?: string;
  /** Frame number within its connection and direction. */
  n?: number;
}

/** A rule a fault plan entry installs; removed when the entry's window ends. */
export interface ActiveRule {
  entry: number;
  node?: string;
  direction?: 'both' | Dir;
}
export interface RateRule extends ActiveRule {
  rate: number;
}
export interface SpikeRule extends ActiveRule {
  extra: number;
}
export interface IntermediaryRule extends ActiveRule {
  duplicate: number;
  reorder: number;
  drop: number;
}
/** An armed `hold`: catches the nth matching envelope. */
export interface HoldRule {
  entry: number;
  name: string;
  node?: string;
  match: HoldMatch;
  seen: number;
  /** Set once caught; `release` runs it. */
  held?: { envelope: Envelope; release: () => void };
  released: boolean;
  /** Called when the rule catches its envelope (a timed hold starts counting then). */
  onCatch?: () => void;
}

/** Whether a rule applies to `node`'s link in `dir`. */
export const appliesTo = (rule: ActiveRule, node: string, dir: Dir): boolean =>
  (rule.node === undefined || rule.node === node) && (rule.direction === undefined || rule.direction === 'both' || rule.direction === dir);

/**
 * The links between client nodes and the server and the fault rules in force on them,
 * independent of what keeps time: the simulated network (virtual time) and real-socket
 * mode (wall-clock time) both decide latency, loss, retransmissions, duplication, holds
 * and partitions here, so a fault plan means the same thing in both.
 */
export abstract class LinkRules {
  /** The OS-level timeouts, resolved from the config. */
  readonly timeouts: NetworkTimeouts;
  /** @internal Active `partition` rules, installed and removed by the fault engine. */
  readonly partitions: ActiveRule[] = [];
  /** @internal Active `drop` rules, installed and removed by the fault engine. */
  readonly drops: RateRule[] = [];
  /** @internal Active `delay-spike` rules, installed and removed by the fault engine. */
  readonly spikes: SpikeRule[] = [];
  /** @internal Active `duplicate` rules, installed and removed by the fault engine. */
  readonly duplicates: RateRule[] = [];
  /** @internal Active `ws-intermediary` rules, installed and removed by the fault engine. */
  readonly intermediaries: IntermediaryRule[] = [];
  /** @internal Active `hold` rules, installed and removed by the fault engine. */
  readonly holds: HoldRule[] = [];
  /** Client nodes without a network (`client-offline`). */
  readonly offline = new Set<string>();
  private readonly linkCache = new Map<string, LinkConfig>();
  private readonly busyUntil = new Map<string, number>();

  constructor(
    /** @internal Where `net.*` steps are recorded. */
    protected readonly trace: Trace,
    /** @internal The network's random stream (latency, loss, duplication). */
    protected readonly random: Random,
    /** The scenario's network settings. */
    readonly config: NetworkConfig,
  ) {
    this.timeouts = resolveTimeouts(config);
  }

  /** The current time of the clock this network runs on, ms. */
  protected abstract now(): number;

  /** The link configuration of `node` in `dir`. */
  link(node: string, dir: Dir): LinkConfig {
    const key = `${node}>${dir}`;
    let l = this.linkCache.get(key);
    if (!l) {
      l = resolveLink(this.config, node, dir);
      this.linkCache.set(key, l);
    }
    return l;
  }

  /** True while a partition cuts `node`'s link in `dir`. */
  isPartitioned(node: string, dir: Dir): boolean {
    if (this.offline.has(node)) return true;
    for (const p of this.partitions) if (appliesTo(p, node, dir)) return true;
    return false;
  }

  /** Records a lost envelope. */
  dropped(envelope: Envelope, reason: string, intermediary?: boolean): void {
    this.trace.record(this.now(), 'net.drop', {
      dir: envelope.dir,
      envelope: envelope.type,
      id: envelope.id,
      intermediary: intermediary || undefined,
      n: envelope.n,
      reason,
    });
  }

  /** @internal The delay until `envelope` arrives, and the time its last byte leaves the sender (bandwidth). */
  protected timing(envelope: Envelope, link: LinkConfig): { delay: number; sent: number } {
    const now = this.now();
    let delay = sampleLatency(link.latency, this.random);
    for (const s of this.spikes) if (appliesTo(s, envelope.node, envelope.dir)) delay += s.extra;
    let sent = now;
    if (link.bandwidth > 0) {
      const key = `${envelope.node}>${envelope.dir}`;
      const start = Math.max(now, this.busyUntil.get(key) ?? 0);
      sent = start + (envelope.bytes / link.bandwidth) * 1000;
      this.busyUntil.set(key, sent);
      delay += sent - now;
    }
    return { delay, sent };
  }

  /** @internal TCP hides loss as delay: each lost transmission costs one retransmission timeout, doubling. */
  protected retransmissions(node: string, dir: Dir, link: LinkConfig): number {
    let rate = link.loss;
    for (const d of this.drops) if (appliesTo(d, node, dir)) rate = 1 - (1 - rate) * (1 - d.rate);
    if (rate <= 0) return 0;
    let extra = 0;
    let rto = this.timeouts.retransmitTimeout;
    for (let i = 0; i < 8 && this.random.chance(rate); i++) {
      extra += rto;
      rto *= 2;
    }
    return extra;
  }

  /** @internal The opt-in buggy intermediary acting on this frame, if any. */
  protected intermediaryFor(envelope: Envelope): IntermediaryRule | undefined {
    if (envelope.type !== 'ws.frame') return undefined;
    for (const r of this.intermediaries) if (appliesTo(r, envelope.node, envelope.dir)) return r;
    return undefined;
  }

  /** @internal The hold that catches this envelope now (traced as `net.hold`), if any. */
  protected catchHold(envelope: Envelope): HoldRule | undefined {
    for (const h of this.holds) {
      if (h.held || h.released) continue;
      if (h.node !== undefined && h.node !== envelope.node) continue;
      if (!holdMatches(h.match, envelope)) continue;
      h.seen++;
      if (h.seen < (h.match.nth ?? 1)) continue;
      this.trace.record(this.now(), 'net.hold', {
        id: envelope.id,
        envelope: envelope.type,
        dir: envelope.dir,
        n: envelope.n,
        name: h.name,
        entry: h.entry,
      });
      h.onCatch?.();
      return h;
    }
    return undefined;
  }
}

/** Whether a hold's match catches `envelope`. */
export function holdMatches(m: HoldMatch, e: Envelope): boolean {
  if (m.envelope && m.envelope !== e.type) return false;
  if (m.direction && m.direction !== e.dir) return false;
  if (m.path && !pathMatches(m.path, e.path)) return false;
  if (m.contains && !(e.text ?? '').includes(m.contains)) return false;
  if (m.type) {
    const t = e.text;
    if (!t || !t.includes(m.type)) return false;
    try {
      const v = JSON.parse(t) as { type?: unknown };
      if (!v || v.type !== m.type) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Glob match of a request path (`*` matches anything), ignoring the query string. */
export function pathMatches(pattern: string, path: string | undefined): boolean {
  if (path === undefined) return false;
  const p = path.split('?')[0]!;
  if (!pattern.includes('*')) return p === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(p);
}

import { sampleLatency, typicalLatency } from '../sim/latency.js';
import { resolveLink, resolveTimeouts, type LinkConfig, type NetworkConfig, type NetworkTimeouts } from '../sim/link.js';
import { holdMatches, type ActiveRule, type Dir, type Envelope, type HoldRule } from '../sim/network.js';
import type { Random } from '../sim/random.js';
import type { Trace } from '../sim/trace.js';
import { hostTimers, type WallClock } from './clock.js';

interface RateRule extends ActiveRule {
  rate: number;
}
interface SpikeRule extends ActiveRule {
  extra: number;
}
interface IntermediaryRule extends ActiveRule {
  duplicate: number;
  reorder: number;
  drop: number;
}

/** One item travelling a {@link Pipe}: a traced envelope, or an internal frame (a protocol pong) with none. */
export interface PipeItem {
  envelope?: Envelope;
  deliver: () => void;
  hold?: HoldRule;
  /** Held back by a buggy intermediary: later items may overtake it. */
  late?: boolean;
}

/**
 * One direction of a real WebSocket connection as the fault layer carries it: items leave
 * in order and arrive in order, exactly once, after the link's delay (head-of-line), like
 * the kernel's TCP stream. A partition stalls it, a held item blocks everything behind
 * it, and a half-open ("dead") pipe swallows everything.
 */
export class Pipe {
  readonly queue: PipeItem[] = [];
  /** Items on the wire, by arrival time. */
  readonly inflight: { at: number; item: PipeItem }[] = [];
  /** Arrival time of the last item scheduled: nothing may arrive before it. */
  lastAt = 0;
  dead = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    readonly id: string,
    readonly node: string,
    readonly dir: Dir,
    readonly path: string,
  ) {}
}

const appliesTo = (rule: ActiveRule, node: string, dir: Dir): boolean =>
  (rule.node === undefined || rule.node === node) && (rule.direction === undefined || rule.direction === 'both' || rule.direction === dir);

/**
 * The links between real clients and the server application, in wall-clock time: the
 * scenario's latency, jitter, loss and bandwidth, and the network faults in force
 * (partitions, drops, delay spikes, duplicating proxies, buggy intermediaries, holds,
 * offline devices). It mirrors the kernel's {@link import('../sim/network.js').Network}
 * rule for rule — HTTP exchanges can be lost or duplicated, WebSocket frames only delayed
 * or stalled — and traces the same `net.*` steps.
 */
export class RealNetwork {
  readonly timeouts: NetworkTimeouts;
  readonly partitions: ActiveRule[] = [];
  readonly drops: RateRule[] = [];
  readonly spikes: SpikeRule[] = [];
  readonly duplicates: RateRule[] = [];
  readonly intermediaries: IntermediaryRule[] = [];
  readonly holds: HoldRule[] = [];
  /** Client nodes whose device is offline (`client-offline`). */
  readonly offline = new Set<string>();
  private readonly pipes = new Set<Pipe>();
  private readonly linkCache = new Map<string, LinkConfig>();
  private readonly busyUntil = new Map<string, number>();
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    private readonly clock: WallClock,
    private readonly trace: Trace,
    private readonly random: Random,
    readonly config: NetworkConfig,
  ) {
    this.timeouts = resolveTimeouts(config);
  }

  /** Runs `fn` after `ms` of wall-clock time, unless the network was shut down first. */
  later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const h = hostTimers.setTimeout(() => {
      this.pending.delete(h);
      if (!this.closed) fn();
    }, ms);
    this.pending.add(h);
  }

  /** Cancels everything still on its way (the run ended). */
  shutdown(): void {
    this.closed = true;
    for (const h of this.pending) hostTimers.clearTimeout(h);
    this.pending.clear();
    for (const p of this.pipes) hostTimers.clearTimeout(p.timer);
    this.pipes.clear();
  }

  link(node: string, dir: Dir): LinkConfig {
    const key = `${node}>${dir}`;
    let l = this.linkCache.get(key);
    if (!l) {
      l = resolveLink(this.config, node, dir);
      this.linkCache.set(key, l);
    }
    return l;
  }

  isPartitioned(node: string, dir: Dir): boolean {
    if (this.offline.has(node)) return true;
    for (const p of this.partitions) if (appliesTo(p, node, dir)) return true;
    return false;
  }

  dropped(envelope: Envelope, reason: string, intermediary?: boolean): void {
    this.trace.record(this.clock.now(), 'net.drop', {
      id: envelope.id,
      envelope: envelope.type,
      dir: envelope.dir,
      n: envelope.n,
      reason,
      intermediary: intermediary || undefined,
    });
  }

  /**
   * Carries one HTTP envelope: `deliver` runs after the link's delay, once, twice (a
   * duplicating proxy, requests only) or never (lost, traced as `net.drop`).
   */
  sendDatagram(envelope: Envelope, deliver: (duplicate: boolean) => void): void {
    const { node, dir } = envelope;
    if (this.isPartitioned(node, dir)) return this.dropped(envelope, this.offline.has(node) ? 'offline' : 'partition');
    const hold = this.catchHold(envelope);
    if (hold) {
      hold.held = { envelope, release: () => this.afterHold(envelope, deliver) };
      return;
    }
    this.afterHold(envelope, deliver);
  }

  private afterHold(envelope: Envelope, deliver: (duplicate: boolean) => void): void {
    const { node, dir } = envelope;
    if (this.isPartitioned(node, dir)) return this.dropped(envelope, this.offline.has(node) ? 'offline' : 'partition');
    const link = this.link(node, dir);
    if (this.random.chance(link.loss)) return this.dropped(envelope, 'loss');
    for (const d of this.drops)
      if (appliesTo(d, node, dir) && this.random.chance(d.rate)) return this.dropped(envelope, `drop (fault entry ${d.entry})`);
    let delay = this.timing(envelope, link).delay;
    if (this.random.chance(link.reorder)) delay += 2 * typicalLatency(link.latency) + 1;
    this.later(delay, () => deliver(false));
    if (envelope.type === 'http.request') {
      let dup = this.random.chance(link.duplicate);
      if (!dup) for (const d of this.duplicates) if (appliesTo(d, node, dir) && this.random.chance(d.rate)) dup = true;
      if (dup) {
        const again = delay + this.timing(envelope, link).delay;
        this.trace.record(this.clock.now(), 'net.dup', { id: envelope.id, envelope: envelope.type, dir });
        this.later(again, () => deliver(true));
      }
    }
  }

  openPipe(id: string, node: string, dir: Dir, path: string): Pipe {
    const p = new Pipe(id, node, dir, path);
    this.pipes.add(p);
    return p;
  }

  closePipe(p: Pipe): void {
    hostTimers.clearTimeout(p.timer);
    p.queue.length = 0;
    p.inflight.length = 0;
    this.pipes.delete(p);
  }

  /** Live pipes (for faults that act on connections). */
  livePipes(): Pipe[] {
    return [...this.pipes];
  }

  /** Sends one item on a pipe: in order, exactly once, after the head-of-line delay — or swallowed by a dead pipe. */
  send(pipe: Pipe, item: PipeItem): void {
    const env = item.envelope;
    if (pipe.dead) {
      if (env) this.dropped(env, 'half-open');
      return;
    }
    const ir = env ? this.intermediaryFor(env) : undefined;
    if (ir && env) {
      if (this.random.chance(ir.drop)) return this.dropped(env, `ws-intermediary (fault entry ${ir.entry})`, true);
      if (this.random.chance(ir.duplicate)) {
        this.trace.record(this.clock.now(), 'net.dup', { id: env.id, envelope: env.type, dir: env.dir, n: env.n, intermediary: true });
        pipe.queue.push({ envelope: env, deliver: item.deliver });
      }
      if (this.random.chance(ir.reorder)) {
        item.late = true;
        this.trace.record(this.clock.now(), 'net.reorder', { id: env.id, dir: env.dir, n: env.n, intermediary: true });
      }
    }
    const hold = env ? this.catchHold(env) : undefined;
    if (hold && env) {
      hold.held = { envelope: env, release: () => this.pump(pipe) };
      item.hold = hold;
    }
    pipe.queue.push(item);
    this.pump(pipe);
  }

  /** Moves queued items onto the wire until the pipe is blocked (partition or held item). */
  pump(pipe: Pipe): void {
    let moved = false;
    while (pipe.queue.length > 0) {
      if (pipe.dead) {
        for (const q of pipe.queue) if (q.envelope) this.dropped(q.envelope, 'half-open');
        pipe.queue.length = 0;
        break;
      }
      const head = pipe.queue[0]!;
      if (head.hold && !head.hold.released) break;
      if (this.isPartitioned(pipe.node, pipe.dir)) break;
      pipe.queue.shift();
      const link = this.link(pipe.node, pipe.dir);
      const now = this.clock.now();
      const { delay } = head.envelope ? this.timing(head.envelope, link) : { delay: sampleLatency(link.latency, this.random) };
      let at = Math.max(now + delay + this.retransmissions(pipe, link), pipe.lastAt);
      if (head.late) at += 2 * typicalLatency(link.latency) + 1;
      else pipe.lastAt = at;
      let i = pipe.inflight.length;
      while (i > 0 && pipe.inflight[i - 1]!.at > at) i--;
      pipe.inflight.splice(i, 0, { at, item: head });
      moved = true;
    }
    if (moved) this.arm(pipe);
  }

  pumpAll(): void {
    for (const p of this.pipes) this.pump(p);
  }

  /** Swallows everything queued or on the wire of a pipe that just went dead. */
  kill(pipe: Pipe): void {
    pipe.dead = true;
    hostTimers.clearTimeout(pipe.timer);
    pipe.timer = undefined;
    for (const f of pipe.inflight) if (f.item.envelope) this.dropped(f.item.envelope, 'half-open');
    pipe.inflight.length = 0;
    this.pump(pipe);
  }

  private arm(pipe: Pipe): void {
    hostTimers.clearTimeout(pipe.timer);
    pipe.timer = undefined;
    const first = pipe.inflight[0];
    if (!first || this.closed) return;
    pipe.timer = hostTimers.setTimeout(() => this.fire(pipe), first.at - this.clock.now());
  }

  private fire(pipe: Pipe): void {
    pipe.timer = undefined;
    // Timers have millisecond resolution: deliver what is due within the next millisecond.
    const now = this.clock.now() + 1;
    while (pipe.inflight.length > 0 && pipe.inflight[0]!.at <= now) {
      const { item } = pipe.inflight.shift()!;
      if (pipe.dead) {
        if (item.envelope) this.dropped(item.envelope, 'half-open');
        continue;
      }
      item.deliver();
    }
    this.arm(pipe);
  }

  /** The delay until `envelope` arrives (latency, delay spikes, bandwidth). */
  private timing(envelope: Envelope, link: LinkConfig): { delay: number } {
    const now = this.clock.now();
    let delay = sampleLatency(link.latency, this.random);
    for (const s of this.spikes) if (appliesTo(s, envelope.node, envelope.dir)) delay += s.extra;
    if (link.bandwidth > 0) {
      const key = `${envelope.node}>${envelope.dir}`;
      const start = Math.max(now, this.busyUntil.get(key) ?? 0);
      const sent = start + (envelope.bytes / link.bandwidth) * 1000;
      this.busyUntil.set(key, sent);
      delay += sent - now;
    }
    return { delay };
  }

  /** TCP hides loss as delay: each lost transmission costs one retransmission timeout, doubling. */
  private retransmissions(pipe: Pipe, link: LinkConfig): number {
    let rate = link.loss;
    for (const d of this.drops) if (appliesTo(d, pipe.node, pipe.dir)) rate = 1 - (1 - rate) * (1 - d.rate);
    if (rate <= 0) return 0;
    let extra = 0;
    let rto = this.timeouts.retransmitTimeout;
    for (let i = 0; i < 8 && this.random.chance(rate); i++) {
      extra += rto;
      rto *= 2;
    }
    return extra;
  }

  private intermediaryFor(envelope: Envelope): IntermediaryRule | undefined {
    if (envelope.type !== 'ws.frame') return undefined;
    for (const r of this.intermediaries) if (appliesTo(r, envelope.node, envelope.dir)) return r;
    return undefined;
  }

  private catchHold(envelope: Envelope): HoldRule | undefined {
    for (const h of this.holds) {
      if (h.held || h.released) continue;
      if (h.node !== undefined && h.node !== envelope.node) continue;
      if (!holdMatches(h.match, envelope)) continue;
      h.seen++;
      if (h.seen < (h.match.nth ?? 1)) continue;
      this.trace.record(this.clock.now(), 'net.hold', {
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

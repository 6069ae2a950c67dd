import { sampleLatency, typicalLatency } from '../sim/latency.js';
import type { NetworkConfig } from '../sim/link.js';
import { appliesTo, LinkRules, type Dir, type Envelope, type HoldRule } from '../sim/link-rules.js';
import type { Random } from '../sim/random.js';
import type { Trace } from '../sim/trace.js';
import { hostTimers, type WallClock } from './clock.js';
import { RealLiveRules } from './live-rules.js';

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

/**
 * The links between real clients and the server application, in wall-clock time: the
 * scenario's latency, jitter, loss and bandwidth, and the network faults in force
 * (partitions, drops, delay spikes, duplicating proxies, buggy intermediaries, holds,
 * offline devices). It mirrors the kernel's {@link import('../sim/network.js').Network}
 * rule for rule — HTTP exchanges can be lost or duplicated, WebSocket frames only delayed
 * or stalled — and traces the same `net.*` steps.
 */
export class RealNetwork extends LinkRules {
  /** The real-world fault rules in force (idle-timeout, flapping, message-too-big, slow-consumer, the HTTP edge kinds). */
  readonly live = new RealLiveRules();
  private readonly pipes = new Set<Pipe>();
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    private readonly clock: WallClock,
    trace: Trace,
    random: Random,
    config: NetworkConfig,
  ) {
    super(trace, random, config);
  }

  protected now(): number {
    return this.clock.now();
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
    this.live.clear();
    for (const h of this.pending) hostTimers.clearTimeout(h);
    this.pending.clear();
    for (const p of this.pipes) hostTimers.clearTimeout(p.timer);
    this.pipes.clear();
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
      let at = Math.max(now + delay + this.retransmissions(pipe.node, pipe.dir, link), pipe.lastAt);
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
}

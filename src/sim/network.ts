import { sampleLatency, typicalLatency } from './latency.js';
import { resolveLink, resolveTimeouts, type LinkConfig, type NetworkConfig, type NetworkTimeouts } from './link.js';
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
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

/** A frame waiting in a stream's send queue. */
export interface StreamItem {
  envelope: Envelope;
  deliver: () => void;
  /** Runs when the frame's bytes have left the sender (for `bufferedAmount`). */
  onWire?: () => void;
  hold?: HoldRule;
  /** Held back by a buggy intermediary: later frames may overtake it. */
  late?: boolean;
}

/** One direction of a TCP connection: frames leave in order and arrive in order, exactly once. */
export interface Stream {
  /** The connection (`c1/ws#1`). */
  readonly id: string;
  /** The client node at one end. */
  readonly node: string;
  /** Which way this stream carries frames. */
  readonly dir: Dir;
  /** The socket's path. */
  readonly path: string;
  /** The link it rides (resolved once: link settings do not change during a run). */
  link?: LinkConfig;
  /** @internal Frames sent and not yet delivered, in order. */
  queue: StreamItem[];
  /** Virtual time the last scheduled frame arrives: nothing may arrive before it. */
  lastAt: number;
  /** Half-open: the path is black-holed, frames vanish. */
  dead: boolean;
}

const appliesTo = (rule: ActiveRule, node: string, dir: Dir): boolean =>
  (rule.node === undefined || rule.node === node) && (rule.direction === undefined || rule.direction === 'both' || rule.direction === dir);

/**
 * The links between client nodes and the server, and the faults active on them.
 * HTTP envelopes can be lost, duplicated and reordered; WebSocket frames ride TCP
 * streams, so trouble shows up only as delay, stalls and connection loss (see
 * DESIGN.md, Fidelity) — unless an opt-in `ws-intermediary` fault says otherwise.
 */
export class Network {
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
  private readonly streams = new Set<Stream>();
  private readonly linkCache = new Map<string, LinkConfig>();
  private readonly busyUntil = new Map<string, number>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly trace: Trace,
    private readonly random: Random,
    /** The scenario's network settings. */
    readonly config: NetworkConfig,
  ) {
    this.timeouts = resolveTimeouts(config);
  }

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

  /**
   * Sends one HTTP envelope. `deliver` runs at the destination after the link's delay,
   * once, twice (duplicated) or never (lost); every outcome is traced.
   */
  sendDatagram(envelope: Envelope, deliver: (duplicate: boolean) => void): void {
    const { node, dir } = envelope;
    if (this.offline.has(node)) return this.dropped(envelope, 'offline');
    if (this.isPartitioned(node, dir)) return this.dropped(envelope, 'partition');
    const hold = this.catchHold(envelope);
    if (hold) {
      hold.held = {
        envelope,
        release: () => this.sendDatagramAfterHold(envelope, deliver),
      };
      return;
    }
    this.sendDatagramAfterHold(envelope, deliver);
  }

  private sendDatagramAfterHold(envelope: Envelope, deliver: (duplicate: boolean) => void): void {
    const { node, dir } = envelope;
    if (this.offline.has(node)) return this.dropped(envelope, 'offline');
    if (this.isPartitioned(node, dir)) return this.dropped(envelope, 'partition');
    const link = this.link(node, dir);
    if (this.random.chance(link.loss)) return this.dropped(envelope, 'loss');
    for (const d of this.drops)
      if (appliesTo(d, node, dir) && this.random.chance(d.rate)) return this.dropped(envelope, `drop (fault entry ${d.entry})`);
    let delay = this.delayFor(envelope, link);
    if (this.random.chance(link.reorder)) delay += 2 * typicalLatency(link.latency) + 1;
    const owner = dir === 'to-server' ? 'server' : node;
    this.scheduler.schedule(delay, owner, 'net', envelope.id, () => deliver(false));
    if (envelope.type === 'http.request') {
      let dup = this.random.chance(link.duplicate);
      if (!dup) for (const d of this.duplicates) if (appliesTo(d, node, dir) && this.random.chance(d.rate)) dup = true;
      if (dup) {
        const again = delay + this.delayFor(envelope, link);
        this.trace.record(this.scheduler.now, 'net.dup', { id: envelope.id, envelope: envelope.type, dir });
        this.scheduler.schedule(again, owner, 'net', envelope.id, () => deliver(true));
      }
    }
  }

  /** Opens one direction of a TCP connection. */
  openStream(id: string, node: string, dir: Dir, path: string): Stream {
    const s: Stream = { id, node, dir, path, queue: [], lastAt: 0, dead: false };
    this.streams.add(s);
    return s;
  }

  /** Forgets a finished stream (its connection closed at both ends). */
  closeStream(s: Stream): void {
    this.streams.delete(s);
    s.queue.length = 0;
  }

  /** Streams of live connections, for faults that act on sockets. */
  liveStreams(): Stream[] {
    return [...this.streams];
  }

  /**
   * Sends one frame on a stream: delivered in order, exactly once, after the head-of-line
   * delay. `onWire` runs once when its bytes leave the sender (also when they leave into
   * a black hole), never while the stream is blocked.
   */
  sendOnStream(stream: Stream, envelope: Envelope, deliver: () => void, onWire?: () => void): void {
    if (stream.dead) {
      this.leaves(stream, envelope, onWire, this.scheduler.now);
      return this.dropped(envelope, 'half-open');
    }
    const item: StreamItem = { envelope, deliver, onWire };
    const ir = this.intermediaryFor(envelope);
    if (ir) {
      if (this.random.chance(ir.drop)) {
        this.leaves(stream, envelope, onWire, this.scheduler.now);
        return this.dropped(envelope, `ws-intermediary (fault entry ${ir.entry})`, true);
      }
      if (this.random.chance(ir.duplicate)) {
        this.trace.record(this.scheduler.now, 'net.dup', {
          id: envelope.id,
          envelope: envelope.type,
          dir: envelope.dir,
          n: envelope.n,
          intermediary: true,
        });
        stream.queue.push({ envelope, deliver });
      }
      if (this.random.chance(ir.reorder)) {
        // A buggy proxy holds this frame back long enough for the next ones to overtake it.
        item.late = true;
        this.trace.record(this.scheduler.now, 'net.reorder', { id: envelope.id, dir: envelope.dir, n: envelope.n, intermediary: true });
      }
    }
    const hold = this.catchHold(envelope);
    if (hold) {
      hold.held = { envelope, release: () => this.pump(stream) };
      item.hold = hold;
    }
    stream.queue.push(item);
    this.pump(stream);
  }

  /** Moves queued frames onto the wire until the stream is blocked (partition or held frame). */
  pump(stream: Stream): void {
    while (stream.queue.length > 0) {
      if (stream.dead) {
        for (const q of stream.queue) {
          this.leaves(stream, q.envelope, q.onWire, this.scheduler.now);
          this.dropped(q.envelope, 'half-open');
        }
        stream.queue.length = 0;
        return;
      }
      const head = stream.queue[0]!;
      if (head.hold && !head.hold.released) return;
      if (this.isPartitioned(stream.node, stream.dir)) return;
      stream.queue.shift();
      const { envelope, deliver } = head;
      stream.link ??= this.link(stream.node, stream.dir);
      const link = stream.link;
      const { delay, sent } = this.timing(envelope, link);
      const owner = stream.dir === 'to-server' ? 'server' : stream.node;
      let at = Math.max(this.scheduler.now + delay + this.retransmissions(stream, link), stream.lastAt);
      if (head.late) at += 2 * typicalLatency(link.latency) + 1;
      else stream.lastAt = at;
      this.leaves(stream, envelope, head.onWire, sent);
      this.scheduler.scheduleAt(at, owner, 'net', envelope.id, () => {
        if (stream.dead) return this.dropped(envelope, 'half-open');
        deliver();
      });
    }
  }

  /** Runs `onWire` when a frame's last byte has left, as a later task: as in browsers,
   * `bufferedAmount` never drops within the task that called `send()`. */
  private leaves(stream: Stream, envelope: Envelope, onWire: (() => void) | undefined, at: number): void {
    if (onWire) this.scheduler.scheduleAt(at, stream.node, 'net', envelope.id, onWire);
  }

  /** Re-pumps every stream: called when a partition heals or a hold is released. */
  pumpAll(): void {
    for (const s of this.streams) this.pump(s);
  }

  /** Records a lost envelope. */
  dropped(envelope: Envelope, reason: string, intermediary?: boolean): void {
    this.trace.record(this.scheduler.now, 'net.drop', {
      dir: envelope.dir,
      envelope: envelope.type,
      id: envelope.id,
      intermediary: intermediary || undefined,
      n: envelope.n,
      reason,
    });
  }

  private delayFor(envelope: Envelope, link: LinkConfig): number {
    return this.timing(envelope, link).delay;
  }

  /** The delay until `envelope` arrives, and the time its last byte leaves the sender (bandwidth). */
  private timing(envelope: Envelope, link: LinkConfig): { delay: number; sent: number } {
    const now = this.scheduler.now;
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

  /** TCP hides loss as delay: each lost transmission costs one retransmission timeout, doubling. */
  private retransmissions(stream: Stream, link: LinkConfig): number {
    let rate = link.loss;
    for (const d of this.drops) if (appliesTo(d, stream.node, stream.dir)) rate = 1 - (1 - rate) * (1 - d.rate);
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
      this.trace.record(this.scheduler.now, 'net.hold', {
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

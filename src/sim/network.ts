import { typicalLatency } from './latency.js';
import type { LinkConfig, NetworkConfig } from './link.js';
import { appliesTo, LinkRules, type Envelope, type HoldRule, type Dir } from './link-rules.js';
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';

export type { ActiveRule, Dir, Envelope, EnvelopeType, HoldRule } from './link-rules.js';
export { holdMatches, pathMatches } from './link-rules.js';

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

/**
 * The links between client nodes and the server, and the faults active on them.
 * HTTP envelopes can be lost, duplicated and reordered; WebSocket frames ride TCP
 * streams, so trouble shows up only as delay, stalls and connection loss (see
 * DESIGN.md, Fidelity) — unless an opt-in `ws-intermediary` fault says otherwise.
 */
export class Network extends LinkRules {
  private readonly streams = new Set<Stream>();

  constructor(
    private readonly scheduler: Scheduler,
    trace: Trace,
    random: Random,
    config: NetworkConfig,
  ) {
    super(trace, random, config);
  }

  protected now(): number {
    return this.scheduler.now;
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
      let at = Math.max(this.scheduler.now + delay + this.retransmissions(stream.node, stream.dir, link), stream.lastAt);
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

  private delayFor(envelope: Envelope, link: LinkConfig): number {
    return this.timing(envelope, link).delay;
  }
}

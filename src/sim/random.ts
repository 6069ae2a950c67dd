/**
 * Seeded pseudo-random numbers for a simulation: one seed, independent named streams.
 *
 * Each stream is derived from `(seed, name)` alone, so a draw added to one stream never
 * reshuffles another (the network's draws do not move when a client draws more).
 * The generator is sfc32 seeded through splitmix32; both are integer-only, so the same
 * seed gives the same numbers on every machine.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** How many numbers this stream has produced; recorded in traces of client draws. */
  draws = 0;

  /** Prefer {@link Random.root} or {@link Random.stream} to constructing directly. */
  constructor(
    /** The seed this stream was derived from. */
    readonly seed: number,
    /** The stream's name (`network`, `client/c1`). */
    readonly name: string,
  ) {
    let h = hashString(`${seed >>> 0}:${name}`);
    const next = (): number => {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
    this.draws = 0;
  }

  /** The root stream of a simulation seed. Accepts integers or strings (hashed). */
  static root(seed: number | string): Random {
    return new Random(normalizeSeed(seed), 'root');
  }

  /** An independent stream named `name`, derived from this stream's seed only. */
  stream(name: string): Random {
    return new Random(this.seed, this.name === 'root' ? name : `${this.name}/${name}`);
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    this.draws++;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1), like `Math.random()`. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. Draws nothing when `p` is 0 or 1, so a disabled
   * feature never consumes randomness. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** A standard normal variate (Box–Muller). */
  normal(): number {
    let u = this.next();
    if (u === 0) u = Number.MIN_VALUE;
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Seeds are unsigned 32-bit integers; strings of digits (`"42"`, `"-5"`, as a command line
 * passes them) mean that number, other strings are hashed to one. */
export function normalizeSeed(seed: number | string): number {
  if (typeof seed === 'string') return /^-?\d{1,300}$/.test(seed) ? normalizeSeed(Number(seed)) : hashString(seed);
  if (!Number.isFinite(seed)) throw new TypeError(`seed must be a finite number or a string, found ${seed}`);
  return Math.trunc(seed) >>> 0;
}

/** FNV-1a over UTF-16 code units: small, stable, good enough to spread seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

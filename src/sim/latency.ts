import type { Random } from './random.js';

/**
 * How long a link takes to carry one envelope, in ms.
 * - a number or `{kind: 'fixed', ms}`: always that;
 * - `{kind: 'uniform', min, max}`;
 * - `{kind: 'lognormal', median, sigma, max?}`: most deliveries near the median with a
 *   long tail (sigma 0.5 puts the 99th percentile near 3.2× the median), capped at `max`.
 */
export type LatencySpec =
  | number
  | {
      /** Always the same latency. */
      kind: 'fixed';
      /** The latency, ms. */
      ms: number;
    }
  | {
      /** Uniformly distributed between `min` and `max`. */
      kind: 'uniform';
      /** The smallest latency, ms. */
      min: number;
      /** The largest latency, ms. */
      max: number;
    }
  | {
      /** Log-normally distributed: a long tail. */
      kind: 'lognormal';
      /** The median latency, ms. */
      median: number;
      /** The spread of the underlying normal distribution (0.5: the 99th percentile near 3.2× the median). */
      sigma: number;
      /** The tail's cap, ms (default: none). */
      max?: number;
    };

/** Draws one latency. Fixed latencies draw nothing from `random`. */
export function sampleLatency(spec: LatencySpec, random: Random): number {
  if (typeof spec === 'number') return spec;
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.min + (spec.max - spec.min) * random.next();
    case 'lognormal': {
      const v = spec.median * Math.exp(spec.sigma * random.normal());
      return spec.max === undefined ? v : Math.min(v, spec.max);
    }
  }
}

/** The smallest latency a spec can produce: used to reason about bounds in checkers. */
export function minLatency(spec: LatencySpec): number {
  if (typeof spec === 'number') return spec;
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.min;
    case 'lognormal':
      return 0;
  }
}

/** A typical (median) latency of a spec. */
export function typicalLatency(spec: LatencySpec): number {
  if (typeof spec === 'number') return spec;
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return (spec.min + spec.max) / 2;
    case 'lognormal':
      return spec.median;
  }
}

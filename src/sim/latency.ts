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
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'lognormal'; median: number; sigma: number; max?: number };

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

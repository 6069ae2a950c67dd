import { propertyWorkload } from '../lib/property-check.js';

/** live-support property runs per second, 1 worker and one per core; targets from issue #18 (now ~66/s on one core → ≥ 2× per core). */
export const workload = propertyWorkload('live-support', { now: 66, perCore: 132 });

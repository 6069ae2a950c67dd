import { propertyWorkload } from '../lib/property-check.js';

/** chat property runs per second, 1 worker and one per core; targets from issue #18 (now ~209/s on one core; ≥ 400/s per core, ≥ 1.8× that with 2 workers on 2 cores). */
export const workload = propertyWorkload('chat', { now: 209, perCore: 400, allCores: true });

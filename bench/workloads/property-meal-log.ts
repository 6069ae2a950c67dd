import { propertyWorkload } from '../lib/property-check.js';

/** meal-log property runs per second, 1 worker and one per core; targets from issue #18 (now ~174/s on one core → ≥ 2× per core). */
export const workload = propertyWorkload('meal-log', { now: 174, perCore: 348 });

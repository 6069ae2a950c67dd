import { propertyWorkload } from '../lib/property-check.js';

/** event-sync property runs per second, 1 worker and one per core; targets from issue #18 (now ~115/s on one core → ≥ 2× per core). */
export const workload = propertyWorkload('event-sync', { now: 115, perCore: 230 });

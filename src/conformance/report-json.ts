/**
 * The JSON report moved to `reporters/json.ts`; this module re-exports it for existing imports.
 * @module
 */
export { buildJsonReport, reportVersion, type JsonReport } from './reporters/json.js';

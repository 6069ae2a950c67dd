import { checkOutputFile } from './output-dir.js';

/** Whether a file's first bytes are a lockstep trace (its first step is `sim.start`). */
export const isTrace = (head: string): boolean => /^\{[^\n]*"ev":"sim\.start"/.test(head);

/**
 * Checks a `--trace FILE` before any work (bad input at once, exit 2) under the one output
 * policy of src/cli/output-dir.ts: a file lockstep did not write is never replaced without
 * `--force`.
 */
export function checkTraceFile(path: string, force: boolean, command: string): void {
  checkOutputFile(path, { force, command, ours: isTrace });
}

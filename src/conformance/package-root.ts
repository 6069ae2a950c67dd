import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The root folder of the running lockstep package — the checkout, or
 * `node_modules/lockstep` when installed. Every file of this folder sits two levels down
 * (src/conformance or dist/conformance), so the same path works in both.
 */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The folder of the scenarios shipped with lockstep (one subfolder per protocol). */
export const shippedScenarioRoot = join(packageRoot, 'scenarios');

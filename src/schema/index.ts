/**
 * Machine-readable protocol specs: a JSON Schema (draft 2020-12) for every wire message of
 * every protocol and for scenario files, and an AsyncAPI 3.0 document per protocol.
 * `npm run schemas` writes them to `schemas/` and `asyncapi/` (see {@link generatedFiles}).
 */
import { asyncApiDocument } from './asyncapi.js';
import { chatSchema } from './chat.js';
import { eventSyncSchema } from './event-sync.js';
import { liveSupportSchema } from './live-support.js';
import { mealLogSchema } from './meal-log.js';
import { faultPlanSchema, scenarioSchema } from './scenario.js';
import type { ProtocolSchema } from './types.js';

export { asyncApiDocument } from './asyncapi.js';
export { faultPlanSchema, scenarioSchema } from './scenario.js';
export type { Endpoint, JsonSchema, ProtocolSchema } from './types.js';

/** Every protocol's contract, by protocol name. */
export const protocolSchemas: ReadonlyMap<string, ProtocolSchema> = new Map(
  [chatSchema, eventSyncSchema, liveSupportSchema, mealLogSchema].map((p) => [p.protocol, p]),
);

/** Formats a document as the committed files are: two-space JSON and a final newline. */
export const formatJson = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Every generated file: path relative to the repository root → contents. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const p of protocolSchemas.values()) {
    files.set(`schemas/${p.protocol}.schema.json`, formatJson(p.schema));
    files.set(`asyncapi/${p.protocol}.asyncapi.json`, formatJson(asyncApiDocument(p)));
  }
  files.set('schemas/scenario.schema.json', formatJson(scenarioSchema()));
  files.set('schemas/fault-plan.schema.json', formatJson(faultPlanSchema()));
  return files;
}

import { resolve as resolvePath } from 'node:path';
import { chatProtocol } from '../reference/chat/index.js';
import { eventSyncProtocol } from '../reference/event-sync/index.js';
import { liveSupportProtocol } from '../reference/live-support/index.js';
import { mealLogProtocol } from '../reference/meal-log/index.js';
import { ClientModuleError, importClientModule } from './client-module.js';
import type { ClientFactory } from './driver.js';
import type { ProtocolDefinition } from './protocol.js';

/** Every protocol lockstep ships, by name. */
export const protocols: ReadonlyMap<string, ProtocolDefinition> = new Map([[chatProtocol.name, chatProtocol], [liveSupportProtocol.name, liveSupportProtocol], [eventSyncProtocol.name, eventSyncProtocol], [mealLogProtocol.name, mealLogProtocol]]);

/** A client to check: its protocol, factory and display name. */
export interface ResolvedClient {
  /** The protocol it implements. */
  protocol: ProtocolDefinition;
  /** Creates the client. */
  factory: ClientFactory;
  /** `reference`, `zoo:chat/no-dedupe` or the module path as given. */
  name: string;
  /** Requirements a zoo variant is documented to violate. */
  violates?: string[];
  /**
   * How a worker thread loads the same client (`reference`, `zoo:…`, an absolute module
   * path); absent for a client given as a function, which runs in the calling thread.
   */
  spec?: string;
}

/** Bad input about which client to run (exit 2). */
export class ClientSpecError extends Error {
  /** The error name. */
  override readonly name = 'ClientSpecError';
}

/** Looks a protocol up by name, with a helpful error. */
export function getProtocol(name: string): ProtocolDefinition {
  const p = protocols.get(name);
  if (!p) throw new ClientSpecError(`unknown protocol "${name}" (expected one of ${[...protocols.keys()].join(', ')})`);
  return p;
}

/**
 * Resolves `--client`: `reference` (default), `zoo:<protocol>/<variant>`, or a path to a
 * module exporting `createClient` (or a default factory) and `protocol`.
 */
export async function resolveClient(spec: string | undefined, protocolName: string | undefined): Promise<ResolvedClient> {
  if (spec === undefined || spec === 'reference') {
    if (!protocolName) throw new ClientSpecError('--client reference needs --protocol');
    const protocol = getProtocol(protocolName);
    return { protocol, factory: protocol.reference, name: 'reference', spec: 'reference' };
  }
  const zoo = /^zoo:([a-z-]+)\/([a-z0-9-]+)$/.exec(spec);
  if (zoo) {
    const protocol = getProtocol(zoo[1]!);
    if (protocolName && protocolName !== protocol.name) throw new ClientSpecError(`--client ${spec} is a ${protocol.name} client, but --protocol is ${protocolName}`);
    const v = protocol.variants[zoo[2]!];
    if (!v) throw new ClientSpecError(`unknown variant "${zoo[2]}" of ${protocol.name} (expected one of ${Object.keys(protocol.variants).join(', ')})`);
    return { protocol, factory: v.create, name: spec, violates: v.violates, spec };
  }
  if (spec.startsWith('zoo:')) throw new ClientSpecError(`--client ${spec}: expected zoo:<protocol>/<variant>, e.g. zoo:chat/no-dedupe`);
  let mod: Record<string, unknown>;
  try {
    mod = await importClientModule(spec);
  } catch (e) {
    if (e instanceof ClientModuleError) throw new ClientSpecError(e.message);
    throw e;
  }
  const factory = (mod.createClient ?? mod.default) as unknown;
  const declared = (mod.protocol ?? (mod.default as { protocol?: unknown } | undefined)?.protocol) as unknown;
  const fromDefault = typeof mod.default === 'object' && mod.default !== null ? (mod.default as { createClient?: unknown }).createClient : undefined;
  const fn = typeof factory === 'function' ? factory : fromDefault;
  if (typeof fn !== 'function') {
    throw new ClientSpecError(`--client ${spec}: expected the module to export a function "createClient" (or a default export), found ${Object.keys(mod).join(', ') || 'no exports'}`);
  }
  const name = protocolName ?? (typeof declared === 'string' ? declared : undefined);
  if (!name) throw new ClientSpecError(`--client ${spec}: the module exports no "protocol" name; pass --protocol`);
  if (protocolName && typeof declared === 'string' && declared !== protocolName) {
    throw new ClientSpecError(`--client ${spec} declares protocol "${declared}", but --protocol is ${protocolName}`);
  }
  return { protocol: getProtocol(name), factory: fn as ClientFactory, name: spec, spec: resolvePath(spec) };
}

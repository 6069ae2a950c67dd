import type { TSchema } from '@sinclair/typebox';
import type * as fc from 'fast-check';
import type { FaultEntry } from '../sim/faults/plan.js';
import type { NetworkConfig } from '../sim/link.js';
import type { ServerFactory } from '../sim/server-host.js';
import type { ClientDriver, ClientFactory } from './driver.js';
import type { Requirement } from './requirement.js';
import type { ScenarioAction } from './scenario.js';
import type { WorldConditions } from './world-arbitraries.js';

/** The type of one action argument. A trailing `?` makes it optional. */
export type ParamType = 'string' | 'number' | 'boolean' | 'string?' | 'number?' | 'boolean?';

/** A user action of a protocol (open a conversation, send, submit a meal, mount a widget). */
export interface ActionDef {
  /** One line for `lockstep list`. */
  description: string;
  /** Its arguments and their types. */
  params: Record<string, ParamType>;
  /** Performs the action on a driver. May return a promise; a rejection is traced as `client.error`. */
  run(driver: ClientDriver, args: Record<string, unknown>): unknown;
}

/** A known-faulty client: a realistic bug and the requirements it must be caught by. */
export interface ClientVariant {
  /** The bug, in one line. */
  description: string;
  /** Requirement ids the suite must report as violated. */
  violates: string[];
  /** Creates the faulty client. */
  create: ClientFactory;
}

/** A known-faulty (or alternative) server. */
export interface ServerVariant {
  /** How it misbehaves, in one line. */
  description: string;
  /** Requirement ids the reference client then fails, or `[]` when the reference survives it. */
  breaks: string[];
}

/** How property runs draw scenarios for a protocol. */
export interface PropertyModel {
  /** Virtual ms of the fault phase. */
  duration: number;
  /** Virtual ms of the heal phase. */
  heal: number;
  /** Client nodes. */
  clients: string[];
  /** Draws the user actions of one run. */
  actions(f: typeof fc): fc.Arbitrary<ScenarioAction[]>;
  /** Draws the fault plan of one run. */
  faults(f: typeof fc): fc.Arbitrary<FaultEntry[]>;
  /** The network of every run (default: the default link). */
  network?: NetworkConfig;
  /**
   * Draws the world of one run: its start instant and the devices' clocks (see
   * `worldConditionArbitraries`). Absent: every run starts at the kernel's default instant
   * with true, UTC clocks.
   */
  world?(f: typeof fc): fc.Arbitrary<WorldConditions>;
  /**
   * Draws the reference server's options of one run — server-side variation the spec
   * permits (processing times, batching…). Absent: the server's defaults (`{}`), which a
   * server may itself vary from the run's seeded stream.
   */
  serverOptions?(f: typeof fc): fc.Arbitrary<Record<string, unknown>>;
}

/** Everything lockstep knows about one protocol. */
export interface ProtocolDefinition {
  /** The name (`chat`), used in requirement ids, `--protocol` and `scenarios/<name>/`. */
  name: string;
  /** A human title. */
  title: string;
  /** Source documents in ../shared/seeds. */
  sources: string[];
  /** The requirement catalogue, in order (docs/protocols/<name>.md says the same). */
  requirements: Requirement[];
  /** The user actions scenarios can perform, by name. */
  actions: Record<string, ActionDef>;
  /**
   * The shape of the client's `snapshot()` (a TypeBox schema: the TypeScript type, the
   * runtime validation of every recorded snapshot and the JSON Schema come from it).
   */
  snapshot?: TSchema;
  /** Scenario defaults. */
  defaults: {
    /** Virtual ms of the fault phase. */
    duration: number;
    /** Virtual ms of the heal phase. */
    heal: number;
    /** Client nodes. */
    clients: string[];
    /** The network. */
    network?: NetworkConfig;
  };
  /** Builds the server: `reference` or a server variant, with options from the scenario. */
  server(variant: string, options: Record<string, unknown>): ServerFactory;
  /** Known-faulty or alternative servers (`--server`). */
  serverVariants: Record<string, ServerVariant>;
  /** The reference client. */
  reference: ClientFactory;
  /** Known-faulty clients, addressed as `zoo:<protocol>/<name>`. */
  variants: Record<string, ClientVariant>;
  /** How property runs draw scenarios. */
  property: PropertyModel;
}

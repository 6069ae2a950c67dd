import { readFileSync } from 'node:fs';
import { defaultScenarioLimits, maxScenarioBytes, oversize, scenarioLimitCeilings, type ScenarioLimits } from './scenario-limits.js';
import { basename } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { describeFound, suggest } from '../sim/describe.js';
import type { FaultPlan } from '../sim/faults/plan.js';
import { FaultPlanError, validateFaultPlan } from '../sim/faults/validate.js';
import { parseGuardLimits, type GuardLimits } from '../sim/guard-limits.js';
import type { NetworkConfig } from '../sim/link.js';
import { Simulation } from '../sim/simulation.js';
import { checkClock, parseStartInstant, startInstantExpected, type ClockConfig } from '../sim/world-clock.js';
import type { ParamType, ProtocolDefinition } from './protocol.js';
import type { RunVerdict } from './requirement.js';

/** One scheduled user action. */
export interface ScenarioAction {
  /** Virtual ms. */
  at: number;
  /** Client node (default: the first client). */
  node?: string;
  /** The action's name: one of the protocol's actions, or `restart` (kill and relaunch the app). */
  do: string;
  /** The action's arguments. */
  args?: Record<string, unknown>;
}

/** A scenario as written in YAML (see docs/scenario-format.md). */
export interface Scenario {
  /** The protocol's name. */
  protocol: string;
  /** A name for reports (default: the file name). */
  name?: string;
  /** What it shows, in one sentence. */
  description?: string;
  /** Which source document case it reproduces. */
  source?: string;
  /** The seed of the simulation (default 1). */
  seed?: number;
  /** Virtual ms of the fault phase (default: the protocol's). */
  duration?: number;
  /** Virtual ms of the heal phase, after every fault is lifted (default: the protocol's). */
  heal?: number;
  /** Client nodes (default: the protocol's, usually `[c1]`). */
  clients?: string[];
  /** Links and OS timeouts (docs/fault-plan.md, "Network settings"). */
  network?: NetworkConfig;
  /** The server: the reference or a server variant, with options. */
  server?: {
    /** `reference` (default) or a server variant (`lockstep list`). */
    variant?: string;
    /** Options the protocol's server understands. */
    options?: Record<string, unknown>;
  };
  /** The fault plan (docs/fault-plan.md). */
  faults?: FaultPlan;
  /** The user actions, in time order. */
  actions?: ScenarioAction[];
  /** Requirements this scenario exercises (default: all of the protocol's). */
  requirements?: string[];
  /**
   * What this scenario's server makes of requirements: `pass`, or per requirement. For a
   * server requirement, the verdict the scenario's server should get (a mismatch is
   * reported, never charged to the client); `fail` on a client requirement says the
   * scenario's (faulty) server makes it unattainable, so no client is judged on it here.
   */
  expect?: 'pass' | Record<string, RunVerdict>;
  /** Guard limits for this scenario, by name (`timer-storm: 2000`); the rest keep their defaults. */
  guards?: GuardLimits;
  /** The run's start instant on the server's (true) clock, ISO-8601 with an offset (`2025-03-30T00:59:50Z`); default 2025-01-15T09:00:00Z. */
  start?: string;
  /** The client devices' clocks: skew from the server's and time zone, for all and per node. */
  clock?: ClockConfig;
}

/** A scenario with every default filled in. */
export interface ResolvedScenario {
  /** The protocol's name. */
  protocol: string;
  /** A name for reports. */
  name: string;
  /** What it shows, in one sentence. */
  description: string;
  /** Which source document case it reproduces. */
  source?: string;
  /** The seed of the simulation. */
  seed: number;
  /** Virtual ms of the fault phase. */
  duration: number;
  /** Virtual ms of the heal phase, after every fault is lifted. */
  heal: number;
  /** Client nodes. */
  clients: string[];
  /** Links and OS timeouts (docs/fault-plan.md, "Network settings"). */
  network: NetworkConfig;
  /** The server: the reference or a server variant, with options. */
  server: {
    /** `reference` or a server variant. */
    variant: string;
    /** Options the protocol's server understands. */
    options: Record<string, unknown>;
  };
  /** The fault plan (docs/fault-plan.md). */
  faults: FaultPlan;
  /** The user actions, in time order. */
  actions: ScenarioAction[];
  /** Requirements this scenario exercises. */
  requirements: string[];
  /** The verdict the scenario's server should give each requirement (absent: pass); see {@link Scenario.expect}. */
  expect: Record<string, RunVerdict>;
  /** Guard limits by name; absent or empty: the defaults. `--guard` on the command line overrides them. */
  guards?: GuardLimits;
  /** The run's start instant, as written (absent: the kernel's default). */
  start?: string;
  /** The client devices' clocks (absent: no skew, UTC). */
  clock?: ClockConfig;
  /** The file it came from, if any. */
  file?: string;
}

/** A scenario file that is not valid: the message names the file, the field, what was expected and what was found. */
export class ScenarioError extends Error {
  /** The error name. */
  override readonly name = 'ScenarioError';
  constructor(
    /** The file (or other input) at fault. */
    readonly file: string,
    /** Every problem found. */
    readonly problems: {
      /** The field, as a path (`actions[0].at`); `""` for the whole file. */
      field: string;
      /** What it should hold. */
      expected: string;
      /** What it held. */
      found: string;
    }[],
  ) {
    super(problems.map((p) => `${file}: ${p.field ? `field "${p.field}"` : 'file'}: expected ${p.expected}, found ${p.found}`).join('\n'));
  }
}

const topFields = ['protocol', 'name', 'description', 'source', 'seed', 'duration', 'heal', 'clients', 'network', 'server', 'faults', 'actions', 'requirements', 'expect', 'guards', 'limits', 'start', 'clock'];

/** Reads and validates a scenario file (YAML or JSON). */
export function loadScenarioFile(path: string, protocols: ReadonlyMap<string, ProtocolDefinition>): ResolvedScenario {
  let text: string;
  const size = oversize(path);
  if (size !== undefined) {
    throw new ScenarioError(path, [
      { field: '', expected: `a scenario file of at most ${maxScenarioBytes().toLocaleString('en')} bytes (raise it with the environment variable LOCKSTEP_MAX_SCENARIO_BYTES)`, found: `${size.toLocaleString('en')} bytes` },
    ]);
  }
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(path, [{ field: '', expected: 'a readable scenario file', found: `an error (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }]);
  }
  return parseScenario(text, path, protocols);
}

/** Parses and validates scenario text; `file` names it in errors. */
export function parseScenario(text: string, file: string, protocols: ReadonlyMap<string, ProtocolDefinition>): ResolvedScenario {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: false, uniqueKeys: true, maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0]! : (e as Error).message;
    throw new ScenarioError(file, [{ field: '', expected: 'YAML', found: `a syntax error: ${msg}` }]);
  }
  return resolveScenario(data, file, protocols);
}

/** Validates a scenario object and fills in defaults. Throws {@link ScenarioError} listing every problem. */
export function resolveScenario(data: unknown, file: string, protocols: ReadonlyMap<string, ProtocolDefinition>): ResolvedScenario {
  const problems: { field: string; expected: string; found: string }[] = [];
  const bad = (field: string, expected: string, found: unknown): void => {
    problems.push({ field, expected, found: describeFound(found) });
  };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError(file, [{ field: '', expected: 'a mapping with at least "protocol"', found: describeFound(data) }]);
  }
  const s = data as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!topFields.includes(k)) {
      const hint = suggest(k, topFields);
      bad(k, `one of the scenario fields ${topFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, s[k]);
    }
  }
  const protocol = protocols.get(s.protocol as string);
  if (!protocol) {
    bad('protocol', `one of ${[...protocols.keys()].map((p) => `"${p}"`).join(', ')}`, s.protocol);
    throw new ScenarioError(file, problems);
  }
  const num = (field: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, why = ''): number => {
    const v = s[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || !Number.isInteger(v)) {
      bad(field, `a whole number from ${min} to ${max.toLocaleString('en')}${why ? ` (${why})` : ''}`, v);
      return fallback;
    }
    return v;
  };
  const limits = scenarioLimits(s.limits, bad);
  const str = (field: string): string | undefined => {
    const v = s[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      bad(field, 'a string', v);
      return undefined;
    }
    return v;
  };
  const name = str('name') ?? basename(file).replace(/\.(ya?ml|json)$/, '');
  const description = str('description') ?? '';
  const source = str('source');
  const seed = num('seed', 1, 0, 2 ** 32 - 1, 'seeds are 32-bit unsigned integers');
  const duration = num('duration', protocol.defaults.duration, 1, limits['virtual-ms']);
  const heal = num('heal', protocol.defaults.heal, 0, limits['virtual-ms']);
  if (duration + heal > limits['virtual-ms']) bad('heal', `at most ${(limits['virtual-ms'] - duration).toLocaleString('en')} ms: duration + heal is limited to ${limits['virtual-ms'].toLocaleString('en')} virtual ms (raise it with "limits: { virtual-ms: N }")`, heal);

  let clients = protocol.defaults.clients;
  if (s.clients !== undefined) {
    if (!Array.isArray(s.clients) || s.clients.length === 0 || !s.clients.every((c) => typeof c === 'string' && /^[a-z][a-z0-9-]*$/.test(c))) {
      bad('clients', 'a non-empty list of node names such as [c1, c2]', s.clients);
    } else if (s.clients.length > limits.clients) {
      bad('clients', `at most ${limits.clients} client nodes (raise it with "limits: { clients: N }")`, `${s.clients.length} nodes`);
    } else if (new Set(s.clients).size !== s.clients.length) {
      bad('clients', 'node names without repeats', s.clients);
    } else clients = s.clients as string[];
  }

  let network: NetworkConfig = protocol.defaults.network ?? {};
  if (s.network !== undefined) {
    if (s.network === null || typeof s.network !== 'object' || Array.isArray(s.network)) bad('network', 'a mapping (link, toServer, toClient, nodes, timeouts)', s.network);
    else network = validateNetwork(s.network as Record<string, unknown>, bad);
  }

  let server = { variant: 'reference', options: {} as Record<string, unknown> };
  if (s.server !== undefined) {
    const sv = s.server as Record<string, unknown> | null;
    if (sv === null || typeof sv !== 'object' || Array.isArray(sv)) bad('server', 'a mapping with "variant" and/or "options"', s.server);
    else {
      for (const k of Object.keys(sv)) if (k !== 'variant' && k !== 'options') bad(`server.${k}`, 'only "variant" and "options"', sv[k]);
      const variants = ['reference', ...Object.keys(protocol.serverVariants)];
      if (sv.variant !== undefined && !variants.includes(sv.variant as string)) bad('server.variant', `one of ${variants.join(', ')}`, sv.variant);
      if (sv.options !== undefined && (sv.options === null || typeof sv.options !== 'object' || Array.isArray(sv.options))) bad('server.options', 'a mapping', sv.options);
      server = { variant: (sv.variant as string) ?? 'reference', options: (sv.options as Record<string, unknown>) ?? {} };
      try {
        protocol.server(server.variant, server.options);
      } catch (e) {
        // Option problems come back as {field, expected, found}; anything else is reported whole.
        const list = (e as { problems?: { field: string; expected: string; found: string }[] }).problems;
        if (Array.isArray(list)) for (const p of list) problems.push({ ...p, field: `server.options.${p.field}` });
        else bad('server', `a server the ${protocol.name} protocol can build (${(e as Error).message})`, s.server);
      }
    }
  }

  let faults: FaultPlan = [];
  if (s.faults !== undefined) {
    try {
      faults = validateFaultPlan(s.faults, `${file}: faults`);
      if (faults.length > limits.faults) bad('faults', `at most ${limits.faults.toLocaleString('en')} fault entries (raise it with "limits: { faults: N }")`, `${faults.length} entries`);
      for (const [i, f] of faults.entries()) {
        // A fault that starts after the fault phase would never act: every fault is lifted at `duration`.
        if (f.at >= duration) bad(`faults[${i}].at`, `a time before the end of the fault phase (duration ${duration} ms)`, f.at);
        const node = (f as { node?: string }).node;
        if (node !== undefined && !clients.includes(node)) bad(`faults[${i}].node`, `one of the scenario's clients (${clients.join(', ')})`, node);
      }
    } catch (e) {
      if (!(e instanceof FaultPlanError)) throw e;
      for (const p of e.problems) problems.push({ field: `faults[${p.entry}]${p.field ? `.${p.field}` : ''}`, expected: p.expected, found: p.found });
    }
  }

  const actions: ScenarioAction[] = [];
  if (s.actions !== undefined) {
    if (!Array.isArray(s.actions)) bad('actions', 'a list of actions like { at: 0, do: open, args: {...} }', s.actions);
    else if (s.actions.length > limits.actions) bad('actions', `at most ${limits.actions.toLocaleString('en')} actions (raise it with "limits: { actions: N }")`, `${s.actions.length} actions`);
    else
      s.actions.forEach((a: unknown, i: number) => {
        const f = `actions[${i}]`;
        if (a === null || typeof a !== 'object' || Array.isArray(a)) return bad(f, 'a mapping with "at" and "do"', a);
        const act = a as Record<string, unknown>;
        for (const k of Object.keys(act)) if (!['at', 'node', 'do', 'args'].includes(k)) bad(`${f}.${k}`, 'only at, node, do, args', act[k]);
        if (typeof act.at !== 'number' || !Number.isFinite(act.at) || act.at < 0) bad(`${f}.at`, 'virtual milliseconds ≥ 0', act.at);
        else if (act.at > duration) bad(`${f}.at`, `a time within the scenario's duration (${duration} ms)`, act.at);
        const node = act.node ?? clients[0];
        if (typeof node !== 'string' || !clients.includes(node)) bad(`${f}.node`, `one of the scenario's clients (${clients.join(', ')})`, act.node);
        const names = [...Object.keys(protocol.actions), 'restart'];
        const def = protocol.actions[act.do as string];
        if (!def && act.do !== 'restart') {
          const hint = typeof act.do === 'string' ? suggest(act.do, names) : undefined;
          return bad(`${f}.do`, `one of the ${protocol.name} actions ${names.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, act.do);
        }
        const args = act.args ?? {};
        if (args === null || typeof args !== 'object' || Array.isArray(args)) return bad(`${f}.args`, 'a mapping of arguments', act.args);
        const params: Record<string, ParamType> = def?.params ?? {};
        for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
          const type = params[k];
          if (!type) bad(`${f}.args.${k}`, `no such argument for "${String(act.do)}" (takes: ${Object.keys(params).join(', ') || 'nothing'})`, v);
          else if (typeof v !== type.replace('?', '') || (typeof v === 'number' && !Number.isFinite(v))) bad(`${f}.args.${k}`, `a ${type.replace('?', '')}${type.startsWith('number') ? ' (finite)' : ''}`, v);
        }
        for (const [k, type] of Object.entries(params)) {
          if (!type.endsWith('?') && (args as Record<string, unknown>)[k] === undefined) bad(`${f}.args.${k}`, `a ${type} (required by "${String(act.do)}")`, undefined);
        }
        actions.push({ at: act.at as number, node: node as string, do: act.do as string, args: args as Record<string, unknown> });
      });
  }

  const ids = protocol.requirements.map((r) => r.id);
  let requirements = ids;
  if (s.requirements !== undefined) {
    if (!Array.isArray(s.requirements)) bad('requirements', `a list of requirement ids (${ids.join(', ')})`, s.requirements);
    else {
      s.requirements.forEach((r: unknown, i: number) => {
        if (!ids.includes(r as string)) bad(`requirements[${i}]`, `one of ${ids.join(', ')}`, r);
      });
      requirements = (s.requirements as string[]).filter((r) => ids.includes(r));
    }
  }

  const expect: Record<string, RunVerdict> = {};
  if (s.expect === undefined || s.expect === 'pass') for (const r of requirements) expect[r] = 'pass';
  else if (s.expect === null || typeof s.expect !== 'object' || Array.isArray(s.expect)) bad('expect', '"pass" or a mapping of requirement id to pass, fail or not-exercised', s.expect);
  else {
    for (const r of requirements) expect[r] = 'pass';
    for (const [r, v] of Object.entries(s.expect as Record<string, unknown>)) {
      if (!requirements.includes(r)) bad(`expect.${r}`, `one of the scenario's requirements (${requirements.join(', ')})`, r);
      else if (v !== 'pass' && v !== 'fail' && v !== 'not-exercised') bad(`expect.${r}`, 'pass, fail or not-exercised', v);
      else expect[r] = v;
    }
  }

  let start: string | undefined;
  if (s.start !== undefined) {
    if (parseStartInstant(s.start) === undefined) bad('start', startInstantExpected, s.start);
    else start = s.start as string;
  }
  const clock = s.clock === undefined ? undefined : checkClock(s.clock, bad, clients);
  if (faults.some((f) => f.kind === 'token-expiry')) checkServerSupport(protocol, server, faults, clients, problems);

  let guards: GuardLimits | undefined;
  if (s.guards !== undefined) {
    const parsed = parseGuardLimits(s.guards);
    problems.push(...parsed.problems);
    if (Object.keys(parsed.limits).length) guards = parsed.limits;
  }

  if (problems.length > 0) throw new ScenarioError(file, problems);
  actions.sort((a, b) => a.at - b.at);
  const resolved: ResolvedScenario = { protocol: protocol.name, name, description, source, seed, duration, heal, clients, network, server, faults, actions, requirements, expect, file };
  if (guards) resolved.guards = guards;
  if (start !== undefined) resolved.start = start;
  if (clock !== undefined) resolved.clock = clock;
  return resolved;
}

/** The `startTime` and `clock` options of a scenario's simulation (absent fields keep the kernel's defaults). */
export function scenarioClock(sc: ResolvedScenario): { startTime?: number; clock?: ClockConfig } {
  return { ...(sc.start !== undefined ? { startTime: parseStartInstant(sc.start) } : {}), ...(sc.clock ? { clock: sc.clock } : {}) };
}

/** How reports and messages name a scenario's server (`chat's server`). */
export function serverName(protocol: string, variant: string): string {
  return `${protocol}'s server${variant === 'reference' ? '' : ` (variant ${variant})`}`;
}

/**
 * A `token-expiry` entry needs a server that implements the `expireCredentials` hook;
 * building the scenario's server once (without running it) tells.
 */
function checkServerSupport(
  protocol: ProtocolDefinition,
  server: { variant: string; options: Record<string, unknown> },
  faults: FaultPlan,
  clients: string[],
  problems: { field: string; expected: string; found: string }[],
): void {
  let factory;
  try {
    factory = protocol.server(server.variant, server.options);
  } catch {
    return; // already reported with the server's options
  }
  try {
    new Simulation({ seed: 0, server: factory, faults, clients, serverName: serverName(protocol.name, server.variant) });
  } catch (e) {
    if (!(e instanceof FaultPlanError)) throw e;
    for (const p of e.problems) problems.push({ field: `faults[${p.entry}]${p.field ? `.${p.field}` : ''}`, expected: p.expected, found: p.found });
  }
}

const linkFields = ['latency', 'loss', 'duplicate', 'reorder', 'bandwidth'];
const maxLatencyMs = 3_600_000;
const timeoutFields = ['requestTimeout', 'connectTimeout', 'closeTimeout', 'retransmitTimeout'];

function validateNetwork(n: Record<string, unknown>, bad: (field: string, expected: string, found: unknown) => void): NetworkConfig {
  for (const [k, v] of Object.entries(n)) {
    if (k === 'link' || k === 'toServer' || k === 'toClient') validateLink(v, `network.${k}`, bad);
    else if (k === 'nodes') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) bad('network.nodes', 'a mapping of node name to { toServer, toClient }', v);
      else
        for (const [node, dirs] of Object.entries(v as Record<string, unknown>)) {
          if (dirs === null || typeof dirs !== 'object' || Array.isArray(dirs)) bad(`network.nodes.${node}`, 'a mapping with toServer and/or toClient', dirs);
          else
            for (const [d, l] of Object.entries(dirs as Record<string, unknown>)) {
              if (d !== 'toServer' && d !== 'toClient') bad(`network.nodes.${node}.${d}`, 'toServer or toClient', d);
              else validateLink(l, `network.nodes.${node}.${d}`, bad);
            }
        }
    } else if (timeoutFields.includes(k)) {
      if (typeof v !== 'number' || !(v > 0 && v <= 2 ** 31 - 1)) bad(`network.${k}`, 'milliseconds from 1 to 2,147,483,647', v);
    } else {
      const hint = suggest(k, ['link', 'toServer', 'toClient', 'nodes', ...timeoutFields]);
      bad(`network.${k}`, `one of link, toServer, toClient, nodes, ${timeoutFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, v);
    }
  }
  return n as NetworkConfig;
}

/** The scenario's `limits:` over the defaults; each within its ceiling. */
function scenarioLimits(v: unknown, bad: (field: string, expected: string, found: unknown) => void): ScenarioLimits {
  const out: ScenarioLimits = { ...defaultScenarioLimits };
  if (v === undefined) return out;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    bad('limits', `a mapping of ${Object.keys(defaultScenarioLimits).join(', ')}`, v);
    return out;
  }
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
    if (!Object.hasOwn(defaultScenarioLimits, k)) {
      const hint = suggest(k, Object.keys(defaultScenarioLimits));
      bad(`limits.${k}`, `one of ${Object.keys(defaultScenarioLimits).join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, n);
      continue;
    }
    const ceiling = scenarioLimitCeilings[k as keyof ScenarioLimits];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > ceiling) bad(`limits.${k}`, `a whole number from 1 to ${ceiling.toLocaleString('en')}`, n);
    else out[k as keyof ScenarioLimits] = n;
  }
  return out;
}

function validateLink(v: unknown, field: string, bad: (field: string, expected: string, found: unknown) => void): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad(field, `a mapping of ${linkFields.join(', ')}`, v);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const f = `${field}.${k}`;
    if (k === 'latency') validateLatency(x, f, bad);
    else if (k === 'loss' || k === 'duplicate' || k === 'reorder') {
      if (typeof x !== 'number' || !(x >= 0 && x <= 1)) bad(f, 'a probability between 0 and 1', x);
    } else if (k === 'bandwidth') {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1e12) bad(f, 'bytes per second from 0 (unlimited) to 1e12', x);
    } else {
      const hint = suggest(k, linkFields);
      bad(f, `one of ${linkFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, x);
    }
  }
}

function validateLatency(x: unknown, f: string, bad: (field: string, expected: string, found: unknown) => void): void {
  // A latency beyond an hour would hold every delivery past any run's end: a meaningless pass.
  const ms = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= maxLatencyMs;
  if (ms(x)) return;
  const l = x as Record<string, unknown> | null;
  const shapes = 'milliseconds, {kind: fixed, ms}, {kind: uniform, min, max} or {kind: lognormal, median, sigma, max?}';
  if (l === null || typeof l !== 'object' || Array.isArray(l)) return bad(f, shapes, x);
  const allowed: Record<string, string[]> = { fixed: ['ms'], uniform: ['min', 'max'], lognormal: ['median', 'sigma', 'max'] };
  const keys = allowed[l.kind as string];
  if (!keys) return bad(`${f}.kind`, 'fixed, uniform or lognormal', l.kind);
  for (const [k, v] of Object.entries(l)) {
    if (k === 'kind') continue;
    if (!keys.includes(k)) bad(`${f}.${k}`, `one of ${keys.join(', ')} for ${String(l.kind)}`, v);
    else if (!ms(v)) bad(`${f}.${k}`, k === 'sigma' ? 'a number from 0 to 3,600,000' : 'milliseconds from 0 to 3,600,000 (one hour)', v);
  }
  for (const k of keys) if (k !== 'max' && l[k] === undefined) bad(`${f}.${k}`, `a number (required for ${String(l.kind)})`, undefined);
  if (l.kind === 'uniform' && ms(l.min) && ms(l.max) && (l.min as number) > (l.max as number)) bad(`${f}.max`, `a number ≥ min (${String(l.min)})`, l.max);
}

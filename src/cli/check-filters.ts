import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import { scenarioFilesOf } from '../conformance/check.js';
import { protocols, type ResolvedClient } from '../conformance/registry.js';
import { loadScenarioFile } from '../conformance/scenario.js';
import { resolveScenarioRef } from '../conformance/scenario-ref.js';
import { suggest } from '../sim/describe.js';
import { UsageError } from './args.js';

const hint = (word: string, candidates: readonly string[]): string => {
  const s = suggest(word, candidates);
  return s ? ` (did you mean "${s}"?)` : '';
};

/**
 * `--requirement ID` (repeatable, or comma-separated): the ids each client's protocol has,
 * by protocol. An id no checked protocol has is bad input that lists the ids there are.
 */
export function requirementFilter(values: readonly string[], clients: readonly ResolvedClient[]): Map<string, string[]> | undefined {
  if (!values.length) return undefined;
  const ids = [...new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))];
  if (!ids.length) throw new UsageError('lockstep check: --requirement expects a requirement id (e.g. CHAT-2; lockstep list shows them)');
  const known = [...new Set(clients.flatMap((c) => c.protocol.requirements.map((q) => q.id)))];
  const byUpper = new Map(known.map((k) => [k.toUpperCase(), k]));
  const out = new Map<string, string[]>();
  for (const raw of ids) {
    const id = byUpper.get(raw.toUpperCase());
    if (!id)
      throw new UsageError(
        `lockstep check: --requirement: unknown requirement "${raw}"${hint(raw, known)}; the requirements of ${clients.map((c) => c.protocol.name).join(', ')} are ${known.join(', ')}`,
      );
    for (const c of clients) if (c.protocol.requirements.some((q) => q.id === id)) out.set(c.protocol.name, [...(out.get(c.protocol.name) ?? []), id]);
  }
  return out;
}

/** The name a shipped scenario is given by: its file name without `.yaml`. */
const nameOf = (file: string): string => basename(file).replace(/\.ya?ml$/, '');

/**
 * `--scenario NAME-or-path` (repeatable, or comma-separated): scenario files by protocol. A
 * value is a scenario file, `<protocol>/<name>` or a bare name of a scenario lockstep ships
 * for a checked protocol. One that matches none is bad input that lists the names there
 * are, with the closest one.
 */
export function scenarioFilter(values: readonly string[], clients: readonly ResolvedClient[]): Map<string, string[]> | undefined {
  if (!values.length) return undefined;
  const refs = [...new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))];
  if (!refs.length) throw new UsageError('lockstep check: --scenario expects a scenario name or file (lockstep list shows them)');
  const names = [...new Set(clients.map((c) => c.protocol.name))];
  const shipped = new Map(names.map((p) => [p, scenarioFilesOf(p)]));
  const out = new Map<string, string[]>();
  const add = (protocol: string, file: string): void => {
    const list = out.get(protocol) ?? [];
    if (!list.includes(file)) list.push(file);
    out.set(protocol, list);
  };
  for (const ref of refs) {
    const resolved = resolveScenarioRef(ref);
    if (existsSync(resolved)) {
      const sc = loadScenarioFile(resolved, protocols);
      if (!names.includes(sc.protocol))
        throw new UsageError(`lockstep check: --scenario ${ref} is a ${sc.protocol} scenario; this check is of ${names.join(', ')}`);
      add(sc.protocol, resolved);
      continue;
    }
    const bare = ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    const only = ref.includes('/') ? ref.slice(0, ref.indexOf('/')) : undefined;
    let found = false;
    for (const [p, files] of shipped) {
      if (only !== undefined && only !== p) continue;
      for (const f of files) if (nameOf(f) === bare.replace(/\.ya?ml$/, '')) (add(p, f), (found = true));
    }
    if (!found) {
      const all = [...shipped].flatMap(([p, files]) => files.map((f) => (names.length > 1 ? `${p}/${nameOf(f)}` : nameOf(f))));
      throw new UsageError(`lockstep check: --scenario: no scenario "${ref}" (no such file, nor a scenario of ${names.join(', ')})${hint(ref, all)}; the scenarios are ${all.join(', ')}`);
    }
  }
  return out;
}

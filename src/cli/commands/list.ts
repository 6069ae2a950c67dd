import { scenarioFilesOf } from '../../conformance/check.js';
import { scenarioRef } from '../../conformance/scenario-ref.js';
import { getProtocol, protocols } from '../../conformance/registry.js';
import { schemaText } from '../../conformance/schema-text.js';
import { loadScenarioFile } from '../../conformance/scenario.js';
import { flagHelp, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';

const flags: Record<string, FlagSpec> = {
  protocol: { value: true, help: 'only this protocol' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep list`. */
export const listHelp = `lockstep list [--protocol P]

Lists each protocol's requirements (with the faulty variants each catches), the user
actions scenarios can perform and their arguments, the shape of the client's snapshot,
the shipped scenarios, and the faulty clients and servers.

${flagHelp(flags)}`;

/** `lockstep list`. */
export async function listCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'list');
  if (args.flags.has('help')) {
    out(listHelp);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`lockstep list: unexpected argument "${args.positionals[0]}"`);
  const only = stringFlag(args, 'protocol');
  const list = only ? [getProtocol(only)] : [...protocols.values()];
  for (const p of list) {
    out(`${p.name} — ${p.title}`);
    out(`  sources: ${p.sources.join(', ')}`);
    out('  requirements:');
    for (const r of p.requirements) {
      // A client requirement is shown with the faulty clients that violate it, a server requirement with the faulty servers.
      const server = r.subject === 'server';
      const caughtIn = server
        ? Object.keys(p.serverVariants).filter((name) => p.serverVariants[name]!.breaks.includes(r.id)).map((n) => `--server ${n}`)
        : Object.keys(p.variants).filter((name) => p.variants[name]!.violates.includes(r.id)).map((n) => `zoo:${p.name}/${n}`);
      out(`    ${r.id.padEnd(8)} ${r.level.padEnd(6)} ${server ? '(server) ' : ''}${r.text}`);
      out(`             ${caughtIn.length ? `violated by: ${caughtIn.join(', ')}` : `violated by: no faulty ${server ? 'server' : 'client'}`}`);
    }
    out('  actions (scenario form: { at: MS, do: NAME, args: { … } }; plus restart):');
    for (const [name, a] of Object.entries(p.actions)) {
      const params = Object.entries(a.params).map(([k, t]) => `${k}${t.endsWith('?') ? '?' : ''}: ${t.replace(/\?$/, '')}`);
      out(`    ${name}(${params.length ? `{ ${params.join(', ')} }` : ''}) — ${a.description}`);
    }
    out(`  snapshot (what snapshot() returns; every recorded snapshot is checked against it):`);
    out(p.snapshot ? `    ${schemaText(p.snapshot, '    ')}` : '    (no schema declared)');
    out('  scenarios (lockstep run <protocol>/<name> runs one):');
    for (const f of scenarioFilesOf(p.name)) {
      const s = loadScenarioFile(f, protocols);
      out(`    ${scenarioRef(f)}${s.description ? ` — ${s.description}` : ''}`);
    }
    out('  faulty clients:');
    for (const [name, v] of Object.entries(p.variants)) out(`    zoo:${p.name}/${name} — ${v.description} (caught by ${v.violates.join(', ')})`);
    const sv = Object.entries(p.serverVariants);
    if (sv.length) {
      out('  server variants:');
      for (const [name, v] of sv) out(`    ${name} — ${v.description} (breaks ${v.breaks.join(', ') || 'nothing for the reference client'})`);
    }
    out('');
  }
  return 0;
}

import { scenarioFilesOf } from '../../conformance/check.js';
import { getProtocol, protocols } from '../../conformance/registry.js';
import { loadScenarioFile } from '../../conformance/scenario.js';
import { flagHelp, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';

const flags: Record<string, FlagSpec> = {
  protocol: { value: true, help: 'only this protocol' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep list`. */
export const listHelp = `lockstep list [--protocol P]

Lists each protocol's requirements, scenarios and faulty variants.

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
    for (const r of p.requirements) out(`    ${r.id.padEnd(8)} ${r.level.padEnd(6)} ${r.text}`);
    out('  scenarios:');
    for (const f of scenarioFilesOf(p.name)) {
      const s = loadScenarioFile(f, protocols);
      out(`    ${f}${s.description ? ` — ${s.description}` : ''}`);
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

/** Thrown for bad command-line input: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A flag's definition: whether it takes a value. */
export interface FlagSpec {
  value: boolean;
  /** One line for `--help`. */
  help: string;
}

/** Parsed command line: positional arguments and flags. */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/**
 * Parses `argv` against known flags. Unknown flags and missing values are
 * {@link UsageError}s that say what was expected, never silently ignored.
 */
export function parseArgs(argv: readonly string[], specs: Record<string, FlagSpec>, command: string): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`);
      throw new UsageError(`lockstep ${command}: unknown option --${name} (expected one of ${known.join(', ')})`);
    }
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`lockstep ${command}: --${name} takes no value, found "${a.slice(eq + 1)}"`);
      flags.set(name, true);
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`lockstep ${command}: --${name} expects a value (${spec.help})`);
    flags.set(name, value);
  }
  return { positionals, flags };
}

/** A flag's value as a non-negative integer, or `fallback`. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, command: string): number {
  const v = args.flags.get(name);
  if (v === undefined) return fallback;
  if (v === true || !/^\d+$/.test(v)) throw new UsageError(`lockstep ${command}: --${name} expects a whole number ≥ 0, found "${String(v)}"`);
  return Number(v);
}

/** A flag's string value, if given. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** `--help` text for a command's flags. */
export function flagHelp(specs: Record<string, FlagSpec>): string {
  return Object.entries(specs)
    .map(([k, s]) => `  --${k}${s.value ? ' <value>' : ''}`.padEnd(28) + s.help)
    .join('\n');
}

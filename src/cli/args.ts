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
export function intFlag(args: ParsedArgs, name: string, fallback: number, command: string, max: IntLimit = limits.count): number {
  const v = args.flags.get(name);
  if (v === undefined) return fallback;
  if (v === true || !/^\d+$/.test(v)) throw new UsageError(`lockstep ${command}: --${name} expects a whole number from 0 to ${max.value.toLocaleString('en')}, found "${String(v)}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n > max.value) throw new UsageError(`lockstep ${command}: --${name} expects a whole number from 0 to ${max.value.toLocaleString('en')} (${max.why}), found ${v}`);
  return n;
}

/** The largest value a whole-number flag takes, and why. */
export interface IntLimit {
  /** The largest value. */
  value: number;
  /** Why, in a few words (shown when the limit is exceeded). */
  why: string;
}

/** Limits of the whole-number flags (docs/ci.md lists them). */
export const limits = {
  /** Seeds are 32-bit: larger ones would silently alias modulo 2³². */
  seed: { value: 2 ** 32 - 1, why: 'seeds are 32-bit unsigned integers' },
  /** Property runs per check. */
  runs: { value: 10_000_000, why: 'split larger checks with --shard' },
  /** Virtual milliseconds. */
  duration: { value: 2 ** 31 - 1, why: 'about 24.8 days of virtual time' },
  /** TCP ports. */
  port: { value: 65_535, why: 'TCP ports are 16-bit' },
  /** Anything else that counts. */
  count: { value: Number.MAX_SAFE_INTEGER, why: 'the largest exact integer' },
} as const satisfies Record<string, IntLimit>;

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

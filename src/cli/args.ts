// A small flag parser shared by every command: `--key value`, `--key=value`, `--flag`, positional
// arguments; unknown flags throw so a typo never silently does nothing.

export interface FlagSpec {
  /** 'string' | 'number' | 'boolean' (a boolean flag takes no value). */
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  /** For commands driven by a typed config: the config key this flag sets (--reward-fn sets
   * rewardFn), so a flag users know by its dashed name reaches the config. */
  configKey?: string;
  /** A string flag that may be given several times: its values go to Parsed.lists. */
  repeat?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
}

export interface Parsed {
  flags: Record<string, string | number | boolean | undefined>;
  /** Every value of each repeatable flag, in order ([] when not given). */
  lists: Record<string, string[]>;
  positional: string[];
  help: boolean;
}

export class UsageError extends Error {}

export function parseArgs(spec: CommandSpec, argv: string[]): Parsed {
  const flags: Parsed['flags'] = {};
  const lists: Parsed['lists'] = {};
  for (const [k, f] of Object.entries(spec.flags)) {
    if (f.repeat) lists[k] = [];
    else flags[k] = f.default;
  }
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (!arg.startsWith('--')) { positional.push(arg); continue; }
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq < 0 ? undefined : eq);
    const f = spec.flags[key];
    if (!f) throw new UsageError(`${spec.name}: unknown flag --${key} (see ${spec.name} --help)`);
    if (f.type === 'boolean') {
      flags[key] = eq < 0 ? true : !['false', '0', 'no'].includes(arg.slice(eq + 1));
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`${spec.name}: --${key} needs a value`);
    if (f.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`${spec.name}: --${key} must be a number, got "${raw}"`);
      flags[key] = n;
    } else if (f.repeat) lists[key].push(raw);
    else flags[key] = raw;
  }
  return { flags, lists, positional, help };
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`${spec.name}: ${spec.summary}`, '', `usage: ${spec.usage}`];
  const entries = Object.entries(spec.flags);
  if (entries.length) {
    lines.push('', 'flags:');
    for (const [k, f] of entries) {
      const def = f.default === undefined ? '' : ` (default ${JSON.stringify(f.default)})`;
      lines.push(`  --${k}${f.type === 'boolean' ? '' : ' <' + f.type + '>'}`.padEnd(28) + f.help + def + (f.repeat ? ' (repeatable)' : ''));
    }
  }
  return lines.join('\n');
}

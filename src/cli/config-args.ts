// Flags for commands driven by a typed config: the command's own flags (declared, like every
// command's), plus `--section.key value` for any key of the config's defaults. Values stay strings
// here; util/config's merge converts them to the default's type and rejects unknown keys, so the
// defaults object is the one list of what can be set.
import { flagsToObject, resolveConfig, type ConfigValue } from '../util/config.js';
import { UsageError, formatHelp, parseArgs, type CommandSpec } from './args.js';

/** "key  default" lines for every leaf of a defaults object. */
function leaves(obj: object, prefix = ''): [string, ConfigValue][] {
  return Object.entries(obj).flatMap(([k, v]): [string, ConfigValue][] =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v as ConfigValue]]);
}

export function configHelp(spec: CommandSpec, defaults: object): string {
  const keys = leaves(defaults).map(([k, v]) => `  --${k} `.padEnd(34) + JSON.stringify(v));
  return `${formatHelp(spec)}\n\nconfig keys (set in --config FILE, or as flags; see docs for each):\n${keys.join('\n')}`;
}

/** Splits argv into the command's declared flags and config overrides, and resolves the config:
 * defaults ← --config file ← override flags, then `validate`. Returns null after printing help. */
export function parseConfigCommand<T extends object>(spec: CommandSpec, defaults: T, argv: string[], validate: (c: T) => void):
  { config: T; flags: Record<string, string | number | boolean | undefined> } | null {
  const own: string[] = [];
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const named = /^--([A-Za-z][\w-]*)(?:=(.*))?$/.exec(arg);
    const alias = named ? spec.flags[named[1]]?.configKey : undefined;
    if (named && alias) {
      if (named[2] === undefined && !(i + 1 < argv.length)) throw new UsageError(`${spec.name}: --${named[1]} needs a value`);
      overrides[alias] = named[2] ?? argv[++i];
      continue;
    }
    const m = /^--([A-Za-z][\w]*(?:\.[\w]+)*)(?:=(.*))?$/.exec(arg);
    const key = m?.[1];
    if (!m || !key || key in spec.flags || key === 'help') {
      own.push(arg);
      // A declared flag's value travels with it.
      if (key && spec.flags[key] && spec.flags[key].type !== 'boolean' && m[2] === undefined && i + 1 < argv.length) own.push(argv[++i]);
      continue;
    }
    // A config key: its value follows (or is inline); a bare key sets a boolean to true.
    if (m[2] !== undefined) overrides[key] = m[2];
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) overrides[key] = argv[++i];
    else overrides[key] = 'true';
  }
  const { flags, positional, help } = parseArgs(spec, own);
  if (help) {
    console.log(configHelp(spec, defaults));
    return null;
  }
  if (positional.length) throw new UsageError(`${spec.name}: unexpected argument "${positional[0]}" (config keys are flags: --train.steps 100)`);
  const config = resolveConfig(structuredClone(defaults), { file: flags.config as string | undefined, flags: flagsToObject(overrides), validate });
  return { config, flags };
}

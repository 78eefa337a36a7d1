// Flags for commands driven by a typed config: the command's own flags (declared, like every
// command's), plus `--section.key value` for any key of the config's defaults. Values stay strings
// here; util/config's merge converts them to the default's type and rejects unknown keys, so the
// defaults object is the one list of what can be set.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { modelDirProblem } from '../models/pretrained.js';
import { listCheckpoints } from '../train/checkpoint.js';
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

/** The paths a training command's config names, by role (dotted config keys). */
export interface RunPaths {
  /** Hugging Face model folders that must exist (config.json inside). */
  models?: string[];
  /** Tokenizer folders (tokenizer.json inside); '' means "the model's". */
  tokenizers?: string[];
  /** Input files or folders (comma-separated lists allowed); '' means none. */
  inputs?: string[];
}

/** Checks before any work: `out` is not a file, every named model, tokenizer and input exists, and
 * says so when --resume finds no checkpoint to continue (the run then starts from step 0, which
 * lets a restarted job always pass --resume). */
export function checkRunPaths(name: string, config: object, paths: RunPaths, resume: boolean): void {
  const get = (key: string): string => {
    const v = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], config);
    return typeof v === 'string' ? v : '';
  };
  const out = get('out');
  if (out && statSync(out, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`${name}: out ${out} is a file; it must name a run folder (created if missing)`);
  for (const key of paths.models ?? []) {
    const dir = get(key);
    const problem = dir ? modelDirProblem(dir) : null;
    if (problem) throw new UsageError(`${name}: ${key}: ${problem}`);
  }
  for (const key of paths.tokenizers ?? []) {
    const dir = get(key);
    if (dir && !existsSync(join(dir, 'tokenizer.json'))) throw new UsageError(`${name}: ${key}: ${existsSync(dir) ? `no tokenizer.json in ${dir}` : `${dir}: no such tokenizer folder`}`);
  }
  for (const key of paths.inputs ?? []) {
    for (const p of get(key).split(',').filter(Boolean)) {
      if (!existsSync(p)) throw new UsageError(`${name}: ${key}: ${p}: no such file or folder`);
    }
  }
  if (resume && out && !listCheckpoints(out).length) console.warn(`${name}: --resume: ${out} has no checkpoint yet, so the run starts from the beginning`);
}

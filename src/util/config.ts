// Typed configuration: defaults in one object, then a YAML/JSON file, then `--key value` flags
// (dotted keys reach nested groups). Unknown keys and wrongly typed values throw with the key's
// path, so a typo never silently trains with a default.
import { parse as parseYaml } from 'yaml';
import { parseJson, readTextFile } from './text.js';

export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };
type Plain = { [key: string]: ConfigValue };

export class ConfigError extends Error {}

function isObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a .yaml/.yml/.json config file into a plain object. */
export function readConfigFile(path: string): Plain {
  let text: string, parsed: unknown;
  try {
    text = readTextFile(path);
    parsed = /\.json$/i.test(path) ? parseJson(text, path) : undefined;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (!/\.json$/i.test(path)) {
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message}`);
    }
  }
  if (parsed == null) return {};
  if (!isObject(parsed)) throw new ConfigError(`${path}: expected a mapping of keys to values at the top level`);
  return parsed;
}

/** Merges `override` into a copy of `base`, checking every key exists in base with the same type
 * (numbers may be given as numeric strings, as flags are). `where` names the source in errors. */
export function mergeConfig<T extends object>(base: T, override: Plain, where: string, path = ''): T {
  const out: Plain = { ...(base as Plain) };
  for (const [key, value] of Object.entries(override)) {
    const name = path ? `${path}.${key}` : key;
    // Own keys only: "__proto__" or "constructor" must be unknown keys, not the prototype's.
    if (!Object.hasOwn(out, key)) {
      throw new ConfigError(`${where}: unknown key "${name}" (known: ${Object.keys(out).join(', ')})`);
    }
    Object.defineProperty(out, key, { value: coerce(out[key], value, name, where), enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}

function coerce(current: ConfigValue, value: ConfigValue, name: string, where: string): ConfigValue {
  if (isObject(current)) {
    if (!isObject(value)) throw new ConfigError(`${where}: "${name}" must be a mapping`);
    return mergeConfig(current, value, where, name);
  }
  if (current === null || value === null) return value;
  if (typeof current === 'number') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ConfigError(`${where}: "${name}" must be a number, got ${JSON.stringify(value)}`);
    return n;
  }
  if (typeof current === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new ConfigError(`${where}: "${name}" must be true or false, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(current)) {
    if (Array.isArray(value)) return value;
    if (typeof value === 'string') return value === '' ? [] : value.split(',').map((s) => (typeof current[0] === 'number' ? Number(s) : s));
    throw new ConfigError(`${where}: "${name}" must be a list`);
  }
  if (typeof value !== 'string') throw new ConfigError(`${where}: "${name}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Turns `--a.b value` flags into a nested object. */
export function flagsToObject(flags: Record<string, string | number | boolean | undefined>): Plain {
  const out: Plain = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const parts = key.split('.');
    let node = out;
    parts.slice(0, -1).forEach((p, i) => {
      if (!Object.hasOwn(node, p)) Object.defineProperty(node, p, { value: {}, enumerable: true, writable: true, configurable: true });
      const next = node[p];
      if (!isObject(next)) throw new ConfigError(`command line: --${parts.slice(0, i + 1).join('.')} is a group of keys, and --${key} cannot also set a key inside a value`);
      node = next;
    });
    const last = parts[parts.length - 1];
    if (Object.hasOwn(node, last) && isObject(node[last])) throw new ConfigError(`command line: --${key} is a group of keys (set --${key}.<key> instead)`);
    Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** defaults ← file ← flags, then `validate` (which throws ConfigError on bad combinations). */
export function resolveConfig<T extends object>(defaults: T, opts: { file?: string; flags?: Plain; validate?: (c: T) => void } = {}): T {
  let config = defaults;
  if (opts.file) config = mergeConfig(config, readConfigFile(opts.file), opts.file);
  if (opts.flags) config = mergeConfig(config, opts.flags, 'command line');
  opts.validate?.(config);
  return config;
}

/** A rule for a string that must be one of `options` (an enum field): fails naming the key, the
 * choices and what it got. */
export function oneOf<T extends string>(key: string, value: string, options: readonly T[]): [boolean, string] {
  return [(options as readonly string[]).includes(value), `${key} must be ${options.join(' | ')}, got ${JSON.stringify(value)}`];
}

/** Throws a ConfigError for the first failing rule: [condition, message]. */
export function check(rules: [boolean, string][]): void {
  for (const [ok, message] of rules) if (!ok) throw new ConfigError(message);
}

/** Rules for check() that every config repeats, each naming its key. */
export const posInt = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 1, `${key} must be a positive integer, got ${v}`];
export const nonNegInt = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 0, `${key} must be an integer ≥ 0, got ${v}`];
export const intAtLeast = (key: string, v: number, min: number): [boolean, string] => [Number.isInteger(v) && v >= min, `${key} must be an integer ≥ ${min}, got ${v}`];

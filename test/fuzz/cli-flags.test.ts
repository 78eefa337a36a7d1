// CLI flags under fuzzing: random command lines for a spec with every flag type, and for every
// config-driven command (its real defaults and validator, config keys as flags, and a --config
// file of mutated YAML or JSON) parse into values of the declared types, or stop with a UsageError
// or ConfigError; never a TypeError from a value of the wrong shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseArgs, UsageError, type CommandSpec } from '../../src/cli/args.js';
import { parseConfigCommand } from '../../src/cli/config-args.js';
import { ConfigError } from '../../src/util/config.js';
import { PRETRAIN_DEFAULTS, SFT_DEFAULTS, validatePretrain, validateSft } from '../../src/train/config.js';
import { REWARD_DEFAULTS, validateReward } from '../../src/rlhf/reward/config.js';
import { DPO_DEFAULTS, validateDpo } from '../../src/rlhf/dpo/config.js';
import { PPO_DEFAULTS, validatePpo } from '../../src/rlhf/ppo/config.js';
import { GRPO_DEFAULTS, validateGrpo } from '../../src/rlhf/grpo/config.js';
import { PIPELINE_DEFAULTS, validatePipeline } from '../../src/pipeline/config.js';
import { Budget, edgeJson, mutatedJson, params, scratch } from './harness.js';

const VALUES = ['', '0', '-1', '1e309', 'NaN', '0x10', ' 5', '1,2', 'true', 'false', 'x', '\u0000', '--', '-h', '1000000000', '../x', '{"a":1}'];

const spec: CommandSpec = {
  name: 'rlhf fuzzed', summary: '', usage: '',
  flags: {
    model: { type: 'string', help: '' }, 'max-new-tokens': { type: 'number', help: '', default: 64 },
    json: { type: 'boolean', help: '', default: false }, ids: { type: 'string', help: '' },
  },
};

const deliberate = (e: unknown): boolean => e instanceof UsageError || e instanceof ConfigError;

test('fuzz: parseArgs gives typed flags or a UsageError naming the command', () => {
  const token = fc.oneof(fc.constantFrom('--model', '--max-new-tokens', '--json', '--json=no', '--ids=', '--bogus', '-h', '--', '--=x', 'pos'), fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }));
  fc.assert(fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
    try {
      const r = parseArgs(spec, argv);
      assert.ok(typeof r.flags['max-new-tokens'] === 'number' && Number.isFinite(r.flags['max-new-tokens']));
      assert.equal(typeof r.flags.json, 'boolean');
      for (const k of ['model', 'ids']) assert.ok(r.flags[k] === undefined || typeof r.flags[k] === 'string');
    } catch (e) {
      assert.ok(deliberate(e) && (e as Error).message.startsWith('rlhf fuzzed'), `${(e as Error).stack}\n  argv: ${JSON.stringify(argv)}`);
    }
  }), params(500));
});

const COMMANDS: [string, object, (c: never) => void][] = [
  ['pretrain', PRETRAIN_DEFAULTS, validatePretrain], ['sft', SFT_DEFAULTS, validateSft], ['reward', REWARD_DEFAULTS, validateReward],
  ['dpo', DPO_DEFAULTS, validateDpo], ['ppo', PPO_DEFAULTS, validatePpo], ['grpo', GRPO_DEFAULTS, validateGrpo], ['pipeline', PIPELINE_DEFAULTS, validatePipeline],
];

const leaves = (o: object, at = ''): string[] => Object.entries(o).flatMap(([k, v]) =>
  (typeof v === 'object' && v !== null && !Array.isArray(v) ? leaves(v, `${at}${k}.`) : [`${at}${k}`]));

/** Type of every leaf of `defaults`, to check a parsed config against. */
function sameShape(defaults: unknown, got: unknown, at = ''): void {
  if (typeof defaults === 'object' && defaults !== null && !Array.isArray(defaults)) {
    assert.ok(typeof got === 'object' && got !== null && !Array.isArray(got), `${at} is not a mapping`);
    for (const [k, v] of Object.entries(defaults)) sameShape(v, (got as Record<string, unknown>)[k], `${at}.${k}`);
  } else if (defaults !== null) {
    assert.ok(got === null || Array.isArray(defaults) === Array.isArray(got), `${at}: ${JSON.stringify(got)} for a default of ${JSON.stringify(defaults)}`);
    if (!Array.isArray(defaults)) assert.ok(got === null || typeof got === typeof defaults, `${at}: ${JSON.stringify(got)} for a default of ${JSON.stringify(defaults)}`);
  }
}

test('fuzz: config commands give configs of the defaults\' types, or a ConfigError/UsageError', () => {
  const tmp = scratch('cli-flags');
  const budget = new Budget('CLI flags and config files', 64, 500);
  const log = console.log;
  console.log = () => {};
  try {
    for (const [name, defaults, validate] of COMMANDS) {
      const cmd: CommandSpec = { name: `rlhf ${name}`, summary: '', usage: '', flags: { config: { type: 'string', help: '' }, resume: { type: 'boolean', help: '' } } };
      const keys = leaves(defaults);
      const flag = fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.constantFrom('train', 'bogus.key', 'train.steps.x', '__proto__.polluted')), fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 6 })), fc.boolean())
        .map(([k, v, inline]) => (inline ? [`--${k}=${v}`] : [`--${k}`, v]));
      const file = fc.option(fc.tuple(mutatedJson(defaults, 3), fc.boolean(), edgeJson), { nil: null });
      fc.assert(fc.property(fc.array(flag, { maxLength: 4 }), file, (flags, f) => {
        const argv = flags.flat();
        if (f) {
          const path = join(tmp.dir, f[1] ? 'c.json' : 'c.yaml');
          writeFileSync(path, f[1] ? JSON.stringify(f[0]) ?? 'null' : JSON.stringify(f[2]));
          argv.push('--config', path);
        }
        budget.time(() => {
          try {
            const r = parseConfigCommand(cmd, defaults, argv, validate as (c: object) => void);
            if (r) sameShape(defaults, r.config);
          } catch (e) {
            assert.ok(deliberate(e), `${name}: ${(e as Error).stack}\n  argv: ${JSON.stringify(argv)}`);
          }
        });
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
      }), params(60));
    }
  } finally {
    console.log = log;
    tmp.done();
  }
  budget.check();
});

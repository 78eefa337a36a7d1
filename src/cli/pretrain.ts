// `rlhf pretrain`: next-token pretraining on token shards (config keys in src/train/config.ts).
import { PRETRAIN_DEFAULTS, validatePretrain } from '../train/config.js';
import { pretrain } from '../train/pretrain.js';
import type { CommandSpec } from './args.js';
import { checkRunPaths, parseConfigCommand } from './config-args.js';
import { printTrainSummary } from './train-report.js';

const spec: CommandSpec = {
  name: 'rlhf pretrain',
  summary: 'pretrain a causal LM on packed token shards, with an add-one bigram baseline on the held-out shards',
  usage: 'rlhf pretrain --data.train SHARDS [--data.val SHARDS] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, PRETRAIN_DEFAULTS, argv, validatePretrain);
  if (!parsed) return;
  checkRunPaths(spec.name, parsed.config, { models: ['model.init'], tokenizers: ['tokenizer'], inputs: ['data.train', 'data.val'] }, Boolean(parsed.flags.resume));
  const s = await pretrain(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  printTrainSummary('pretrain', parsed.config.out, s, [
    ['parameters', s.params.toLocaleString('en-US')],
    ...(s.bigram ? [['bigram perplexity (add-one, same held-out windows)', s.bigram.ppl.toFixed(1)] as [string, string]] : []),
    ['model', s.model],
  ]);
}

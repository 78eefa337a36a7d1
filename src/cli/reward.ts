// `rlhf reward`: train a reward model on ranked responses (config keys in src/rlhf/reward/config.ts).
import { REWARD_DEFAULTS, validateReward } from '../rlhf/reward/config.js';
import { trainRewardModel } from '../rlhf/reward/trainer.js';
import type { CommandSpec } from './args.js';
import { checkRunPaths, parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf reward',
  summary: 'train a reward model (scalar head on the SFT model) on rankings or preference pairs',
  usage: 'rlhf reward --model SFT_DIR --data.train rankings.jsonl [--data.val FILE] [--normalization.prompts prompts.jsonl] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, REWARD_DEFAULTS, argv, validateReward);
  if (!parsed) return;
  checkRunPaths(spec.name, parsed.config, { models: ['model'], tokenizers: ['tokenizer'], inputs: ['data.train', 'data.val', 'normalization.prompts'] }, Boolean(parsed.flags.resume));
  const s = await trainRewardModel(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  const rows: [string, string][] = [
    ['steps', s.resumedFrom !== null ? `${s.steps} (resumed at ${s.resumedFrom})` : String(s.steps)],
    ['time', `${s.seconds.toFixed(1)} s`],
    ['rankings (dropped)', `${s.examples} (${s.dropped})`],
    ['final training loss / pair accuracy', `${s.trainLoss.toFixed(4)} / ${(100 * s.trainAccuracy).toFixed(1)}%`],
    ['held-out pairwise accuracy', s.accuracy === null ? '- (no data.val)' : `${(100 * s.accuracy).toFixed(1)}% over ${s.valPairs} pairs`],
    ['reward under the SFT policy', s.normalization ? `${s.normalization.mean.toFixed(3)} ± ${s.normalization.std.toFixed(3)}` : '- (no normalization.prompts)'],
    ['model', s.model],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log('\nreward model done');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}

// `rlhf pipeline`: runs the stages (by default data → tokenizer → pack → pretrain → sft → rankings →
// reward → best_of_n → ppo → ppo_gold → reward_hacking → dpo → rloo → grpo → report; the list is the
// `stages` key) into a run folder, skipping stages already done with the same config; `npm start` is
// this with defaults.
import { PIPELINE_DEFAULTS, validatePipeline } from '../pipeline/config.js';
import { formatPipelineSummary, runPipeline } from '../pipeline/run.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf pipeline',
  summary: 'run the training pipeline end to end (data → tokenizer → pack → pretrain → sft → rankings → reward → best_of_n → ppo, ppo_gold, reward_hacking, dpo, rloo, grpo → report; simpo, orpo, kto, reinforce_pp, rft on request), resumable stage by stage',
  usage: 'rlhf pipeline [--config FILE] [--out DIR] [--<key> VALUE ...]   (run again with the same --out to resume)',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of pipeline keys (flags override it)' },
    quiet: { type: 'boolean', help: 'no progress bars, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, PIPELINE_DEFAULTS, argv, validatePipeline);
  if (!parsed) return;
  const result = await runPipeline(parsed.config, { quiet: Boolean(parsed.flags.quiet) });
  console.log(formatPipelineSummary(result, parsed.config.samples));
}

// `rlhf rft`: rejection-sampling fine-tuning, best-of-n by a reward model or function distilled by
// SFT (config keys in src/rlhf/rft/config.ts).
import { goldWatch } from '../rlhf/eval.js';
import { RFT_DEFAULTS, validateRft } from '../rlhf/rft/config.js';
import { rft } from '../rlhf/rft/trainer.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';
import { comparisonRows, fmt, printSummary } from './summary.js';

const spec: CommandSpec = {
  name: 'rlhf rft',
  summary: 'rejection-sampling fine-tuning (RAFT, ReST, Llama 2): best of n samples per prompt by a reward, then SFT on them',
  usage: 'rlhf rft --policy SFT_DIR (--reward RM_DIR | --reward-fn FILE) --data.prompts prompts.jsonl [--eval.prompts eval.jsonl] [--n 8] [--rounds 1] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    'reward-fn': { type: 'string', help: 'a reward-function module exporting score(prompt, response, record), in place of --reward', configKey: 'rewardFn' },
    resume: { type: 'boolean', help: 'continue the run in --out: finished rounds are skipped, the current round\'s SFT resumes' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, RFT_DEFAULTS, argv, validateRft);
  if (!parsed) return;
  const s = await rft(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet), watch: goldWatch });
  printSummary('rft done', [
    ['time', `${s.seconds.toFixed(1)} s`],
    ['reward', s.reward],
    ...s.rounds.map((r): [string, string] => [`round ${r.round}`, `kept ${r.kept} of ${r.prompts} prompts; score ${fmt(r.score)} → kept ${fmt(r.keptScore)}; SFT loss ${fmt(r.sftLoss)}`]),
    ...comparisonRows(s.eval),
    ['model', s.model],
    ['run folder', `${parsed.config.out} (round-*/selected.jsonl and sft/, summary.json)`],
  ]);
}

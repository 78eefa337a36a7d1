// `rlhf kto`: Kahneman-Tversky optimisation on unpaired good/bad labels (config keys in
// src/rlhf/kto/config.ts).
import { KTO_DEFAULTS, validateKto } from '../rlhf/kto/config.js';
import { kto } from '../rlhf/kto/trainer.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';
import { comparisonRows, fmt, printSummary } from './summary.js';

const spec: CommandSpec = {
  name: 'rlhf kto',
  summary: 'KTO on unpaired labels ({"prompt", "completion", "label": true|false}, TRL\'s format): no pairs needed',
  usage: 'rlhf kto --model SFT_DIR --data.train feedback.jsonl [--data.val FILE] [--eval.prompts eval.jsonl] [--beta 0.1] [--desirableWeight 1] [--undesirableWeight 1] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, KTO_DEFAULTS, argv, validateKto);
  if (!parsed) return;
  const s = await kto(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  printSummary('kto done', [
    ['steps', s.resumedFrom !== null ? `${s.steps} (resumed at ${s.resumedFrom})` : String(s.steps)],
    ['time', `${s.seconds.toFixed(1)} s training, ${s.referenceSeconds.toFixed(1)} s reference log-probs`],
    ['examples: desirable / undesirable (dropped)', `${s.desirable} / ${s.undesirable} (${s.dropped}); λ_D·n_D / (λ_U·n_U) ${fmt(s.weightedRatio, 2)}`],
    ['final training loss, z0', `${fmt(s.trainLoss, 4)}, ${fmt(s.kl, 4)}`],
    ['held-out share on the right side of z0', s.valAccuracy === null ? '- (no data.val)' : `${(100 * s.valAccuracy).toFixed(1)}%`],
    ...comparisonRows(s.eval),
    ['model', s.model], ...(s.adapter ? [['adapter (PEFT)', s.adapter] as [string, string]] : []),
  ]);
}

// `rlhf simpo`: SimPO, `rlhf dpo` with loss simpo and SimPO's defaults (β 2, γ 1; no reference
// model). Config keys in src/rlhf/dpo/config.ts.
import { SIMPO_DEFAULTS, validateDpo } from '../rlhf/dpo/config.js';
import { dpo } from '../rlhf/dpo/trainer.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';
import { comparisonRows, fmt, printSummary } from './summary.js';

const spec: CommandSpec = {
  name: 'rlhf simpo',
  summary: 'SimPO: length-normalised log-probability margin with a target γ, no reference model (= rlhf dpo --loss simpo)',
  usage: 'rlhf simpo --model SFT_DIR --data.train preference.jsonl [--data.val FILE] [--eval.prompts eval.jsonl] [--beta 2] [--gamma 1] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, SIMPO_DEFAULTS, argv, validateDpo);
  if (!parsed) return;
  const s = await dpo(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  printSummary(`${parsed.config.loss === 'simpo' ? 'simpo' : 'dpo'} done`, [
    ['steps', s.resumedFrom !== null ? `${s.steps} (resumed at ${s.resumedFrom})` : String(s.steps)],
    ['time', `${s.seconds.toFixed(1)} s`],
    ['pairs (dropped)', `${s.pairs} (${s.dropped})`],
    ['final training loss', fmt(s.trainLoss, 4)],
    ['held-out reward accuracy', s.valRewardAccuracy === null ? '- (no data.val)' : `${(100 * s.valRewardAccuracy).toFixed(1)}%`],
    ...comparisonRows(s.eval),
    ['model', s.model], ...(s.adapter ? [['adapter (PEFT)', s.adapter] as [string, string]] : []),
  ]);
}

// `rlhf orpo`: odds-ratio preference optimisation, no reference model (config keys in
// src/rlhf/orpo/config.ts).
import { ORPO_DEFAULTS, validateOrpo } from '../rlhf/orpo/config.js';
import { orpo } from '../rlhf/orpo/trainer.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';
import { comparisonRows, fmt, printSummary } from './summary.js';

const spec: CommandSpec = {
  name: 'rlhf orpo',
  summary: 'ORPO: SFT on the chosen responses plus λ times an odds-ratio preference term; no reference model',
  usage: 'rlhf orpo --model MODEL_DIR --data.train preference.jsonl [--data.val FILE] [--eval.prompts eval.jsonl] [--lambda 0.1] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, ORPO_DEFAULTS, argv, validateOrpo);
  if (!parsed) return;
  const s = await orpo(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  printSummary('orpo done', [
    ['steps', s.resumedFrom !== null ? `${s.steps} (resumed at ${s.resumedFrom})` : String(s.steps)],
    ['time', `${s.seconds.toFixed(1)} s`],
    ['pairs (dropped)', `${s.pairs} (${s.dropped})`],
    ['final training loss, chosen NLL', `${fmt(s.trainLoss, 4)}, ${fmt(s.trainNll, 4)}`],
    ['held-out odds-ratio accuracy', s.valAccuracy === null ? '- (no data.val)' : `${(100 * s.valAccuracy).toFixed(1)}%`],
    ...comparisonRows(s.eval),
    ['model', s.model], ...(s.adapter ? [['adapter (PEFT)', s.adapter] as [string, string]] : []),
  ]);
}

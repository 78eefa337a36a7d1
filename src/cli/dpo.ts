// `rlhf dpo`: direct preference optimisation of an SFT model (config keys in
// src/rlhf/dpo/config.ts).
import { DPO_DEFAULTS, validateDpo } from '../rlhf/dpo/config.js';
import { dpo } from '../rlhf/dpo/trainer.js';
import type { CommandSpec } from './args.js';
import { checkRunPaths, parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf dpo',
  summary: 'direct preference optimisation (sigmoid, conservative, IPO, or reference-free SimPO loss) of an SFT model on preference pairs',
  usage: 'rlhf dpo --model SFT_DIR --data.train preference.jsonl [--data.val FILE] [--eval.prompts eval.jsonl] [--beta 0.1] [--loss sigmoid|ipo|simpo] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, DPO_DEFAULTS, argv, validateDpo);
  if (!parsed) return;
  checkRunPaths(spec.name, parsed.config, { models: ['model'], tokenizers: ['tokenizer'], inputs: ['data.train', 'data.val', 'eval.prompts'] }, Boolean(parsed.flags.resume));
  const s = await dpo(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  const rows: [string, string][] = [
    ['steps', s.resumedFrom !== null ? `${s.steps} (resumed at ${s.resumedFrom})` : String(s.steps)],
    ['time', `${s.seconds.toFixed(1)} s training, ${s.referenceSeconds.toFixed(1)} s reference log-probs`],
    ['pairs (dropped)', `${s.pairs} (${s.dropped})`],
    ['final training loss', s.trainLoss.toFixed(4)],
    ['held-out implicit-reward accuracy', s.valRewardAccuracy === null ? '- (no data.val)' : `${(100 * s.valRewardAccuracy).toFixed(1)}%`],
  ];
  if (s.eval) {
    rows.push(['held-out win rate vs SFT', `${(100 * s.eval.winRate).toFixed(1)}% (${s.eval.wins} wins, ${s.eval.ties} ties, ${s.eval.losses} losses of ${s.eval.prompts})`]);
    rows.push(['held-out KL to the reference', `${s.eval.kl.toFixed(2)} nats per response`]);
  }
  rows.push(['model', s.model], ...(s.adapter ? [['adapter (PEFT)', s.adapter] as [string, string]] : []));
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log('\ndpo done');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}

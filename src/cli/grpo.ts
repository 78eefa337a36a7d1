// `rlhf grpo`: group relative policy optimisation on prompts with checkable answers (config keys in
// src/rlhf/grpo/config.ts).
import { GRPO_DEFAULTS, validateGrpo } from '../rlhf/grpo/config.js';
import { grpo } from '../rlhf/grpo/trainer.js';
import type { CommandSpec } from './args.js';
import { checkRunPaths, parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf grpo',
  summary: 'GRPO: G samples per prompt rewarded by an answer checker or a reward function, group-normalised advantages, clipped ratio, KL to the reference; DAPO options',
  usage: 'rlhf grpo --policy SFT_DIR --data.prompts prompts.jsonl [--reward-fn FILE] [--eval.prompts eval.jsonl] [--groupSize 8] [--clipHigh 0.28] [--lossAggregation token] [--dynamicSampling.enabled] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    'reward-fn': { type: 'string', help: 'a reward-function module exporting score(prompt, response, record), in place of the answer checker', configKey: 'rewardFn' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, GRPO_DEFAULTS, argv, validateGrpo);
  if (!parsed) return;
  checkRunPaths(spec.name, parsed.config, { models: ['policy'], tokenizers: ['tokenizer'], inputs: ['data.prompts', 'eval.prompts'] }, Boolean(parsed.flags.resume));
  const s = await grpo(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  const rows: [string, string][] = [
    ['iterations', s.resumedFrom !== null ? `${s.iterations} (resumed at ${s.resumedFrom})` : String(s.iterations)],
    ['time', `${s.seconds.toFixed(1)} s (generate ${s.generateS.toFixed(1)} s, train ${s.trainS.toFixed(1)} s)`],
    ['training exact match: first → last iteration', `${pct(s.first?.exactMatch)} → ${pct(s.last?.exactMatch)}`],
  ];
  if (s.accuracy) rows.push(['held-out exact match: SFT → GRPO', `${pct(s.sftAccuracy?.accuracy)} → ${pct(s.accuracy.accuracy)} (${s.accuracy.total} prompts)`]);
  rows.push(['model', s.model], ['run folder', `${parsed.config.out} (metrics.jsonl per iteration, summary.json, checkpoints/)`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log('\ngrpo done');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}

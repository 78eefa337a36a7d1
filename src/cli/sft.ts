// `rlhf sft`: supervised fine-tuning on conversations, full or LoRA (config keys in
// src/train/config.ts).
import { SFT_DEFAULTS, validateSft } from '../train/config.js';
import { sft } from '../train/sft.js';
import type { CommandSpec } from './args.js';
import { checkRunPaths, parseConfigCommand } from './config-args.js';
import { printTrainSummary } from './train-report.js';

const spec: CommandSpec = {
  name: 'rlhf sft',
  summary: 'fine-tune a causal LM on conversations (loss on assistant tokens only), optionally with LoRA',
  usage: 'rlhf sft --model DIR --data.train FILE.jsonl [--data.val FILE] [--accuracy.file eval.jsonl] [--lora.enabled] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, SFT_DEFAULTS, argv, validateSft);
  if (!parsed) return;
  checkRunPaths(spec.name, parsed.config, { models: ['model'], tokenizers: ['tokenizer'], inputs: ['data.train', 'data.val', 'accuracy.file'] }, Boolean(parsed.flags.resume));
  const s = await sft(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet) });
  printTrainSummary(s.lora ? 'sft (LoRA)' : 'sft', parsed.config.out, s, [
    ['trainable / all parameters', `${s.trainableParams.toLocaleString('en-US')} / ${s.params.toLocaleString('en-US')}`],
    ['step time, peak memory', `${s.stepMs.toFixed(0)} ms, ${s.peakRssMb.toFixed(0)} MB`],
    ...(s.baseAccuracy !== null ? [['exact match: base → SFT', `${pct(s.baseAccuracy)} → ${pct(s.sftAccuracy)}`] as [string, string]] : []),
    ['model', s.model],
    ...(s.adapter ? [['adapter (PEFT)', s.adapter] as [string, string]] : []),
  ]);
}

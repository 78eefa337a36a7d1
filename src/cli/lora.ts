// `rlhf lora merge`: folds a PEFT LoRA adapter into its base model and saves an ordinary
// Hugging Face checkpoint (the tokenizer files travel along when the base folder has them).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPretrained } from '../models/index.js';
import { loadLora } from '../train/lora.js';
import { copyTokenizer } from '../train/run-dir.js';
import { UsageError, formatHelp, parseArgs, type CommandSpec } from './args.js';

const mergeSpec: CommandSpec = {
  name: 'rlhf lora merge',
  summary: 'merge a LoRA adapter (adapter_config.json + adapter_model.safetensors) into its base model',
  usage: 'rlhf lora merge --base DIR --adapter DIR --out DIR',
  flags: {
    base: { type: 'string', help: 'the base model folder (Hugging Face layout)' },
    adapter: { type: 'string', help: 'the adapter folder (PEFT layout)' },
    out: { type: 'string', help: 'folder for the merged model' },
  },
};

const usage = 'rlhf lora: LoRA adapters\n\nusage: rlhf lora merge --base DIR --adapter DIR --out DIR   (rlhf lora merge --help)';

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') return void console.log(usage);
  if (sub !== 'merge') throw new UsageError(`rlhf lora: unknown subcommand "${sub}"\n\n${usage}`);
  const { flags, help } = parseArgs(mergeSpec, rest);
  if (help) return void console.log(formatHelp(mergeSpec));
  const [base, adapter, out] = [flags.base, flags.adapter, flags.out] as (string | undefined)[];
  if (!base || !adapter || !out) throw new UsageError(`${mergeSpec.name}: --base, --adapter and --out are required\n\n${formatHelp(mergeSpec)}`);
  const model = await loadPretrained(base);
  const lora = loadLora(model, adapter);
  const n = lora.adapters.size;
  lora.merge().save(out);
  if (existsSync(join(base, 'tokenizer.json'))) copyTokenizer(base, out);
  console.log(`merged ${n} adapted layers (rank ${lora.config.rank}, alpha ${lora.config.alpha}) into ${out}`);
}

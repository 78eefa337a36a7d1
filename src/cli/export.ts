// `rlhf export gguf`: a model directory → one GGUF file for llama.cpp (LLaMA family and GPT-2).
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { exportGguf } from '../models/index.js';

const spec: CommandSpec = {
  name: 'rlhf export gguf',
  summary: 'write a model directory (weights + tokenizer.json; llama, mistral, mixtral, qwen2 or gpt2) as a GGUF file for llama.cpp',
  usage: 'rlhf export gguf --model DIR --out FILE.gguf [--dtype f32|f16|q8_0]',
  flags: {
    model: { type: 'string', help: 'model directory (config.json, model.safetensors, tokenizer.json)' },
    out: { type: 'string', help: 'output .gguf file' },
    dtype: { type: 'string', help: 'matrix storage: f32 | f16 | q8_0 (8-bit, the weights of --dtype int8; rows must be multiples of 32); norms stay f32', default: 'f32' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const [format, ...rest] = argv;
  if (format === undefined || format === '--help' || format === '-h') return void console.log(formatHelp(spec));
  if (format !== 'gguf') throw new UsageError(`rlhf export: unknown format "${format}" (supported: gguf)`);
  const { flags: f, help } = parseArgs(spec, rest);
  if (help) return void console.log(formatHelp(spec));
  if (!f.model || !f.out) throw new UsageError('rlhf export gguf: --model DIR and --out FILE are required');
  if (f.dtype !== 'f32' && f.dtype !== 'f16' && f.dtype !== 'q8_0') throw new UsageError(`rlhf export gguf: --dtype must be f32, f16 or q8_0, got "${String(f.dtype)}"`);
  const r = await exportGguf(String(f.model), String(f.out), { dtype: f.dtype });
  console.log(`wrote ${r.path}: ${r.architecture}, ${r.tensors} tensors, ${r.tokens} tokens, ${(r.bytes / 2 ** 20).toFixed(1)} MiB (header read back and checked)`);
}

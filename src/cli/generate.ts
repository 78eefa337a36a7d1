// `rlhf generate`: continue prompts with a saved model (KV-cached, batched, streamed).
import { readFileSync } from 'node:fs';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { loadPretrained, parseWeightDtype } from '../models/index.js';
import { encodeChat, loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import type { WeightDtype } from '../engine/kernels.js';

const spec: CommandSpec = {
  name: 'rlhf generate',
  summary: 'continue prompts with a model directory (Hugging Face layout)',
  usage: 'rlhf generate --model DIR (--prompt TEXT | --input FILE | --ids 1,2,3) [flags]',
  flags: {
    model: { type: 'string', help: 'model directory (config.json, model.safetensors)' },
    tokenizer: { type: 'string', help: 'tokenizer directory (default: the model directory)' },
    prompt: { type: 'string', help: 'one prompt (text)' },
    input: { type: 'string', help: 'a file of prompts, one per line: a JSON string, or plain text; decoded as one batch' },
    ids: { type: 'string', help: 'one prompt as comma-separated token ids (no tokenizer needed)' },
    chat: { type: 'boolean', help: 'wrap each prompt as a user message in the chat template', default: false },
    'max-new-tokens': { type: 'number', help: 'new tokens per prompt', default: 64 },
    temperature: { type: 'number', help: '0 = greedy', default: 0 },
    'top-k': { type: 'number', help: 'sample among the k most likely tokens (0 = off)', default: 0 },
    'top-p': { type: 'number', help: 'nucleus sampling mass (1 = off)', default: 1 },
    'repetition-penalty': { type: 'number', help: '> 1 discourages repeats', default: 1 },
    seed: { type: 'number', help: 'sampling seed', default: 0 },
    stop: { type: 'string', help: 'comma-separated stop token ids (default: the model\'s eos ids)' },
    json: { type: 'boolean', help: 'print one JSON object per prompt (text, tokens, logprobs, finish reason)', default: false },
    dtype: { type: 'string', help: 'weights to decode with: f32 | bf16 (half the memory traffic) | int8 (a quarter; per-row scales)', default: 'f32' },
  },
};

const idList = (s: string, flag: string): number[] => s.split(',').map((x) => {
  const n = Number(x.trim());
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`rlhf generate: --${flag} needs comma-separated token ids, got "${s}"`);
  return n;
});

/** --dtype as a weight storage, or a usage error naming the command. */
export function dtypeFlag(value: unknown, command: string): WeightDtype {
  try {
    return parseWeightDtype(value);
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
}

function readPrompts(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    try {
      const v: unknown = JSON.parse(l);
      if (typeof v === 'string') return v;
    } catch {
      // not JSON: the line is the prompt
    }
    return l;
  });
}

export async function run(argv: string[]): Promise<void> {
  const { flags: f, help } = parseArgs(spec, argv);
  if (help) return void console.log(formatHelp(spec));
  if (!f.model) throw new UsageError('rlhf generate: --model DIR is required');
  const sources = [f.prompt, f.input, f.ids].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new UsageError('rlhf generate: give exactly one of --prompt, --input, --ids');
  const dtype = dtypeFlag(f.dtype, 'rlhf generate');
  const model = await loadPretrained(String(f.model));
  let tok: Tokenizer | null = null;
  let prompts: number[][];
  if (f.ids !== undefined) prompts = [idList(String(f.ids), 'ids')];
  else {
    tok = loadTokenizer(String(f.tokenizer ?? f.model));
    const texts = f.prompt !== undefined ? [String(f.prompt)] : readPrompts(String(f.input));
    prompts = texts.map((t) => (f.chat
      ? encodeChat(tok!, [{ role: 'user', content: t }], { addGenerationPrompt: true }).ids
      : tok!.encode(t, { addSpecialTokens: true })));
  }
  const stream = !f.json && prompts.length === 1;
  let shown = '';
  const streamed: number[] = [];
  const out = await model.generate(prompts, {
    maxNewTokens: Number(f['max-new-tokens']), temperature: Number(f.temperature), topK: Number(f['top-k']),
    topP: Number(f['top-p']), repetitionPenalty: Number(f['repetition-penalty']), seed: Number(f.seed),
    stopTokenIds: f.stop !== undefined ? idList(String(f.stop), 'stop') : undefined, dtype,
    onToken: stream ? (_row, token) => {
      streamed.push(token);
      // Print whole characters only: a token can end inside a multi-byte UTF-8 sequence.
      const text = tok ? tok.decode(streamed) : streamed.join(' ') + ' ';
      if (!text.endsWith('\uFFFD')) { process.stdout.write(text.slice(shown.length)); shown = text; }
    } : undefined,
  });
  if (stream) return void process.stdout.write('\n');
  out.tokens.forEach((tokens, b) => {
    const text = tok ? tok.decode(tokens, { skipSpecialTokens: true }) : null;
    if (f.json) console.log(JSON.stringify({ prompt: b, text, tokens, logprobs: out.logprobs[b], finish: out.finishReasons[b] }));
    else console.log(text ?? tokens.join(' '));
  });
}

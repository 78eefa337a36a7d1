// `rlhf generate`: continue prompts with a saved model (KV-cached, batched, streamed).
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { loadPretrained, parseWeightDtype, sentenceEndIds } from '../models/index.js';
import { encodeChat, loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import type { WeightDtype } from '../engine/kernels.js';
import { readTextFile } from '../util/text.js';

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
    'max-new-tokens': { type: 'number', help: 'new tokens per prompt (at most the model\'s context; generation stops, finish "length", when prompt + new tokens fill it)', default: 64 },
    temperature: { type: 'number', help: '0 = greedy', default: 0 },
    'top-k': { type: 'number', help: 'sample among the k most likely tokens (0 = off)', default: 0 },
    'top-p': { type: 'number', help: 'nucleus sampling mass (1 = off)', default: 1 },
    'factual-decay': { type: 'number', help: 'factual-nucleus sampling: top-p shrinks by this factor per token within a sentence, back to --top-p at each sentence start (1 = off; Lee et al. use 0.9)', default: 1 },
    'factual-floor': { type: 'number', help: 'factual-nucleus sampling: the lowest top-p (Lee et al. use 0.3)', default: 0.3 },
    'repetition-penalty': { type: 'number', help: '> 1 discourages repeats', default: 1 },
    seed: { type: 'number', help: 'sampling seed', default: 0 },
    stop: { type: 'string', help: 'comma-separated stop token ids (default: the model\'s eos ids)' },
    json: { type: 'boolean', help: 'print one JSON object per prompt (text, tokens, logprobs, finish reason)', default: false },
    dtype: { type: 'string', help: 'weights to decode with: f32 | bf16 (half the memory traffic) | int8 (a quarter; per-row scales)', default: 'f32' },
  },
};

const idList = (s: string, flag: string, vocabSize: number): number[] => {
  if (s.trim() === '') throw new UsageError(`rlhf generate: --${flag} is empty; give comma-separated token ids (1,2,3)`);
  return s.split(',').map((x) => {
    const n = x.trim() === '' ? NaN : Number(x);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`rlhf generate: --${flag} needs comma-separated token ids, got "${s}"`);
    if (n >= vocabSize) throw new UsageError(`rlhf generate: --${flag} has id ${n}, outside the model's vocabulary [0, ${vocabSize})`);
    return n;
  });
};

/** --dtype as a weight storage, or a usage error naming the command. */
export function dtypeFlag(value: unknown, command: string): WeightDtype {
  try {
    return parseWeightDtype(value);
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
}

function readPrompts(path: string): string[] {
  const lines = readTextFile(path).split('\n').filter((l) => l.trim());
  if (!lines.length) throw new UsageError(`rlhf generate: ${path} holds no prompts (one per line)`);
  return lines.map((l) => {
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
  const numeric: [string, (v: number) => boolean, string][] = [
    ['max-new-tokens', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'],
    ['temperature', (v) => v >= 0, '≥ 0 (0 = greedy)'],
    ['top-k', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0 (0 = off)'],
    ['top-p', (v) => v > 0 && v <= 1, 'in (0, 1] (1 = off)'],
    ['repetition-penalty', (v) => v > 0, 'positive (1 = off)'],
    ['seed', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'],
  ];
  for (const [flag, ok, what] of numeric) if (!ok(Number(f[flag]))) throw new UsageError(`rlhf generate: --${flag} must be ${what}, got ${f[flag]}`);
  if (f.prompt === '') throw new UsageError('rlhf generate: --prompt is empty');
  const model = await loadPretrained(String(f.model));
  const context = model.config.maxPositions;
  if (Number(f['max-new-tokens']) > context) {
    throw new UsageError(`rlhf generate: --max-new-tokens ${f['max-new-tokens']} is more than the model's whole context (max_position_embeddings ${context} in ${String(f.model)}/config.json); prompt and new tokens must fit in it`);
  }
  let tok: Tokenizer | null = null;
  let prompts: number[][];
  if (f.ids !== undefined) prompts = [idList(String(f.ids), 'ids', model.config.vocabSize)];
  else {
    tok = loadTokenizer(String(f.tokenizer ?? f.model));
    const texts = f.prompt !== undefined ? [String(f.prompt)] : readPrompts(String(f.input));
    prompts = texts.map((t) => (f.chat
      ? encodeChat(tok!, [{ role: 'user', content: t }], { addGenerationPrompt: true }).ids
      : tok!.encode(t, { addSpecialTokens: true })));
  }
  const decay = Number(f['factual-decay']);
  let factualNucleus;
  if (decay < 1) {
    // Sentence ends are read from token texts, so factual-nucleus sampling needs the tokenizer.
    const t = tok ?? loadTokenizer(String(f.tokenizer ?? f.model));
    factualNucleus = { decay, floor: Number(f['factual-floor']), sentenceEndIds: sentenceEndIds(t.vocabSize, (id) => t.decode([id])) };
  }
  const stream = !f.json && prompts.length === 1;
  let shown = '';
  const streamed: number[] = [];
  const out = await model.generate(prompts, {
    maxNewTokens: Number(f['max-new-tokens']), temperature: Number(f.temperature), topK: Number(f['top-k']),
    topP: Number(f['top-p']), factualNucleus, repetitionPenalty: Number(f['repetition-penalty']), seed: Number(f.seed),
    stopTokenIds: f.stop !== undefined ? idList(String(f.stop), 'stop', model.config.vocabSize) : undefined, dtype,
    onToken: stream ? (_row, token) => {
      streamed.push(token);
      // Print whole characters only: a token can end inside a multi-byte UTF-8 sequence.
      const text = tok ? tok.decode(streamed) : streamed.join(' ') + ' ';
      if (!text.endsWith('\uFFFD')) { process.stdout.write(text.slice(shown.length)); shown = text; }
    } : undefined,
  });
  if (stream) process.stdout.write('\n');
  out.tokens.forEach((tokens, b) => {
    if (out.finishReasons[b] === 'length' && tokens.length < Number(f['max-new-tokens'])) {
      console.warn(`rlhf generate: prompt ${b} stopped after ${tokens.length} new tokens at the end of the model's context (${context} positions; finish "length")`);
    }
  });
  if (stream) return;
  out.tokens.forEach((tokens, b) => {
    const text = tok ? tok.decode(tokens, { skipSpecialTokens: true }) : null;
    if (f.json) console.log(JSON.stringify({ prompt: b, text, tokens, logprobs: out.logprobs[b], finish: out.finishReasons[b] }));
    else console.log(text ?? tokens.join(' '));
  });
}

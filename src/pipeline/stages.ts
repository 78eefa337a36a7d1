// The stages of the default pipeline, each a thin adapter from the pipeline config and the run
// folder to a library call:
//   data       the embedded default data (Brown corpus + generated datasets)      data/
//   tokenizer  byte-level BPE trained on Brown and the SFT conversations           tokenizer/
//   pack       Brown train/val tokenized into shards                                pack/
//   pretrain   the model pretrained on the shards, with the bigram baseline         pretrain/model/
//   sft        supervised fine-tuning, exact match of base vs SFT                   sft/model/
// then the RLHF stages of rlhf-stages.ts (rankings, reward, best_of_n, ppo, dpo, grpo, report).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDefault } from '../data/default/make.js';
import { packDocuments } from '../data/pack.js';
import type { Doc } from '../data/stage.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, PATTERNS, loadTokenizer, saveTokenizer, trainBpe, type PatternName } from '../tokenizer/index.js';
import { pretrain } from '../train/pretrain.js';
import { sft } from '../train/sft.js';
import type { PipelineRunConfig } from './config.js';
import { RLHF_STAGES } from './rlhf-stages.js';
import type { Stage } from './stage.js';

const EOT = '<|endoftext|>';

function jsonlTexts(file: string, pick: (record: Record<string, unknown>) => string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => pick(JSON.parse(l) as Record<string, unknown>));
}

const brownText = (r: Record<string, unknown>): string => String(r.text);
const conversationText = (r: Record<string, unknown>): string => (r.messages as { content: string }[]).map((m) => m.content).join('\n');

const fmt = (x: unknown, digits = 1): string => (typeof x === 'number' ? x.toFixed(digits) : '-');
const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-');

export const STAGES: Stage<PipelineRunConfig>[] = [
  {
    name: 'data',
    summary: 'Brown corpus through the data pipeline, and the default SFT/ranking/prompt/eval datasets',
    inputs: [],
    config: (p) => p.data,
    run: async (ctx, p) => {
      const r = makeDefault(ctx.dir, p.data);
      return { documents: r.brown.documents, files: r.files };
    },
    report: (r) => [`${(r.files as Record<string, number>)['sft.jsonl']} SFT conversations, ${(r.files as Record<string, number>)['eval.jsonl']} held-out eval prompts`],
  },
  {
    name: 'tokenizer',
    summary: 'train a byte-level BPE (ChatML special tokens) on Brown and the SFT conversations',
    inputs: ['data'],
    config: (p) => p.tokenizer,
    run: async (ctx, p) => {
      const data = ctx.dirs.data;
      const texts = [...jsonlTexts(join(data, 'brown/train.jsonl'), brownText), ...jsonlTexts(join(data, 'sft.jsonl'), conversationText)];
      const tok = trainBpe(texts, {
        vocabSize: p.tokenizer.vocabSize, minFrequency: p.tokenizer.minFrequency,
        pattern: p.tokenizer.pattern in PATTERNS ? PATTERNS[p.tokenizer.pattern as PatternName] : p.tokenizer.pattern,
        specialTokens: [EOT, ...CHATML_SPECIAL_TOKENS],
        config: { eosToken: EOT, padToken: EOT, chatTemplate: DEFAULT_CHAT_TEMPLATE },
      });
      saveTokenizer(tok, ctx.dir);
      return { vocabSize: tok.vocabSize };
    },
    report: (r) => [`vocabulary ${r.vocabSize}`],
  },
  {
    name: 'pack',
    summary: 'tokenize Brown train/val into token shards',
    inputs: ['data', 'tokenizer'],
    config: () => ({}),
    run: async (ctx) => {
      const tokDir = ctx.dirs.tokenizer;
      const tok = loadTokenizer(tokDir);
      const spec = { module: new URL('../tokenizer/index.js', import.meta.url).href, exportName: 'loadTokenizer', args: [tokDir] };
      const out: Record<string, number> = {};
      for (const split of ['train', 'val']) {
        const docs: Doc[] = jsonlTexts(join(ctx.dirs.data, `brown/${split}.jsonl`), brownText).map((text, i) => ({ id: `${split}-${i}`, text }));
        const r = await packDocuments(docs, spec, { prefix: join(ctx.dir, split), vocabSize: tok.vocabSize, eosId: tok.tokenToId(EOT)!, shardTokens: 1 << 26, workers: split === 'train' ? 2 : 0 });
        out[`${split}Tokens`] = r.tokens;
      }
      return out;
    },
    report: (r) => [`${r.trainTokens} training and ${r.valTokens} held-out tokens`],
  },
  {
    name: 'pretrain',
    summary: 'pretrain the model on the Brown shards',
    inputs: ['tokenizer', 'pack'],
    config: (p) => p.pretrain,
    run: async (ctx, p) => {
      const s = await pretrain({
        out: ctx.dir,
        data: { train: join(ctx.dirs.pack, 'train-00000.bin'), val: join(ctx.dirs.pack, 'val-00000.bin'), seqLen: p.pretrain.seqLen },
        tokenizer: ctx.dirs.tokenizer,
        model: p.pretrain.model,
        train: p.pretrain.train,
      }, { resume: ctx.resume, quiet: ctx.quiet });
      return { params: s.params, evalLoss: s.eval?.loss, evalPpl: s.eval?.ppl, bigramPpl: s.bigram?.ppl, tokS: s.tokS, model: s.model };
    },
    report: (r) => [`held-out perplexity ${fmt(r.evalPpl)} vs add-one bigram ${fmt(r.bigramPpl)} (same windows), ${fmt(r.tokS, 0)} tokens/s`],
  },
  {
    name: 'sft',
    summary: 'supervised fine-tuning on the instruction conversations; exact match of base vs SFT',
    inputs: ['data', 'pretrain'],
    config: (p) => p.sft,
    run: async (ctx, p) => {
      const data = ctx.dirs.data;
      const s = await sft({
        out: ctx.dir,
        model: join(ctx.dirs.pretrain, 'model'),
        tokenizer: '',
        data: { train: join(data, 'sft.jsonl'), val: join(data, 'sft_val.jsonl'), maxLen: p.sft.maxLen, groupByLength: p.sft.groupByLength, averageLossBy: p.sft.averageLossBy },
        train: p.sft.train,
        lora: p.sft.lora,
        accuracy: { file: join(data, 'eval.jsonl'), limit: p.sft.accuracyPrompts, maxNewTokens: p.sft.maxNewTokens },
      }, { resume: ctx.resume, quiet: ctx.quiet });
      return { baseAccuracy: s.baseAccuracy, sftAccuracy: s.sftAccuracy, evalLoss: s.eval?.loss, tokS: s.tokS, stepMs: s.stepMs, model: s.model };
    },
    report: (r) => [`exact match on held-out instructions: base ${pct(r.baseAccuracy)} → SFT ${pct(r.sftAccuracy)}`],
  },
  ...RLHF_STAGES,
];

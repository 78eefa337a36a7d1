// The stages of the default pipeline, each a thin adapter from the pipeline config and the run
// folder to a library call:
//   data       the embedded default data (generated stories, the Brown corpus through the data
//              pipeline, the SFT/ranking/prompt/eval datasets), and the prompt files split by
//              task kind (prompts-continuation.jsonl, eval-instruction.jsonl, …)   data/
//   tokenizer  byte-level BPE trained on the pretraining text and the SFT conversations  tokenizer/
//   pack       the pretraining text's train/val splits tokenized into shards        pack/
//   pretrain   the model pretrained on the shards, with the bigram baseline         pretrain/model/
//   sft        supervised fine-tuning, exact match of base vs SFT                   sft/model/
// then the RLHF stages of rlhf-stages.ts and policy-stages.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDefault } from '../data/default/make.js';
import { writeJsonl } from '../data/jsonl.js';
import { packDocuments } from '../data/pack.js';
import type { Doc } from '../data/stage.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, PATTERNS, loadTokenizer, saveTokenizer, trainBpe, type PatternName } from '../tokenizer/index.js';
import { pretrain } from '../train/pretrain.js';
import { sft } from '../train/sft.js';
import type { PipelineRunConfig } from './config.js';
import { POLICY_STAGES } from './policy-stages.js';
import { REPORT_STAGE, RLHF_STAGES } from './rlhf-stages.js';
import type { Stage } from './stage.js';

const EOT = '<|endoftext|>';

function jsonlTexts(file: string, pick: (record: Record<string, unknown>) => string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => pick(JSON.parse(l) as Record<string, unknown>));
}

const plainText = (r: Record<string, unknown>): string => String(r.text);

/** The pretraining corpus's folders under data/: the generated stories, Brown, or both. */
const corpusDirs = (corpus: PipelineRunConfig['pretrain']['corpus']): string[] => (corpus === 'both' ? ['stories', 'brown'] : [corpus]);

/** Writes `<name>-<kind>.jsonl` beside `<name>.jsonl` for each task kind of its gold records. */
function splitByKind(dir: string, name: string): Record<string, number> {
  const byKind = new Map<string, unknown[]>();
  for (const line of readFileSync(join(dir, `${name}.jsonl`), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { gold?: { kind?: string } };
    const kind = r.gold?.kind ?? 'other';
    if (!byKind.has(kind)) byKind.set(kind, []);
    byKind.get(kind)!.push(r);
  }
  return Object.fromEntries([...byKind].map(([kind, rows]) => [`${name}-${kind}.jsonl`, writeJsonl(join(dir, `${name}-${kind}.jsonl`), rows)]));
}
const conversationText = (r: Record<string, unknown>): string => (r.messages as { content: string }[]).map((m) => m.content).join('\n');

const fmt = (x: unknown, digits = 1): string => (typeof x === 'number' ? x.toFixed(digits) : '-');
const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-');

export const STAGES: Stage<PipelineRunConfig>[] = [
  {
    name: 'data',
    summary: 'generated stories, the Brown corpus through the data pipeline, and the default SFT/ranking/prompt/eval datasets',
    inputs: [],
    config: (p) => p.data,
    run: async (ctx, p) => {
      const r = makeDefault(ctx.dir, p.data);
      const split = Object.assign({}, ...['prompts', 'dev', 'eval'].map((name) => splitByKind(ctx.dir, name))) as Record<string, number>;
      return { documents: r.brown.documents, files: { ...r.files, ...split } };
    },
    report: (r) => {
      const f = r.files as Record<string, number>;
      return [`${f['stories/train.jsonl']} stories, ${f['sft.jsonl']} SFT conversations, ${f['eval-continuation.jsonl']} + ${f['eval-instruction.jsonl']} held-out continuation + instruction prompts`];
    },
  },
  {
    name: 'tokenizer',
    summary: 'train a byte-level BPE (ChatML special tokens) on the pretraining text and the SFT conversations',
    inputs: ['data'],
    config: (p) => ({ ...p.tokenizer, corpus: p.pretrain.corpus }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data;
      const texts = [...corpusDirs(p.pretrain.corpus).flatMap((c) => jsonlTexts(join(data, `${c}/train.jsonl`), plainText)), ...jsonlTexts(join(data, 'sft.jsonl'), conversationText)];
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
    summary: 'tokenize the pretraining text (train/val) into token shards',
    inputs: ['data', 'tokenizer'],
    config: (p) => ({ corpus: p.pretrain.corpus }),
    run: async (ctx, p) => {
      const tokDir = ctx.dirs.tokenizer;
      const tok = loadTokenizer(tokDir);
      const spec = { module: new URL('../tokenizer/index.js', import.meta.url).href, exportName: 'loadTokenizer', args: [tokDir] };
      const out: Record<string, number> = {};
      for (const split of ['train', 'val']) {
        const texts = corpusDirs(p.pretrain.corpus).flatMap((c) => jsonlTexts(join(ctx.dirs.data, `${c}/${split}.jsonl`), plainText));
        const docs: Doc[] = texts.map((text, i) => ({ id: `${split}-${i}`, text }));
        const r = await packDocuments(docs, spec, { prefix: join(ctx.dir, split), vocabSize: tok.vocabSize, eosId: tok.tokenToId(EOT)!, shardTokens: 1 << 26, workers: split === 'train' ? 2 : 0 });
        out[`${split}Tokens`] = r.tokens;
      }
      return out;
    },
    report: (r) => [`${r.trainTokens} training and ${r.valTokens} held-out tokens`],
  },
  {
    name: 'pretrain',
    summary: 'pretrain the model on the shards',
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
    config: (p) => ({ ...p.sft, split: p.evaluation.split }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data;
      const s = await sft({
        out: ctx.dir,
        model: join(ctx.dirs.pretrain, 'model'),
        tokenizer: '',
        data: { train: join(data, 'sft.jsonl'), val: join(data, 'sft_val.jsonl'), maxLen: p.sft.maxLen, groupByLength: p.sft.groupByLength, averageLossBy: p.sft.averageLossBy },
        train: p.sft.train,
        lora: p.sft.lora,
        accuracy: { file: join(data, `${p.evaluation.split}-instruction.jsonl`), limit: p.sft.accuracyPrompts, maxNewTokens: p.sft.maxNewTokens },
      }, { resume: ctx.resume, quiet: ctx.quiet });
      return { baseAccuracy: s.baseAccuracy, sftAccuracy: s.sftAccuracy, evalLoss: s.eval?.loss, tokS: s.tokS, stepMs: s.stepMs, model: s.model };
    },
    report: (r) => [`exact match on held-out instructions: base ${pct(r.baseAccuracy)} → SFT ${pct(r.sftAccuracy)}`],
  },
  ...RLHF_STAGES,
  ...POLICY_STAGES,
  REPORT_STAGE,
];

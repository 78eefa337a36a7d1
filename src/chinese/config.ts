// `rlhf chinese`: every size and seed of the Chinese-LLaMA flow in one typed config, with defaults
// sized for a few minutes on two CPU cores. `--key value` flags and `--config FILE` override them.
import { check } from '../util/config.js';

export interface ChineseFlowConfig {
  /** Run folder ('' = runs/chinese-<date>-<time>). */
  out: string;
  /** An English model folder with its tokenizer (e.g. a pipeline's sft/model); '' = pretrain one
   * on Brown first, with `english`. */
  base: string;
  seed: number;
  /** The English base trained when `base` is empty: a pipeline-style tokenizer and model. */
  english: { vocabSize: number; hiddenSize: number; numLayers: number; numHeads: number; intermediateSize: number; steps: number; batchSize: number; lr: number };
  /** The Chinese BPE merged into the base tokenizer, and the poems (files of 1000 per dynasty). */
  merge: { vocabSize: number; trainFiles: number; heldOutFiles: number };
  seqLen: number;
  /** Stage 1: only the new embedding (and LM head) rows train. */
  embed: { steps: number; batchSize: number; lr: number };
  /** Stage 2: every weight trains, on the same Chinese text; englishShare of its tokens may be
   * English Brown text replayed (0 = Chinese only, as Chinese-LLaMA did). */
  continued: { steps: number; batchSize: number; lr: number; englishShare: number };
  /** Chinese instruction data, generated like the default data, and its fine-tune. */
  sft: { examples: number; valExamples: number; evalPrompts: number; continuationShare: number; steps: number; batchSize: number; lr: number; maxLen: number };
  /** Held-out text scored before and after: poems (Chinese) and Brown documents (English). */
  eval: { poems: number; englishDocs: number };
}

export const CHINESE_FLOW_DEFAULTS: ChineseFlowConfig = {
  out: '',
  base: '',
  seed: 1234,
  english: { vocabSize: 4096, hiddenSize: 192, numLayers: 2, numHeads: 4, intermediateSize: 512, steps: 600, batchSize: 16, lr: 2e-3 },
  merge: { vocabSize: 4000, trainFiles: 3, heldOutFiles: 1 },
  seqLen: 128,
  // The new rows start at the mean of the old ones, far from where they belong: a high rate.
  embed: { steps: 150, batchSize: 16, lr: 3e-3 },
  continued: { steps: 300, batchSize: 16, lr: 1e-3, englishShare: 0 },
  sft: { examples: 4000, valExamples: 200, evalPrompts: 200, continuationShare: 0.2, steps: 400, batchSize: 16, lr: 1e-3, maxLen: 128 },
  eval: { poems: 300, englishDocs: 10 },
};

const posInt = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 1, `${key} must be a positive integer, got ${v}`];
const positive = (key: string, v: number): [boolean, string] => [v > 0, `${key} must be positive, got ${v}`];

export function validateChineseFlow(c: ChineseFlowConfig): void {
  const e = c.english, s = c.sft;
  check([
    [Number.isInteger(c.seed) && c.seed >= 0, `seed must be an integer ≥ 0, got ${c.seed}`], posInt('seqLen', c.seqLen),
    [Number.isInteger(e.vocabSize) && e.vocabSize > 259, `english.vocabSize must be an integer above 259 (256 bytes and 3 special tokens), got ${e.vocabSize}`],
    posInt('english.hiddenSize', e.hiddenSize), posInt('english.numLayers', e.numLayers),
    posInt('english.numHeads', e.numHeads), [e.hiddenSize % e.numHeads === 0, `english.hiddenSize ${e.hiddenSize} must be a multiple of english.numHeads ${e.numHeads}`],
    posInt('english.intermediateSize', e.intermediateSize), posInt('english.steps', e.steps), posInt('english.batchSize', e.batchSize), positive('english.lr', e.lr),
    [Number.isInteger(c.merge.vocabSize) && c.merge.vocabSize > 256, `merge.vocabSize must be an integer above 256 (the byte tokens), got ${c.merge.vocabSize}`],
    posInt('merge.trainFiles', c.merge.trainFiles), posInt('merge.heldOutFiles', c.merge.heldOutFiles),
    posInt('embed.steps', c.embed.steps), posInt('embed.batchSize', c.embed.batchSize), positive('embed.lr', c.embed.lr),
    posInt('continued.steps', c.continued.steps), posInt('continued.batchSize', c.continued.batchSize), positive('continued.lr', c.continued.lr),
    [c.continued.englishShare >= 0 && c.continued.englishShare < 1, `continued.englishShare must be in [0, 1), got ${c.continued.englishShare}`],
    posInt('sft.examples', s.examples), posInt('sft.valExamples', s.valExamples), posInt('sft.evalPrompts', s.evalPrompts),
    [s.continuationShare >= 0 && s.continuationShare < 1, `sft.continuationShare must be in [0, 1), got ${s.continuationShare}`],
    posInt('sft.steps', s.steps), posInt('sft.batchSize', s.batchSize), positive('sft.lr', s.lr), posInt('sft.maxLen', s.maxLen),
    posInt('eval.poems', c.eval.poems), posInt('eval.englishDocs', c.eval.englishDocs),
  ]);
}

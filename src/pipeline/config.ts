// The pipeline's config: which stages run, and each stage's settings, every default in one place.
// The defaults are `npm start`'s run: the embedded default data, a 4k byte-level BPE, the tiny
// LLaMA-style model pretrained on Brown, then SFT on the instruction conversations; with the RLHF
// stages the whole run takes about sixteen minutes on an idle 2-core machine. Paths between stages
// are not configured: each stage reads its inputs from the run folder.
import { check, nonNegInt, posInt } from '../util/config.js';
import { DEFAULT_DATA, type DefaultDataConfig } from '../data/default/make.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS, PRETRAIN_DEFAULTS, validateLoop, validateLora, type LoopConfig, type LoraConfig, type PretrainModelConfig } from '../train/config.js';
import { RLHF_STAGES_DEFAULTS, validateRlhfStages, type RlhfStagesConfig } from './rlhf-config.js';

/** The RLHF stages' keys (maxPromptLen, rankings, reward, bestOfN, ppo, dpo, grpo, evaluation,
 * report) come from rlhf-config.ts. */
export interface PipelineRunConfig extends RlhfStagesConfig {
  /** Run folder ('' = runs/pipeline-<date>-<time>, a fresh one). */
  out: string;
  /** Stages to run, in order. */
  stages: string[];
  data: DefaultDataConfig;
  tokenizer: {
    vocabSize: number;
    minFrequency: number;
    /** Pre-tokenizer: a preset name (gpt2, cl100k, digits) or a regex. */
    pattern: string;
  };
  pretrain: {
    /** Pretraining text: the generated stories (the continuation task's world), Brown, or both. */
    corpus: 'stories' | 'brown' | 'both';
    model: PretrainModelConfig;
    seqLen: number;
    train: LoopConfig;
  };
  sft: {
    maxLen: number;
    groupByLength: boolean;
    averageLossBy: 'token' | 'conversation';
    train: LoopConfig;
    lora: LoraConfig;
    /** Held-out instruction prompts scored for exact match (0 = all of eval.jsonl's). */
    accuracyPrompts: number;
    maxNewTokens: number;
  };
  /** Sample generations printed at the end, base model beside SFT model. */
  samples: number;
}

export const PIPELINE_DEFAULTS: PipelineRunConfig = {
  out: '',
  stages: ['data', 'tokenizer', 'pack', 'pretrain', 'sft', 'rankings', 'reward', 'best_of_n', 'ppo', 'ppo_gold', 'reward_hacking', 'dpo', 'rloo', 'grpo', 'report'],
  data: { ...DEFAULT_DATA },
  tokenizer: { vocabSize: 4096, minFrequency: 2, pattern: 'digits' },
  pretrain: {
    corpus: 'stories',
    // Two layers: in this budget the 4-layer default learned no more than this one, at 0.6× the speed.
    model: { ...PRETRAIN_DEFAULTS.model, numLayers: 2 },
    seqLen: 256,
    train: { ...LOOP_DEFAULTS, steps: 300, batchSize: 8, lr: 2e-3, warmupSteps: 30, evalEvery: 100, evalBatches: 20, saveEvery: 50, logEvery: 10 },
  },
  sft: {
    maxLen: 256,
    groupByLength: true,
    // Per conversation: token averaging lets the long, mostly unpredictable Brown continuations
    // outweigh the short instruction answers.
    averageLossBy: 'conversation',
    // Most of the pipeline's time, and worth it: 8000 steps instead of 4500 took held-out exact
    // match from 53.8% to 71.7%, held-out sums from 5/20 to 17/20 (the model starts to add, not
    // only to remember sums it saw).
    train: { ...LOOP_DEFAULTS, steps: 8000, batchSize: 16, lr: 1e-3, warmupSteps: 30, minLrRatio: 0.1, weightDecay: 0, evalEvery: 500, evalBatches: 8, saveEvery: 250, logEvery: 10 },
    lora: { ...LORA_DEFAULTS },
    accuracyPrompts: 0,
    maxNewTokens: 24,
  },
  samples: 6,
  ...RLHF_STAGES_DEFAULTS,
};

export function validatePipeline(c: PipelineRunConfig): void {
  check([
    [c.stages.length > 0, 'stages must list at least one stage'],
    [Number.isInteger(c.tokenizer.vocabSize) && c.tokenizer.vocabSize >= 260, `tokenizer.vocabSize must be an integer ≥ 260 (256 bytes + specials), got ${c.tokenizer.vocabSize}`],
    posInt('tokenizer.minFrequency', c.tokenizer.minFrequency),
    [c.tokenizer.pattern.length > 0, 'tokenizer.pattern must be a preset (gpt2, cl100k, digits) or a regex'],
    [['stories', 'brown', 'both'].includes(c.pretrain.corpus), `pretrain.corpus must be stories, brown or both, got ${JSON.stringify(c.pretrain.corpus)}`],
    posInt('pretrain.seqLen', c.pretrain.seqLen),
    [c.pretrain.seqLen <= c.pretrain.model.maxPositions, `pretrain.seqLen ${c.pretrain.seqLen} exceeds pretrain.model.maxPositions ${c.pretrain.model.maxPositions}`],
    posInt('sft.maxLen', c.sft.maxLen),
    nonNegInt('sft.accuracyPrompts', c.sft.accuracyPrompts),
    posInt('sft.maxNewTokens', c.sft.maxNewTokens),
    nonNegInt('samples', c.samples),
  ]);
  validateLoop(c.pretrain.train, 'pretrain.train');
  validateLoop(c.sft.train, 'sft.train');
  if (c.sft.lora.enabled) validateLora(c.sft.lora, 'sft.lora');
  validateRlhfStages(c);
}

// Every training default in one place: the loop (optimizer, schedule, batching, evaluation,
// checkpoints), pretraining, supervised fine-tuning and LoRA. Commands merge a YAML/JSON file and
// `--section.key value` flags onto these (util/config.ts: unknown keys throw), then validate, and
// the final config is written into the run folder.
import { check, nonNegInt, oneOf, posInt } from '../util/config.js';
import { FAMILIES, type Family } from '../models/config.js';

/** The training loop's settings (loop.ts), shared by every trainer: the offline ones expose them
 * as their `train` section; PPO and GRPO map their own keys onto them. */
export interface LoopConfig {
  /** Loop steps: for a batch method each is one optimizer update on gradAccum micro-batches. */
  steps: number;
  /** Examples per micro-batch (batch methods). */
  batchSize: number;
  /** Micro-batches summed into one step: the effective batch is batchSize · gradAccum. */
  gradAccum: number;
  /** Peak learning rate. */
  lr: number;
  schedule: 'cosine' | 'linear' | 'constant';
  warmupSteps: number;
  /** Final learning rate as a fraction of the peak. */
  minLrRatio: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global gradient-norm clip (0 = off). */
  maxGradNorm: number;
  /** Held-out evaluation every N steps (and always at the end; 0 = only at the end). */
  evalEvery: number;
  /** Held-out batches per evaluation (0 = the whole held-out split). */
  evalBatches: number;
  /** Checkpoint every N steps (and always at the end; 0 = only at the end). */
  saveEvery: number;
  /** Checkpoints kept (older ones are deleted). */
  keepLast: number;
  /** A metrics.jsonl record every N steps. */
  logEvery: number;
  /** Seeds data order, dropout and (for a new model) initial weights. */
  seed: number;
  /** Decay of an exponential moving average of the trained weights, updated after every optimizer
   * update and saved beside the final weights as model_ema/ (0 = none). */
  emaDecay: number;
  /** ZeRO stage under data parallelism: 1 splits AdamW's moments across the ranks (each holds
   * 1/N of them); 0 keeps them whole on every rank. The results are the same either way. */
  zero: number;
  /** Activation recomputation: each layer keeps only its input between forward and backward and
   * runs again in backward (about a third more compute for much less memory; same gradients). The
   * loop sets it on every decoder it trains (docs/training-loop.md). */
  recompute: boolean;
}

/** What `rlhf pretrain` builds when it does not start from a checkpoint (vocabSize comes from the
 * shards). The defaults are the "tiny" shape. */
export interface PretrainModelConfig {
  /** A Hugging Face checkpoint folder to continue from ('' = new random weights). */
  init: string;
  family: Family;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** 0 = numHeads (no grouped-query attention). */
  numKvHeads: number;
  intermediateSize: number;
  maxPositions: number;
  tieEmbeddings: boolean;
  dropout: number;
}

export interface PretrainConfig {
  /** Run folder: config, metrics, checkpoints and the final model. */
  out: string;
  data: {
    /** Token shards: comma-separated files, or a folder (every *.bin in it). */
    train: string;
    val: string;
    seqLen: number;
  };
  /** The tokenizer folder the shards were packed with, copied beside the final model so it loads
   * alone ('' = none). */
  tokenizer: string;
  model: PretrainModelConfig;
  train: LoopConfig;
}

/** Low-rank adapters (Hu et al. 2021), as PEFT's LoraConfig. */
export interface LoraConfig {
  enabled: boolean;
  rank: number;
  /** The update is scaled by alpha / rank. */
  alpha: number;
  /** Dropout on the adapter's input while training. */
  dropout: number;
  /** Linear layers to adapt, by the last part of their name. */
  targets: string[];
}

export interface SftConfig {
  out: string;
  /** The base model: a Hugging Face checkpoint folder. */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  data: {
    /** Conversations (messages) or prompt/completion JSONL. */
    train: string;
    /** Held-out conversations for the evaluation loss ('' = none). */
    val: string;
    /** Longer conversations are cut to this many tokens. */
    maxLen: number;
    /** Batch conversations of similar length together (less padding, same data each epoch). */
    groupByLength: boolean;
    /** 'token': the loss is the mean over all assistant tokens; 'conversation': each
     * conversation's mean counts once, so long replies do not outweigh short ones. */
    averageLossBy: 'token' | 'conversation';
  };
  train: LoopConfig;
  lora: LoraConfig;
  /** Exact-match accuracy of the base and the fine-tuned model on held-out prompts with gold
   * answers (the default data's eval.jsonl). */
  accuracy: {
    file: string;
    /** Instruction prompts scored (0 = all). */
    limit: number;
    maxNewTokens: number;
  };
}

export const LOOP_DEFAULTS: LoopConfig = {
  steps: 1000,
  batchSize: 8,
  gradAccum: 1,
  lr: 1e-3,
  schedule: 'cosine',
  warmupSteps: 50,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  maxGradNorm: 1,
  evalEvery: 100,
  evalBatches: 0,
  saveEvery: 100,
  keepLast: 2,
  logEvery: 10,
  seed: 1234,
  emaDecay: 0,
  zero: 0,
  recompute: false,
};

export const PRETRAIN_DEFAULTS: PretrainConfig = {
  out: 'runs/pretrain',
  data: { train: '', val: '', seqLen: 256 },
  tokenizer: '',
  model: {
    init: '', family: 'llama', hiddenSize: 256, numLayers: 4, numHeads: 4, numKvHeads: 0, intermediateSize: 688,
    maxPositions: 1024, tieEmbeddings: false, dropout: 0,
  },
  train: { ...LOOP_DEFAULTS },
};

// PEFT's LoraConfig defaults, with r = 8 and alpha = 16 as its examples use.
export const LORA_DEFAULTS: LoraConfig = { enabled: false, rank: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'] };

export const SFT_DEFAULTS: SftConfig = {
  out: 'runs/sft',
  model: '',
  tokenizer: '',
  data: { train: '', val: '', maxLen: 256, groupByLength: true, averageLossBy: 'token' },
  // Fine-tuning moves less far than pretraining: a lower peak, a short warm-up, no decay floor.
  train: { ...LOOP_DEFAULTS, steps: 500, lr: 3e-4, warmupSteps: 20, minLrRatio: 0, weightDecay: 0, evalEvery: 100, saveEvery: 100 },
  lora: { ...LORA_DEFAULTS },
  accuracy: { file: '', limit: 100, maxNewTokens: 24 },
};

export function validateLoop(c: LoopConfig, at = 'train'): void {
  check([
    posInt(`${at}.steps`, c.steps), posInt(`${at}.batchSize`, c.batchSize), posInt(`${at}.gradAccum`, c.gradAccum),
    [c.lr > 0, `${at}.lr must be positive, got ${c.lr}`],
    oneOf(`${at}.schedule`, c.schedule, ['cosine', 'linear', 'constant']),
    nonNegInt(`${at}.warmupSteps`, c.warmupSteps),
    [c.minLrRatio >= 0 && c.minLrRatio <= 1, `${at}.minLrRatio must be in [0, 1], got ${c.minLrRatio}`],
    [c.weightDecay >= 0, `${at}.weightDecay must be ≥ 0, got ${c.weightDecay}`],
    [c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, `${at}.beta1 and beta2 must be in [0, 1), got ${c.beta1}, ${c.beta2}`],
    [c.eps > 0, `${at}.eps must be positive, got ${c.eps}`],
    [c.maxGradNorm >= 0, `${at}.maxGradNorm must be ≥ 0 (0 = off), got ${c.maxGradNorm}`],
    nonNegInt(`${at}.evalEvery`, c.evalEvery), nonNegInt(`${at}.evalBatches`, c.evalBatches), nonNegInt(`${at}.saveEvery`, c.saveEvery),
    posInt(`${at}.keepLast`, c.keepLast), posInt(`${at}.logEvery`, c.logEvery), nonNegInt(`${at}.seed`, c.seed),
    [c.emaDecay >= 0 && c.emaDecay < 1, `${at}.emaDecay must be in [0, 1), got ${c.emaDecay}`],
    [c.zero === 0 || c.zero === 1, `${at}.zero must be 0 or 1 (ZeRO stage 1: AdamW's moments split across ranks), got ${c.zero}`],
  ]);
}

export function validatePretrain(c: PretrainConfig): void {
  const m = c.model;
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.data.train !== '', 'data.train must name token shards (files or a folder of *.bin; see `rlhf data pack`)'],
    posInt('data.seqLen', c.data.seqLen),
    oneOf('model.family', m.family, FAMILIES),
    posInt('model.hiddenSize', m.hiddenSize), posInt('model.numLayers', m.numLayers), posInt('model.numHeads', m.numHeads),
    nonNegInt('model.numKvHeads', m.numKvHeads), posInt('model.intermediateSize', m.intermediateSize), posInt('model.maxPositions', m.maxPositions),
    [m.init !== '' || c.data.seqLen <= m.maxPositions, `data.seqLen ${c.data.seqLen} exceeds model.maxPositions ${m.maxPositions}`],
    [m.dropout >= 0 && m.dropout < 1, `model.dropout must be in [0, 1), got ${m.dropout}`],
  ]);
  validateLoop(c.train);
}

/** A LoRA config, and (given the loop's) whether it can train with train.recompute: the
 * recomputation replays the layers' own dropout draws, not the adapters'. */
export function validateLora(c: LoraConfig, at = 'lora', train?: { recompute: boolean; at: string }): void {
  check([
    [!(train?.recompute && c.dropout > 0), `${train?.at}.recompute with ${at}.dropout ${c.dropout} is not supported (set ${at}.dropout to 0)`],
    posInt(`${at}.rank`, c.rank),
    [c.alpha > 0, `${at}.alpha must be positive, got ${c.alpha}`],
    [c.dropout >= 0 && c.dropout < 1, `${at}.dropout must be in [0, 1), got ${c.dropout}`],
    [c.targets.length > 0, `${at}.targets must name at least one layer (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)`],
  ]);
}

export function validateSft(c: SftConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.model !== '', 'model must name the base model folder (a Hugging Face checkpoint)'],
    [c.data.train !== '', 'data.train must name a JSONL file of conversations (messages) or prompt/completion pairs'],
    posInt('data.maxLen', c.data.maxLen),
    oneOf('data.averageLossBy', c.data.averageLossBy, ['token', 'conversation']),
    nonNegInt('accuracy.limit', c.accuracy.limit), posInt('accuracy.maxNewTokens', c.accuracy.maxNewTokens),
  ]);
  validateLoop(c.train);
  if (c.lora.enabled) validateLora(c.lora, 'lora', { recompute: c.train.recompute, at: 'train' });
}

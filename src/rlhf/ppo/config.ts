// PPO (InstructGPT step 3): every default in one place. The published defaults: KL coefficient β in
// 0.02–0.1 (InstructGPT 0.02, DeepSpeed-Chat 0.1, TRL 0.05), clip ε 0.2 and value clip 0.2
// (Schulman et al.; baselines), γ 1 and λ 0.95 (TRL, DeepSpeed-Chat), adaptive KL target 6 nats
// (Ziegler et al. 2019) with a horizon scaled to the run (theirs, 10000 samples, fits runs of 10⁶).
import { check, intAtLeast, nonNegInt, posInt } from '../../util/config.js';
import { LORA_DEFAULTS, validateLora, type LoraConfig } from '../../train/config.js';
import type { KlEstimator } from '../core/kl.js';
import type { WeightDtype } from '../../engine/kernels.js';
import { WEIGHT_DTYPES } from '../../models/quantize.js';

export interface PpoConfig {
  /** Run folder: config, metrics, checkpoints, model/ (the policy), value_model/, summary.json. */
  out: string;
  /** The SFT model: the actor starts here and the frozen reference is a copy of it. */
  policy: string;
  /** The reward model folder (frozen); the critic starts from it too … */
  reward: string;
  /** … or a reward-function module exporting score(prompt, response, record): exactly one of the
   * two. With a function, the critic starts from the policy (a new value head). */
  rewardFn: string;
  /** Tokenizer folder ('' = the policy folder). */
  tokenizer: string;
  data: {
    /** Prompt JSONL (`gold` records, when present, give the gold score per iteration). */
    prompts: string;
    /** Longer prompts are left out. */
    maxPromptLen: number;
  };
  /** PPO iterations: each samples a rollout batch, then trains on it. */
  iterations: number;
  rollout: {
    /** Prompts sampled per iteration. */
    batchSize: number;
    maxNewTokens: number;
    /** 1 samples from the policy itself (the old log-probs then come straight from sampling). */
    temperature: number;
    topK: number;
    /** Weights the sampling runs on: f32, or a bf16 / int8 copy made each iteration (faster; the
     * old log-probs are then recomputed in float32 by the actor). */
    dtype: WeightDtype;
  };
  ppo: {
    /** Passes over each rollout batch. */
    epochs: number;
    /** Responses per gradient step. */
    miniBatchSize: number;
    /** ε of the clipped surrogate. */
    clipRange: number;
    /** ε_v of the clipped value loss. */
    valueClipRange: number;
    gamma: number;
    lambda: number;
    whitenAdvantages: boolean;
    /** c_H: weight of the entropy bonus (0 = off; entropy is still logged). */
    entropyCoef: number;
  };
  kl: {
    estimator: KlEstimator;
    /** Initial β (the whole run's β when adaptive is false). */
    coef: number;
    /** Steer β toward `target` after every rollout (Ziegler et al.), or keep it fixed (TRL's
     * adap_kl_ctrl). */
    adaptive: boolean;
    /** Adaptive: target KL per response in nats. */
    target: number;
    /** Adaptive: samples over which a proportional error is corrected (0 = a tenth of the run's
     * rollout samples, iterations × rollout.batchSize; see core/kl.ts klHorizon). */
    horizon: number;
  };
  score: {
    /** Normalise scores by the reward model's stored mean/std under the SFT policy. */
    normalize: boolean;
    /** Clip normalised scores to [−clip, clip] (0 = off). */
    clip: number;
    /** Subtracted from the score of a response that never emits its end-of-turn token. */
    missingEosPenalty: number;
  };
  optim: {
    actorLr: number;
    criticLr: number;
    weightDecay: number;
    beta1: number;
    beta2: number;
    eps: number;
    /** Global gradient-norm clip per model (0 = off). */
    maxGradNorm: number;
    /** Linear decay to this fraction of the learning rates by the last iteration (1 = constant). */
    minLrRatio: number;
    /** ZeRO stage under data parallelism (1: AdamW's moments split across the ranks; see the
     * loop's train.zero). */
    zero: number;
  };
  /** PPO-ptx (InstructGPT eq. 2): γ_ptx times the language-modelling loss on pretraining text,
   * added to the policy loss, so the policy keeps its language while it chases the reward. */
  ptx: {
    /** γ_ptx (0 = off). */
    coef: number;
    /** Pretraining token shards: comma-separated .bin files, or a folder of them (rlhf data pack),
     * packed with the policy's tokenizer. */
    data: string;
    /** Windows of seqLen + 1 tokens per ptx batch, drawn as pretraining draws them. */
    batchSize: number;
    seqLen: number;
  };
  /** Decay of an exponential moving average of the actor's weights, updated after every optimizer
   * step and saved as model_ema/ (adapter_ema/ with LoRA; 0 = off). */
  emaDecay: number;
  /** Train LoRA adapters on the actor instead of all weights; the reference is then the actor with
   * its adapters switched off, so one copy of the base weights serves both. */
  lora: LoraConfig;
  /** Win rate against the SFT policy on held-out prompts with gold records, after training. */
  eval: {
    /** Prompt JSONL with gold records ('' = skip). */
    prompts: string;
    /** Prompts used (0 = all). */
    limit: number;
    maxNewTokens: number;
    temperature: number;
  };
  seed: number;
  /** Checkpoint every N iterations (and at the end). */
  saveEvery: number;
  keepLast: number;
}

export const PPO_DEFAULTS: PpoConfig = {
  out: 'runs/ppo',
  policy: '',
  reward: '',
  rewardFn: '',
  tokenizer: '',
  data: { prompts: '', maxPromptLen: 192 },
  iterations: 40,
  rollout: { batchSize: 32, maxNewTokens: 32, temperature: 1, topK: 0, dtype: 'f32' },
  ppo: { epochs: 2, miniBatchSize: 16, clipRange: 0.2, valueClipRange: 0.2, gamma: 1, lambda: 0.95, whitenAdvantages: true, entropyCoef: 0 },
  kl: { estimator: 'k1', coef: 0.05, adaptive: true, target: 6, horizon: 0 },
  score: { normalize: true, clip: 5, missingEosPenalty: 1 },
  optim: { actorLr: 1e-5, criticLr: 1e-5, weightDecay: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, maxGradNorm: 1, minLrRatio: 1, zero: 0 },
  ptx: { coef: 0, data: '', batchSize: 8, seqLen: 128 },
  emaDecay: 0,
  lora: { ...LORA_DEFAULTS },
  eval: { prompts: '', limit: 0, maxNewTokens: 32, temperature: 1 },
  seed: 1234,
  saveEvery: 10,
  keepLast: 2,
};


export function validatePpo(c: PpoConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.policy !== '', 'policy must name the SFT model folder'],
    [(c.reward !== '') !== (c.rewardFn !== ''), `give exactly one of reward (a reward model folder, rlhf reward) and rewardFn (a module exporting score(prompt, response, record)), got reward ${JSON.stringify(c.reward)} and rewardFn ${JSON.stringify(c.rewardFn)}`],
    [c.data.prompts !== '', 'data.prompts must name a prompt JSONL file'],
    posInt('data.maxPromptLen', c.data.maxPromptLen), posInt('iterations', c.iterations),
    posInt('rollout.batchSize', c.rollout.batchSize), posInt('rollout.maxNewTokens', c.rollout.maxNewTokens),
    [c.rollout.temperature > 0, `rollout.temperature must be positive (PPO samples), got ${c.rollout.temperature}`],
    nonNegInt('rollout.topK', c.rollout.topK),
    [WEIGHT_DTYPES.includes(c.rollout.dtype), `rollout.dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(c.rollout.dtype)}`],
    posInt('ppo.epochs', c.ppo.epochs), posInt('ppo.miniBatchSize', c.ppo.miniBatchSize),
    [c.ppo.miniBatchSize <= c.rollout.batchSize, `ppo.miniBatchSize ${c.ppo.miniBatchSize} exceeds rollout.batchSize ${c.rollout.batchSize}`],
    [c.ppo.clipRange > 0 && c.ppo.valueClipRange > 0, `ppo.clipRange and ppo.valueClipRange must be positive, got ${c.ppo.clipRange}, ${c.ppo.valueClipRange}`],
    [c.ppo.gamma >= 0 && c.ppo.gamma <= 1 && c.ppo.lambda >= 0 && c.ppo.lambda <= 1, `ppo.gamma and ppo.lambda must be in [0, 1], got ${c.ppo.gamma}, ${c.ppo.lambda}`],
    [c.ppo.entropyCoef >= 0, `ppo.entropyCoef must be ≥ 0, got ${c.ppo.entropyCoef}`],
    [c.kl.estimator === 'k1' || c.kl.estimator === 'k3', `kl.estimator must be k1 or k3, got ${JSON.stringify(c.kl.estimator)}`],
    [c.kl.coef >= 0, `kl.coef must be ≥ 0, got ${c.kl.coef}`],
    [!c.kl.adaptive || c.kl.target > 0, `kl.target must be positive when kl.adaptive is true (set kl.adaptive false for a fixed β), got ${c.kl.target}`],
    [!c.kl.adaptive || c.kl.coef > 0, 'kl.coef must be positive when kl.adaptive is true (the controller scales it)'],
    [c.kl.horizon >= 0, `kl.horizon must be ≥ 0 (0 = a tenth of the run's samples), got ${c.kl.horizon}`],
    [c.score.clip >= 0 && c.score.missingEosPenalty >= 0, `score.clip and score.missingEosPenalty must be ≥ 0, got ${c.score.clip}, ${c.score.missingEosPenalty}`],
    [c.optim.actorLr > 0 && c.optim.criticLr > 0, `optim.actorLr and optim.criticLr must be positive, got ${c.optim.actorLr}, ${c.optim.criticLr}`],
    [c.optim.minLrRatio >= 0 && c.optim.minLrRatio <= 1, `optim.minLrRatio must be in [0, 1], got ${c.optim.minLrRatio}`],
    [c.optim.maxGradNorm >= 0, `optim.maxGradNorm must be ≥ 0, got ${c.optim.maxGradNorm}`],
    [c.optim.zero === 0 || c.optim.zero === 1, `optim.zero must be 0 or 1, got ${c.optim.zero}`],
    [c.ptx.coef >= 0, `ptx.coef must be ≥ 0, got ${c.ptx.coef}`],
    [c.ptx.coef === 0 || c.ptx.data !== '', 'ptx.coef > 0 needs ptx.data (pretraining token shards: files or a folder of *.bin, rlhf data pack)'],
    posInt('ptx.batchSize', c.ptx.batchSize), intAtLeast('ptx.seqLen', c.ptx.seqLen, 2),
    [c.emaDecay >= 0 && c.emaDecay < 1, `emaDecay must be in [0, 1), got ${c.emaDecay}`],
    nonNegInt('eval.limit', c.eval.limit),
    posInt('eval.maxNewTokens', c.eval.maxNewTokens),
    [c.eval.temperature >= 0, `eval.temperature must be ≥ 0, got ${c.eval.temperature}`],
    posInt('saveEvery', c.saveEvery), posInt('keepLast', c.keepLast),
  ]);
  if (c.lora.enabled) validateLora(c.lora);
}

// Reward-model training: every default in one place. `rlhf reward` merges a YAML/JSON file and
// `--key value` flags onto REWARD_DEFAULTS; the final config is written into the run folder.
import { check, intAtLeast, posInt } from '../../util/config.js';
import { LOOP_DEFAULTS, validateLoop, type LoopConfig } from '../../train/config.js';

export interface RewardConfig {
  /** Run folder: config, metrics, checkpoints, model/ and summary.json. */
  out: string;
  /** The SFT model the reward model starts from (its LM head is replaced by a scalar head). */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  data: {
    /** Rankings ({prompt, responses, ranking}) or preferences ({prompt, chosen, rejected}) JSONL;
     * several files are separated by commas. */
    train: string;
    /** Held-out rankings for pairwise accuracy, comma-separated ('' = none); the first is the one
     * tracked during training and reported as the accuracy. */
    val: string;
    /** Examples whose prompt plus longest response is longer are dropped. */
    maxLen: number;
  };
  /** batchSize counts ranking elements (each brings its K responses and K(K−1)/2 pairs). */
  train: LoopConfig;
  /** The reward's mean and std under the SFT policy, stored with the model so PPO can normalise
   * its scores: responses sampled from `model` for the first `samples` prompts of `prompts`. */
  normalization: {
    /** Prompt JSONL ('' = skip; PPO then uses raw scores). */
    prompts: string;
    samples: number;
    maxNewTokens: number;
    temperature: number;
  };
}

export const REWARD_DEFAULTS: RewardConfig = {
  out: 'runs/reward',
  model: '',
  tokenizer: '',
  data: { train: '', val: '', maxLen: 256 },
  // One epoch over a few thousand rankings; the head is new, so no long warm-up, and a constant
  // tail keeps learning until the end of a short run.
  train: { ...LOOP_DEFAULTS, steps: 200, batchSize: 8, lr: 1e-4, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0, evalEvery: 0, evalBatches: 0, saveEvery: 50, logEvery: 10 },
  normalization: { prompts: '', samples: 64, maxNewTokens: 32, temperature: 1 },
};

export function validateReward(c: RewardConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.model !== '', 'model must name the SFT model folder the reward model starts from'],
    [c.data.train !== '', 'data.train must name a rankings or preference JSONL file'],
    intAtLeast('data.maxLen', c.data.maxLen, 2),
    intAtLeast('normalization.samples', c.normalization.samples, 2),
    posInt('normalization.maxNewTokens', c.normalization.maxNewTokens),
    [c.normalization.temperature >= 0, `normalization.temperature must be ≥ 0, got ${c.normalization.temperature}`],
  ]);
  validateLoop(c.train);
}

// Rejection-sampling fine-tuning: every default in one place. n = 8 samples per prompt and one
// round sit between RAFT's k and Llama 2's best-of-many; each round's SFT is a short fine-tune at
// the SFT stage's learning rate scale, since it starts from a model already tuned on similar text.
import { check, nonNegInt, posInt } from '../../util/config.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS, validateLoop, validateLora, type LoopConfig, type LoraConfig } from '../../train/config.js';
import { HELD_OUT_DEFAULTS, heldOutRules, samplingSourceRules, type SamplingSource } from '../core/config.js';
import type { HeldOutSettings } from '../eval.js';

/** The policy, reward and prompts (core/config.ts SamplingSource); the policy folder is the model
 * the first round samples from (the SFT model). */
export interface RftConfig extends SamplingSource {
  /** Run folder: round-1/ … (samples, selected.jsonl, the round's SFT run), model/, summary.json. */
  out: string;
  /** Sample → select → fine-tune rounds; each samples from the previous round's model (ReST's
   * Grow/Improve, RAFT's iterations). */
  rounds: number;
  /** Prompts sampled per round, drawn in a seeded order across rounds (0 = all). */
  promptsPerRound: number;
  /** Responses sampled per prompt; the best is kept. */
  n: number;
  rollout: { maxNewTokens: number; temperature: number; topK: number };
  /** Keep only responses that ended with their end-of-turn token: a cut-off response taught as if
   * it were whole teaches the model to stop mid-sentence. */
  requireFinished: boolean;
  /** ReST's filter: keep a prompt's best only when it scores at least minScore. */
  threshold: { enabled: boolean; minScore: number };
  /** Each round's SFT on the kept responses: the loop's settings, and the longest example. */
  sft: { train: LoopConfig; maxLen: number };
  lora: LoraConfig;
  /** Win rate against the starting model on held-out prompts with gold records, after training. */
  eval: HeldOutSettings;
  seed: number;
}

export const RFT_DEFAULTS: RftConfig = {
  out: 'runs/rft',
  policy: '',
  tokenizer: '',
  reward: '',
  rewardFn: '',
  data: { prompts: '', maxPromptLen: 192 },
  rounds: 1,
  promptsPerRound: 256,
  n: 8,
  rollout: { maxNewTokens: 32, temperature: 1, topK: 0 },
  requireFinished: true,
  threshold: { enabled: false, minScore: 0 },
  sft: { train: { ...LOOP_DEFAULTS, steps: 100, batchSize: 8, lr: 1e-4, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0, evalEvery: 0, evalBatches: 0, saveEvery: 50, logEvery: 10 }, maxLen: 256 },
  lora: { ...LORA_DEFAULTS },
  eval: { ...HELD_OUT_DEFAULTS },
  seed: 1234,
};

export function validateRft(c: RftConfig): void {
  check([
    ...samplingSourceRules(c, 'the model folder the first round samples from'),
    posInt('rounds', c.rounds), nonNegInt('promptsPerRound', c.promptsPerRound),
    posInt('n', c.n), posInt('rollout.maxNewTokens', c.rollout.maxNewTokens),
    [c.rollout.temperature > 0, `rollout.temperature must be positive (n samples of one prompt must differ), got ${c.rollout.temperature}`],
    nonNegInt('rollout.topK', c.rollout.topK), [Number.isFinite(c.threshold.minScore), `threshold.minScore must be a number, got ${c.threshold.minScore}`],
    posInt('sft.maxLen', c.sft.maxLen),
    ...heldOutRules(c.eval),
  ]);
  validateLoop(c.sft.train, 'sft.train');
  if (c.lora.enabled) validateLora(c.lora, 'lora', { recompute: c.sft.train.recompute, at: 'sft.train' });
}

// A critic-free online method (RLOO, REINFORCE++) from end to end: the models from disk, the reward
// source, the iterations on the training loop (one loop step each: a rollout, its advantages, epochs
// of clipped minibatch updates), the final model, and the held-out comparison with the starting
// policy. A method contributes one thing, its advantages (OnlineMethod); everything else is here
// and in online.ts, so RLOO and REINFORCE++ differ by the few lines that tell them apart. Under
// data parallelism each rank's rollout is its share of the step's prompts (online.ts); an advantage
// that normalises over the whole batch adds its sums over the ranks (REINFORCE++).
import { join } from 'node:path';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { hashString32 } from '../../data/hash.js';
import { loadPretrained, loadWeights, type CausalLM } from '../../models/index.js';
import { loadTokenizer, padId, stopIds } from '../../tokenizer/index.js';
import { LOOP_DEFAULTS, type LoopConfig } from '../../train/config.js';
import type { Ema } from '../../train/ema.js';
import { LoraModel } from '../../train/lora.js';
import { train } from '../../train/loop.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { compareWithStart, describeComparison, type PolicyComparison, type RolloutWatch } from '../eval.js';
import { shapeScores } from '../ppo/rewards.js';
import { readRewardNormalization } from '../reward/normalization.js';
import { openRewardSource } from '../reward/source.js';
import type { OnlineConfig } from './online-config.js';
import { policyUpdate, rollout, rolloutKl, type OnlineSetup, type Rollout } from './online.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from './prompts.js';
import { loraReference, modelReference } from './reference.js';
import { shuffledStream, type Stream, type StreamState } from './stream.js';

/** What sets a method apart: its advantages per response token from a rollout. */
export interface OnlineMethod {
  /** "rloo": the progress bar, the rollout seeds, the logs. */
  name: string;
  /** `shaped`: the scores after normalisation, clipping and the missing-EOS penalty, [B].
   * Returns advantages [B·R] and figures to log. */
  advantages(r: Rollout, shaped: Float32Array): { advantages: Float32Array; metrics?: Record<string, number> };
}

export interface OnlineTrainSetup extends OnlineSetup {
  /** What trains: all the policy's weights, or its LoRA adapters (by name). */
  params: Map<string, Tensor>;
  saveWeights(dir: string): void;
  loadWeights(dir: string): void;
  /** Hands over the loop's RNG (checkpointed with the run) to randomness outside the model's
   * forward options, such as LoRA's adapter dropout. */
  useRng?(rng: Rng): void;
  prompts: PolicyPrompt[];
  /** A reward model's mean and std under the SFT policy ({0, 1} leaves scores raw). */
  normalization: { mean: number; std: number };
}

/** One iteration's figures (metrics.jsonl holds the same, with lr and gradNorm). */
export interface OnlineIterationRecord {
  [figure: string]: number;
  step: number;
  /** Mean raw score of the rollout, and after shaping. */
  score: number;
  shapedScore: number;
  /** Mean Σ_t (log π_old − log π_ref) per response, nats (NaN without a reference). */
  kl: number;
  responseLength: number;
  /** Share of responses that ended with their stop token. */
  finished: number;
  loss: number;
  clipFrac: number;
  generateS: number;
  scoreS: number;
  trainS: number;
}

export interface OnlineTrainResult {
  records: OnlineIterationRecord[];
  seconds: number;
  generateS: number;
  scoreS: number;
  trainS: number;
  ema: Ema | null;
  resumedFrom: number | null;
}

/** The shared keys as the loop's settings: one step per iteration at a constant learning rate. */
export function onlineLoopConfig(cfg: OnlineConfig): LoopConfig {
  const o = cfg.optim;
  return {
    ...LOOP_DEFAULTS, steps: cfg.iterations, batchSize: cfg.promptsPerIteration * cfg.samplesPerPrompt, gradAccum: 1, lr: o.lr, schedule: 'constant',
    warmupSteps: 0, minLrRatio: 1, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, maxGradNorm: o.maxGradNorm,
    evalEvery: 0, evalBatches: 0, saveEvery: cfg.saveEvery, keepLast: cfg.keepLast, logEvery: 1, seed: cfg.seed, emaDecay: 0, zero: o.zero,
  };
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
};

/** The method's iterations on models in memory (runOnline loads them from disk). */
export async function trainOnline(s: OnlineTrainSetup, cfg: OnlineConfig, method: OnlineMethod, { resume = false, quiet = false } = {}): Promise<OnlineTrainResult> {
  let stream: Stream<PolicyPrompt> | null = null;
  const records: OnlineIterationRecord[] = [];
  const time = { generateS: 0, scoreS: 0, trainS: 0 };
  const result = await train({
    label: method.name,
    runDir: cfg.out,
    config: onlineLoopConfig(cfg),
    params: s.params,
    modules: [s.policy],
    saveWeights: s.saveWeights,
    loadWeights: s.loadWeights,
    unit: 'it',
    rngSeed: hashString32(`${method.name}-loop`, cfg.seed),
    start: (position, rng) => {
      s.useRng?.(rng);
      stream = shuffledStream(s.prompts, cfg.promptsPerIteration, cfg.seed, position as StreamState | undefined, `${method.name} prompts`);
    },
    position: () => stream!.state(),
    step: async (ctx) => {
      const r = await rollout(s, stream!.next(), {
        samplesPerPrompt: cfg.samplesPerPrompt, maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, dtype: cfg.rollout.dtype,
        seed: hashString32(`${method.name}-rollout:${ctx.step}`, cfg.seed),
      });
      const shaped = shapeScores(r.scores, r.samples.finished, { ...s.normalization, clip: cfg.score.clip, missingEosPenalty: cfg.score.missingEosPenalty });
      const t = performance.now();
      const { advantages, metrics = {} } = method.advantages(r, shaped);
      const rows = [...Array(r.batch.B).keys()];
      const upd = policyUpdate(s.policy, r, advantages, rows, {
        epochs: cfg.epochs, miniBatchSize: cfg.miniBatchSize, clipLow: cfg.clipRange, clipHigh: cfg.clipRange, aggregation: cfg.aggregation, lossKlCoef: 0,
      }, ctx);
      const trainS = (performance.now() - t) / 1000;
      time.generateS += r.generateS;
      time.scoreS += r.scoreS;
      time.trainS += trainS;
      const B = r.batch.B;
      const record: OnlineIterationRecord = {
        step: ctx.step + 1, score: mean(r.scores), shapedScore: mean(shaped), kl: rolloutKl(r), ...r.watched, ...metrics,
        responseLength: mean(r.samples.responses.map((x) => x.length)), finished: r.samples.finished.filter(Boolean).length / B,
        loss: upd.loss, clipFrac: upd.clipFrac, generateS: r.generateS, scoreS: r.scoreS, trainS,
      };
      records.push(record);
      const { step: _step, ...figures } = record;
      // Each rank's figures are of its share of the rollout, and weigh as much in the mean.
      return { metrics: figures, weight: B };
    },
    show: (m) => ({ score: m.score.toFixed(3), ...(Number.isFinite(m.gold) ? { gold: m.gold.toFixed(2) } : {}), ...(Number.isFinite(m.kl) ? { kl: m.kl.toFixed(2) } : {}), len: m.responseLength.toFixed(1) }),
  }, { resume, quiet });
  return { records, seconds: result.seconds, ...time, ema: result.ema, resumedFrom: result.resumedFrom };
}

/** What `rloo(cfg)` / `reinforcePp(cfg)` return, and summary.json holds. */
export interface OnlineSummary {
  method: string;
  /** What scored the responses: "reward model DIR" or "reward function FILE". */
  reward: string;
  iterations: number;
  seconds: number;
  /** Time split over the iterations run in this process. */
  generateS: number;
  scoreS: number;
  trainS: number;
  first: OnlineIterationRecord | null;
  last: OnlineIterationRecord | null;
  /** Held-out comparison with the starting (SFT) policy (null without eval.prompts). */
  eval: PolicyComparison | null;
  model: string;
  adapter: string | null;
  resumedFrom: number | null;
}

export interface OnlineRunOptions {
  resume?: boolean;
  quiet?: boolean;
  /** Figures of each rollout logged beside the reward (the pipeline passes goldWatch). */
  watch?: RolloutWatch;
}

/** Loads the policy, its reference and the reward source named by `cfg`, trains with `method`,
 * saves the policy and compares it with the starting policy on held-out prompts. */
export async function runOnline(cfg: OnlineConfig, method: OnlineMethod, { resume = false, quiet = false, watch }: OnlineRunOptions = {}): Promise<OnlineSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (line: string): void => { if (!quiet) console.log(line); };
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const policy = await loadPretrained(cfg.policy);
  const lora = cfg.lora.enabled ? new LoraModel(policy, cfg.lora, cfg.seed) : null;
  // The reference: a frozen copy of the starting policy, or with LoRA the policy with its adapters
  // off; none when the method has no KL term.
  let refModel: CausalLM | null = null;
  if (cfg.klCoef > 0 && !lora) {
    refModel = await loadPretrained(cfg.policy);
    for (const p of refModel.parameters()) p.requiresGrad = false;
  }
  const ref = cfg.klCoef > 0 ? (lora ? loraReference(lora) : modelReference(refModel!)) : null;
  const reward = await openRewardSource({ model: cfg.reward, fn: cfg.rewardFn }, tok, pad, 'reward / rewardFn');
  const norm = cfg.reward && cfg.score.normalize ? readRewardNormalization(cfg.reward) : null;
  if (cfg.reward && cfg.score.normalize && !norm) log(`${method.name}: ${cfg.reward} has no reward_normalization.json; using raw scores`);
  const prompts = await loadPolicyPrompts(cfg.data.prompts, tok, cfg.data.maxPromptLen);
  log(`${method.name}: ${prompts.length} prompts, ${cfg.iterations} iterations of ${cfg.promptsPerIteration} prompts × ${cfg.samplesPerPrompt} samples, scored by the ${reward.name}`);

  const result = await trainOnline({
    policy, ref, reward, padId: pad, stopIds: stopIds(tok, policy.generationConfig.eosTokenId ?? policy.config.eosTokenId),
    watch: watch ? (ps, responses) => watch(ps, responses.map((x) => responseText(tok, x))) : undefined,
    params: lora ? lora.parameters() : policy.namedParameters(),
    saveWeights: (dir) => (lora ? lora.save(dir, cfg.policy) : policy.save(dir)),
    loadWeights: (dir) => (lora ? lora.loadWeights(dir) : loadWeights(policy, dir)),
    useRng: lora ? (rng) => { lora.rng = rng; } : undefined,
    prompts, normalization: { mean: norm?.mean ?? 0, std: norm?.std ?? 1 },
  }, cfg, method, { resume, quiet });

  const adapter = saveFinalModel(cfg.out, policy, lora, cfg.policy, tokDir, result.ema);
  const evaluation = await compareWithStart(policy, refModel ?? cfg.policy, tok, cfg.eval, { maxPromptLen: cfg.data.maxPromptLen, seed: cfg.seed, padId: pad });
  if (evaluation) log(`${method.name}: ${describeComparison(evaluation)}`);
  const r = result.records;
  const summary: OnlineSummary = {
    method: method.name, reward: reward.name, iterations: cfg.iterations, seconds: result.seconds, generateS: result.generateS, scoreS: result.scoreS,
    trainS: result.trainS, first: r[0] ?? null, last: r[r.length - 1] ?? null, eval: evaluation, model: join(cfg.out, 'model'), adapter, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

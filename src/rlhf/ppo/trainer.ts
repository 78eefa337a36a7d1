// PPO on the training loop (run.ts loads the models from disk). Each step is one iteration: sample a
// batch of responses with the KV cache, turn it into experience (experience.ts: KL-shaped rewards,
// GAE, whitening), then run several epochs of minibatch updates of the clipped policy and value
// losses (loss.ts), optionally with the PPO-ptx language-modelling term on pretraining text; the KL
// coefficient adapts toward its target after every iteration (or stays fixed). The actor and the critic are two parameter sets of the
// loop's one AdamW (the critic's scaled to its own learning rate), each clipped to its own norm, so
// a checkpoint is one step folder; β and the prompt and ptx cursors travel in it too.
// Data-parallel (docs/distributed.md): each rank samples and scores its share of every iteration's
// prompts; whitening and the rollout's statistics (score, KL, which adapts β) are the whole
// rollout's, and every rank takes the same number of minibatch updates on its share.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { Tensor } from '../../engine/tensor.js';
import { reshape } from '../../engine/ops/index.js';
import { hashString32 } from '../../data/hash.js';
import { shardRange } from '../../distributed/communicator.js';
import { minibatches, rankSeed, shardOf, shareSize, sumAcross } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { loadWeights, type CausalLM, type ScalarHeadModel } from '../../models/index.js';
import { LOOP_DEFAULTS, type LoopConfig } from '../../train/config.js';
import type { Ema } from '../../train/ema.js';
import { batchLoss, countTargets, lmSplit, type LmBatch } from '../../train/lm.js';
import { train, type BatchStream, type StepContext } from '../../train/loop.js';
import { shardStream } from '../../train/shard-data.js';
import { responseLogprobs, responseValues, selectRows, takeRows } from '../core/batch.js';
import { adaptiveKlUpdate, klHorizon } from '../core/kl.js';
import { explainedVariance } from '../core/masked.js';
import { entropyFromLogits } from '../core/ops.js';
import type { PolicyPrompt } from '../core/prompts.js';
import type { Reference } from '../core/reference.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream, type Stream, type StreamState } from '../core/stream.js';
import type { RewardSource } from '../reward/source.js';
import type { PpoConfig } from './config.js';
import { makeExperience, type Experience, type ExperienceStats } from './experience.js';
import { ppoPolicyLoss, ppoValueLoss } from './loss.js';

export interface PpoSetup {
  actor: CausalLM;
  /** What trains on the actor: all its weights, or its LoRA adapters (by name). */
  actorParams: Map<string, Tensor>;
  /** Writes / reads the actor's trained weights (a model or a PEFT adapter folder). */
  saveActor(dir: string): void;
  loadActor(dir: string): void;
  /** Hands over the loop's RNG (checkpointed with the run) to randomness outside the model's
   * forward options, such as LoRA's adapter dropout. */
  useRng?(rng: Rng): void;
  critic: ScalarHeadModel;
  ref: Reference;
  /** What scores the responses: the frozen reward model, or a reward function. */
  reward: RewardSource;
  /** Figures logged beside the reward every iteration, by name (the gold labeler's mean score, to
   * catch reward hacking): any function of the rollout. */
  watch?(prompts: PolicyPrompt[], responses: number[][]): Record<string, number>;
  /** The reward's mean and std under the SFT policy ({0, 1} leaves scores raw). */
  normalization: { mean: number; std: number };
  prompts: PolicyPrompt[];
  /** Pretraining token shards for the PPO-ptx term (empty when ptx.coef is 0). */
  ptxShards: string[];
  padId: number;
  stopIds: number[];
}

/** One iteration's figures, with the watch figures beside them (metrics.jsonl holds the same, with
 * lr and gradNorm). */
export interface PpoIterationRecord extends ExperienceStats {
  [watch: string]: number;
  step: number;
  klCoef: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  clipFrac: number;
  approxKl: number;
  valueClipFrac: number;
  explainedVariance: number;
  ptxLoss: number;
  generateS: number;
  scoreS: number;
  trainS: number;
}

export interface PpoTrainResult {
  records: PpoIterationRecord[];
  seconds: number;
  /** Summed over the iterations run in this process. */
  generateS: number;
  scoreS: number;
  trainS: number;
  ema: Ema | null;
  resumedFrom: number | null;
}

/** What a checkpoint keeps besides weights and optimizer: the prompt and ptx cursors and β. */
interface PpoPosition { prompts: StreamState; ptx: unknown; klCoef: number }

type UpdateMetrics = Pick<PpoIterationRecord, 'policyLoss' | 'valueLoss' | 'entropy' | 'clipFrac' | 'approxKl' | 'valueClipFrac' | 'ptxLoss'>;

const prefixed = (prefix: string, named: Map<string, Tensor>): Map<string, Tensor> => new Map([...named].map(([n, p]) => [`${prefix}${n}`, p]));

/** PPO's keys as the loop's settings: one step per iteration, the actor's learning rate decaying
 * linearly to minLrRatio of itself by the last one. */
export function ppoLoopConfig(cfg: PpoConfig): LoopConfig {
  const o = cfg.optim;
  return {
    ...LOOP_DEFAULTS, steps: cfg.iterations, batchSize: cfg.rollout.batchSize, gradAccum: 1, lr: o.actorLr, schedule: 'linear', warmupSteps: 0,
    minLrRatio: o.minLrRatio, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, maxGradNorm: o.maxGradNorm,
    evalEvery: 0, evalBatches: 0, saveEvery: cfg.saveEvery, keepLast: cfg.keepLast, logEvery: 1, seed: cfg.seed, emaDecay: cfg.emaDecay, zero: o.zero,
  };
}

export async function trainPpo(s: PpoSetup, cfg: PpoConfig, { resume = false, quiet = false } = {}): Promise<PpoTrainResult> {
  const { actor, critic } = s;
  const o = cfg.optim;
  let promptStream: Stream<PolicyPrompt> | null = null;
  let ptxStream: BatchStream<LmBatch> | null = null;
  let beta = cfg.kl.coef;
  const records: PpoIterationRecord[] = [];
  const time = { generateS: 0, scoreS: 0, trainS: 0 };
  const comm = world();
  shareSize(cfg.rollout.batchSize, comm, 'ppo: rollout.batchSize');
  /** This rank's rows of a global ptx batch. */
  const ptxShare = (b: LmBatch): LmBatch => {
    if (comm.size === 1) return b;
    const [lo, hi] = shardRange(b.B, comm.rank, comm.size);
    if (hi === lo) throw new Error(`ppo: ptx.batchSize ${b.B} leaves rank ${comm.rank} of ${comm.size} no rows; make it at least the number of ranks`);
    return lmSplit.take(b, lo, hi);
  };

  /** Epochs of shuffled minibatch updates on one rollout; the mean of each metric. */
  const update = (exp: Experience, ctx: StepContext): UpdateMetrics => {
    const { B, R } = exp.batch;
    const sums: UpdateMetrics = { policyLoss: 0, valueLoss: 0, entropy: 0, clipFrac: 0, approxKl: 0, valueClipFrac: 0, ptxLoss: 0 };
    let n = 0;
    for (let epoch = 0; epoch < cfg.ppo.epochs; epoch++) {
      const order = ctx.rng.shuffle([...Array(B).keys()]);
      for (const rows of minibatches(order, cfg.rollout.batchSize, cfg.ppo.miniBatchSize, comm)) {
        // Every rank draws the ptx batch, so the stream's position stays the same on all of them;
        // a rank whose share of this minibatch is empty still joins the update, with weight 0.
        const ptxBatch = ptxStream ? ptxShare(ptxStream.next()) : null;
        if (!rows.length) { ctx.update({}, { weight: 0 }); continue; }
        const mb = selectRows(exp.batch, rows);
        const pick = (x: Float32Array): Float32Array => takeRows(x, rows, R);
        const mask = mb.responseMask;
        const { logits, logprobs } = responseLogprobs(actor, mb, ctx.rng);
        // Entropy is always logged; it carries the tape only when it is part of the loss.
        const entropy = cfg.ppo.entropyCoef > 0 ? entropyFromLogits(logits) : noGrad(() => entropyFromLogits(logits.detach()));
        const pl = ppoPolicyLoss({ logprobs, oldLogprobs: pick(exp.oldLogprobs), advantages: pick(exp.advantages), mask, clipRange: cfg.ppo.clipRange, entropy, entropyCoef: cfg.ppo.entropyCoef });
        pl.loss.backward();
        if (ptxBatch) {
          // InstructGPT eq. 2: γ_ptx · the mean next-token loss on pretraining text, added to the
          // policy loss.
          const b = ptxBatch;
          const targets = Math.max(1, countTargets(b));
          const { sum } = batchLoss(actor, b, ctx.rng);
          sums.ptxLoss += sum.item() / targets;
          sum.backward(Tensor.scalar(cfg.ptx.coef / targets));
        }
        const values = reshape(responseValues(critic, mb, ctx.rng), [mb.B * R]);
        const vl = ppoValueLoss({ values, oldValues: pick(exp.values), returns: pick(exp.returns), mask, clipRange: cfg.ppo.valueClipRange });
        vl.loss.backward();
        // Both losses are means over response tokens: weighting each rank by its tokens makes the
        // average the gradient of the mean over the whole minibatch's.
        ctx.update({ 'PPO policy loss': pl.metrics.policyLoss, 'PPO value loss': vl.metrics.valueLoss }, { weight: mask.reduce((a, x) => a + x, 0) });
        for (const [k, v] of Object.entries({ ...pl.metrics, ...vl.metrics })) sums[k as keyof UpdateMetrics] += v;
        n++;
      }
    }
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])) as UpdateMetrics;
  };

  const result = await train({
    label: 'ppo',
    runDir: cfg.out,
    config: ppoLoopConfig(cfg),
    params: [
      { params: prefixed('actor.', s.actorParams) },
      // The critic has its own learning rate, and the EMA is of the policy only.
      { params: prefixed('critic.', critic.namedParameters()), lrScale: o.criticLr / o.actorLr, ema: false },
    ],
    modules: [actor, critic],
    saveWeights: (dir) => {
      s.saveActor(join(dir, 'actor'));
      critic.save(join(dir, 'critic'));
    },
    loadWeights: (dir) => {
      s.loadActor(join(dir, 'actor'));
      loadWeights(critic, join(dir, 'critic'));
    },
    unit: 'it',
    rngSeed: cfg.seed ^ 0x99,
    start: (position, rng) => {
      s.useRng?.(rng);
      const saved = position as PpoPosition | undefined;
      promptStream = shuffledStream(s.prompts, cfg.rollout.batchSize, cfg.seed, saved?.prompts, 'ppo prompts');
      ptxStream = s.ptxShards.length ? shardStream(s.ptxShards, cfg.ptx.seqLen, cfg.ptx.batchSize, cfg.seed, saved?.ptx ?? undefined) : null;
      beta = saved?.klCoef ?? cfg.kl.coef;
    },
    position: (): PpoPosition => ({ prompts: promptStream!.state(), ptx: ptxStream?.state() ?? null, klCoef: beta }),
    step: async (ctx) => {
      const prompts = shardOf(promptStream!.next(), comm);
      let t = performance.now();
      const samples = await sampleResponses(actor, prompts.map((p) => p.ids), {
        maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, stopTokenIds: s.stopIds,
        seed: rankSeed(hashString32(`ppo-rollout:${ctx.step}`, cfg.seed), comm.rank), chunk: cfg.rollout.batchSize, dtype: cfg.rollout.dtype,
      });
      const generateS = (performance.now() - t) / 1000;
      t = performance.now();
      const raw = await s.reward.score(prompts, samples.responses);
      const exp = makeExperience(s, prompts, samples, raw, {
        padId: s.padId, beta, estimator: cfg.kl.estimator, gamma: cfg.ppo.gamma, lambda: cfg.ppo.lambda, whitenAdvantages: cfg.ppo.whitenAdvantages,
        shaping: { ...s.normalization, clip: cfg.score.clip, missingEosPenalty: cfg.score.missingEosPenalty },
        samplingLogprobsExact: cfg.rollout.temperature === 1 && cfg.rollout.topK === 0 && cfg.rollout.dtype === 'f32',
        across: sumAcross(comm),
      });
      const watched = s.watch?.(prompts, samples.responses) ?? {};
      const scoreS = (performance.now() - t) / 1000;
      t = performance.now();
      const upd = update(exp, ctx);
      const trainS = (performance.now() - t) / 1000;
      time.generateS += generateS;
      time.scoreS += scoreS;
      time.trainS += trainS;
      const record: PpoIterationRecord = {
        step: ctx.step + 1, klCoef: beta, ...exp.stats, ...watched, ...upd,
        explainedVariance: explainedVariance(exp.values, exp.returns, exp.batch.responseMask), generateS, scoreS, trainS,
      };
      records.push(record);
      if (cfg.kl.adaptive) beta = adaptiveKlUpdate(beta, exp.stats.kl, cfg.rollout.batchSize, { init: cfg.kl.coef, target: cfg.kl.target, horizon: klHorizon(cfg.kl.horizon, cfg.iterations * cfg.rollout.batchSize, cfg.rollout.batchSize) });
      const { step: _step, ...metrics } = record;
      // The figures not already the whole rollout's are averaged over the ranks by their rollouts.
      return { metrics, weight: exp.batch.B };
    },
    finish: () => ptxStream?.close?.(),
    show: (m) => ({ score: m.score.toFixed(3), ...(Number.isFinite(m.gold) ? { gold: m.gold.toFixed(2) } : {}), kl: m.kl.toFixed(2), len: m.responseLength.toFixed(1) }),
  }, { resume, quiet });
  return { records, seconds: result.seconds, ...time, ema: result.ema, resumedFrom: result.resumedFrom };
}

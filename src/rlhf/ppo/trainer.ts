// PPO's training loop on models in memory (run.ts loads them from disk). Each iteration samples a
// batch of responses with the KV cache, turns it into experience (experience.ts: KL-shaped rewards,
// GAE, whitening), then runs several epochs of minibatch updates of the clipped policy and value
// losses (loss.ts), optionally with the PPO-ptx language-modelling term; the KL coefficient adapts
// toward its target after every iteration. One AdamW holds both trained models (the critic's
// groups scaled to its own learning rate), so a checkpoint is one step folder.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import { Rng } from '../../engine/rng.js';
import { Tensor } from '../../engine/tensor.js';
import { reshape } from '../../engine/ops/index.js';
import { hashString32 } from '../../data/hash.js';
import { AdamW, clipGradNorm, decayGroups } from '../../nn/index.js';
import { loadWeights, type CausalLM, type ScalarHeadModel } from '../../models/index.js';
import { latestCheckpoint, loadCheckpoint, removePartialCheckpoints, saveCheckpoint, type TrainerState } from '../../train/checkpoint.js';
import { batchLoss, countTargets, TrainingDiverged } from '../../train/loop.js';
import { MetricsLog } from '../../train/metrics.js';
import { sftStream, type SftExample } from '../../train/sft-data.js';
import { Progress } from '../../util/progress.js';
import { responseLogprobs, responseValues, selectRows, takeRows, type SequenceBatch } from '../core/batch.js';
import { Ema } from '../core/ema.js';
import { adaptiveKlUpdate, klHorizon } from '../core/kl.js';
import { explainedVariance } from '../core/masked.js';
import { entropyFromLogits } from '../core/ops.js';
import type { PolicyPrompt } from '../core/prompts.js';
import type { Reference } from '../core/reference.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream, type StreamState } from '../core/stream.js';
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
  critic: ScalarHeadModel;
  ref: Reference;
  /** Raw reward per response [B] (the frozen reward model's score). */
  score(batch: SequenceBatch): Float32Array;
  /** Gold-labeler score of a response, NaN when unknown: logged beside the reward to catch hacking. */
  gold(prompt: PolicyPrompt, response: number[]): number;
  /** The reward's mean and std under the SFT policy ({0, 1} leaves scores raw). */
  normalization: { mean: number; std: number };
  prompts: PolicyPrompt[];
  /** SFT examples for the PPO-ptx term (empty when ptx.coef is 0). */
  ptx: SftExample[];
  padId: number;
  stopIds: number[];
}

/** One line of metrics.jsonl. */
export interface PpoIterationRecord extends ExperienceStats {
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
interface PpoData { prompts: StreamState; ptx: unknown; klCoef: number }

type UpdateMetrics = Pick<PpoIterationRecord, 'policyLoss' | 'valueLoss' | 'entropy' | 'clipFrac' | 'approxKl' | 'valueClipFrac' | 'ptxLoss'>;

const prefixed = (prefix: string, named: Map<string, Tensor>): Map<string, Tensor> => new Map([...named].map(([n, p]) => [`${prefix}${n}`, p]));

export async function trainPpo(s: PpoSetup, cfg: PpoConfig, { resume = false, quiet = false } = {}): Promise<PpoTrainResult> {
  const { actor, critic } = s;
  const criticParams = critic.namedParameters();
  const trainable = new Map([...prefixed('actor.', s.actorParams), ...prefixed('critic.', criticParams)]);
  const o = cfg.optim;
  const opt = new AdamW([
    ...decayGroups(s.actorParams, o.weightDecay),
    ...decayGroups(criticParams, o.weightDecay).map((g) => ({ ...g, lrScale: o.criticLr / o.actorLr })),
  ], { lr: o.actorLr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
  const ema = cfg.emaDecay > 0 ? new Ema(s.actorParams, cfg.emaDecay) : null;

  removePartialCheckpoints(cfg.out);
  const latest = latestCheckpoint(cfg.out);
  if (latest && !resume) throw new Error(`${cfg.out} already holds checkpoints (newest: iteration ${latest.step}); pass --resume to continue it, or choose a new output folder`);
  let state: TrainerState | null = null;
  let rng = new Rng(cfg.seed ^ 0x99);
  if (latest && resume) {
    s.loadActor(join(latest.dir, 'actor'));
    loadWeights(critic, join(latest.dir, 'critic'));
    ema?.load(latest.dir);
    state = loadCheckpoint(latest.dir, trainable, opt);
    rng = new Rng(state.rng);
  }
  const saved = state?.data as PpoData | undefined;
  const promptStream = shuffledStream(s.prompts, cfg.rollout.batchSize, cfg.seed, saved?.prompts, 'ppo prompts');
  const ptxStream = s.ptx.length ? sftStream(s.ptx, cfg.ptx.batchSize, s.padId, cfg.seed, { state: saved?.ptx }) : null;
  let beta = saved?.klCoef ?? cfg.kl.coef;
  const metrics = new MetricsLog(join(cfg.out, 'metrics.jsonl'), state ? state.step : null);
  const start = state?.step ?? 0;
  const bar = quiet ? null : new Progress({ label: start ? `ppo (from ${start})` : 'ppo', total: cfg.iterations - start, unit: 'it' });
  const t0 = performance.now();
  const result: PpoTrainResult = { records: [], seconds: 0, generateS: 0, scoreS: 0, trainS: 0, ema, resumedFrom: state ? state.step : null };
  let lastCheckpoint = latest && resume ? latest.dir : null;

  /** Epochs of shuffled minibatch updates on one rollout; the mean of each metric. */
  const update = (exp: Experience, lr: number): UpdateMetrics => {
    const { B, R } = exp.batch;
    const sums: UpdateMetrics = { policyLoss: 0, valueLoss: 0, entropy: 0, clipFrac: 0, approxKl: 0, valueClipFrac: 0, ptxLoss: 0 };
    const cap = o.maxGradNorm > 0 ? o.maxGradNorm : Infinity;
    let n = 0;
    actor.train();
    critic.train();
    for (let epoch = 0; epoch < cfg.ppo.epochs; epoch++) {
      const order = rng.shuffle([...Array(B).keys()]);
      for (let i = 0; i < B; i += cfg.ppo.miniBatchSize) {
        const rows = order.slice(i, i + cfg.ppo.miniBatchSize);
        const mb = selectRows(exp.batch, rows);
        const pick = (x: Float32Array): Float32Array => takeRows(x, rows, R);
        const mask = mb.responseMask;
        const { logits, logprobs } = responseLogprobs(actor, mb, rng);
        // Entropy is always logged; it carries the tape only when it is part of the loss.
        const entropy = cfg.ppo.entropyCoef > 0 ? entropyFromLogits(logits) : noGrad(() => entropyFromLogits(logits.detach()));
        const pl = ppoPolicyLoss({ logprobs, oldLogprobs: pick(exp.oldLogprobs), advantages: pick(exp.advantages), mask, clipRange: cfg.ppo.clipRange, entropy, entropyCoef: cfg.ppo.entropyCoef });
        pl.loss.backward();
        if (ptxStream) {
          // InstructGPT eq. 2: γ_ptx · the mean next-token loss on SFT data, added to the policy loss.
          const b = ptxStream.next();
          const targets = Math.max(1, countTargets(b));
          const { sum } = batchLoss(actor, b, rng);
          sums.ptxLoss += sum.item() / targets;
          sum.backward(Tensor.scalar(cfg.ptx.coef / targets));
        }
        const values = reshape(responseValues(critic, mb, rng), [mb.B * R]);
        const vl = ppoValueLoss({ values, oldValues: pick(exp.values), returns: pick(exp.returns), mask, clipRange: cfg.ppo.valueClipRange });
        vl.loss.backward();
        const gn = clipGradNorm([...s.actorParams.values()], cap) + clipGradNorm([...criticParams.values()], cap);
        if (!Number.isFinite(gn) || !Number.isFinite(pl.metrics.policyLoss) || !Number.isFinite(vl.metrics.valueLoss)) {
          throw new TrainingDiverged(start + result.records.length + 1, 'a PPO loss or gradient stopped being finite', lastCheckpoint);
        }
        opt.update(lr);
        for (const p of trainable.values()) p.grad = null;
        for (const [k, v] of Object.entries({ ...pl.metrics, ...vl.metrics })) sums[k as keyof UpdateMetrics] += v;
        n++;
      }
    }
    actor.eval();
    critic.eval();
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])) as UpdateMetrics;
  };

  for (let it = start; it < cfg.iterations; it++) {
    const lr = o.actorLr * (1 - ((1 - o.minLrRatio) * it) / cfg.iterations);
    const prompts = promptStream.next();
    let t = performance.now();
    const samples = await sampleResponses(actor, prompts.map((p) => p.ids), {
      maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, stopTokenIds: s.stopIds,
      seed: hashString32(`ppo-rollout:${it}`, cfg.seed), chunk: cfg.rollout.batchSize,
    });
    const generateS = (performance.now() - t) / 1000;
    t = performance.now();
    const exp = makeExperience(s, prompts, samples, {
      padId: s.padId, beta, estimator: cfg.kl.estimator, gamma: cfg.ppo.gamma, lambda: cfg.ppo.lambda, whitenAdvantages: cfg.ppo.whitenAdvantages,
      shaping: { ...s.normalization, clip: cfg.score.clip, missingEosPenalty: cfg.score.missingEosPenalty },
      samplingLogprobsExact: cfg.rollout.temperature === 1 && cfg.rollout.topK === 0,
    });
    const scoreS = (performance.now() - t) / 1000;
    t = performance.now();
    const upd = update(exp, lr);
    const trainS = (performance.now() - t) / 1000;
    result.generateS += generateS;
    result.scoreS += scoreS;
    result.trainS += trainS;

    const record: PpoIterationRecord = {
      step: it + 1, klCoef: beta, ...exp.stats, ...upd,
      explainedVariance: explainedVariance(exp.values, exp.returns, exp.batch.responseMask), generateS, scoreS, trainS,
    };
    metrics.write({ ...record });
    result.records.push(record);
    if (cfg.kl.adaptive) beta = adaptiveKlUpdate(beta, exp.stats.kl, exp.batch.B, { init: cfg.kl.coef, target: cfg.kl.target, horizon: klHorizon(cfg.kl.horizon, cfg.iterations * cfg.rollout.batchSize, cfg.rollout.batchSize) });
    ema?.update();
    const done = it + 1;
    if (done % cfg.saveEvery === 0 || done === cfg.iterations) {
      const data: PpoData = { prompts: promptStream.state(), ptx: ptxStream?.state() ?? null, klCoef: beta };
      const st: TrainerState = { step: done, tokens: 0, rng: rng.state(), data, seconds: (state?.seconds ?? 0) + (performance.now() - t0) / 1000 };
      lastCheckpoint = saveCheckpoint(cfg.out, st, trainable, opt, (dir) => {
        s.saveActor(join(dir, 'actor'));
        critic.save(join(dir, 'critic'));
        ema?.save(dir);
      }, cfg.keepLast);
    }
    bar?.tick(1, { score: record.score.toFixed(3), ...(Number.isNaN(record.gold) ? {} : { gold: record.gold.toFixed(2) }), kl: record.kl.toFixed(2), len: record.responseLength.toFixed(1) });
  }
  bar?.finish();
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

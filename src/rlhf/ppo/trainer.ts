// `rlhf ppo`: InstructGPT's step 3 with four models — the actor (from SFT, trained), the critic
// (from the reward model, trained), the frozen reference (SFT) and the frozen reward model. Each
// iteration samples a batch of responses with the KV cache, turns it into experience (experience.ts:
// KL-shaped rewards, GAE, whitening), then runs several epochs of minibatch updates of the clipped
// policy and value losses (loss.ts), optionally with the PPO-ptx language-modelling term; the KL
// coefficient adapts toward its target after every iteration. One AdamW holds both trained models
// (the critic's groups scaled to its own learning rate), so a checkpoint is one step folder.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import { Rng } from '../../engine/rng.js';
import { Tensor } from '../../engine/tensor.js';
import { reshape } from '../../engine/ops/index.js';
import { hashString32 } from '../../data/hash.js';
import { AdamW, clipGradNorm, decayGroups } from '../../nn/index.js';
import { loadPretrained, loadScalarModel, loadWeights, type CausalLM } from '../../models/index.js';
import { loadTokenizer } from '../../tokenizer/index.js';
import { stopIds } from '../../train/accuracy.js';
import { latestCheckpoint, loadCheckpoint, removePartialCheckpoints, saveCheckpoint, type TrainerState } from '../../train/checkpoint.js';
import { LoraModel } from '../../train/lora.js';
import { batchLoss, countTargets, TrainingDiverged } from '../../train/loop.js';
import { MetricsLog } from '../../train/metrics.js';
import { copyTokenizer, prepareRunDir, writeSummary } from '../../train/run-dir.js';
import { padId } from '../../train/sft.js';
import { encodeExamples, loadConversations, sftStream } from '../../train/sft-data.js';
import { Progress } from '../../util/progress.js';
import { responseLogprobs, responseValues, selectRows, takeRows } from '../core/batch.js';
import { Ema } from '../core/ema.js';
import { adaptiveKlUpdate } from '../core/kl.js';
import { explainedVariance } from '../core/masked.js';
import { entropyFromLogits } from '../core/ops.js';
import { loadPolicyPrompts } from '../core/prompts.js';
import { loraReference, modelReference } from '../core/reference.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream, type StreamState } from '../core/stream.js';
import { comparePolicies, type PolicyComparison } from '../eval.js';
import { readRewardNormalization } from '../reward/normalization.js';
import type { PpoConfig } from './config.js';
import { makeExperience, type Experience } from './experience.js';
import { ppoPolicyLoss, ppoValueLoss } from './loss.js';

/** What a checkpoint keeps besides weights and optimizer: the prompt and ptx cursors and β. */
interface PpoData { prompts: StreamState; ptx: unknown; klCoef: number }

export interface PpoIterationRecord {
  step: number;
  klCoef: number;
  score: number;
  shapedScore: number;
  gold: number;
  kl: number;
  responseLength: number;
  finished: number;
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

export interface PpoSummary {
  iterations: number;
  seconds: number;
  /** Time split over the iterations run in this process. */
  generateS: number;
  scoreS: number;
  trainS: number;
  first: PpoIterationRecord | null;
  last: PpoIterationRecord | null;
  /** Held-out comparison with the SFT policy (null without eval.prompts). */
  eval: PolicyComparison | null;
  model: string;
  valueModel: string;
  resumedFrom: number | null;
}

const freeze = (m: { parameters(): Tensor[] }): void => { for (const p of m.parameters()) p.requiresGrad = false; };
const prefixed = (prefix: string, named: Map<string, Tensor>): Map<string, Tensor> => new Map([...named].map(([n, p]) => [`${prefix}${n}`, p]));

export async function ppo(cfg: PpoConfig, { resume = false, quiet = false } = {}): Promise<PpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);

  const actor = await loadPretrained(cfg.policy);
  const lora = cfg.lora.enabled ? new LoraModel(actor, cfg.lora, cfg.seed) : null;
  const refModel = lora ? null : await loadPretrained(cfg.policy);
  if (refModel) freeze(refModel);
  const ref = lora ? loraReference(lora) : modelReference(refModel!);
  const rewardModel = await loadScalarModel(cfg.reward);
  freeze(rewardModel);
  const critic = await loadScalarModel(cfg.reward);
  const norm = cfg.score.normalize ? readRewardNormalization(cfg.reward) : null;
  if (cfg.score.normalize && !norm) log(`ppo: ${cfg.reward} has no reward_normalization.json; using raw scores`);
  const stops = stopIds(tok, actor);
  const prompts = await loadPolicyPrompts(cfg.data.prompts, tok, cfg.data.maxPromptLen);
  const ptxExamples = cfg.ptx.coef > 0 ? encodeExamples(tok, await loadConversations(cfg.ptx.data), cfg.ptx.maxLen).examples : [];
  log(`ppo: ${prompts.length} prompts, ${cfg.iterations} iterations of ${cfg.rollout.batchSize} rollouts${lora ? ' (LoRA actor; reference = adapters off)' : ''}`);

  const actorParams = lora ? lora.parameters() : actor.namedParameters();
  const criticParams = critic.namedParameters();
  const trainable = new Map([...prefixed('actor.', actorParams), ...prefixed('critic.', criticParams)]);
  const o = cfg.optim;
  const opt = new AdamW([
    ...decayGroups(actorParams, o.weightDecay),
    ...decayGroups(criticParams, o.weightDecay).map((g) => ({ ...g, lrScale: o.criticLr / o.actorLr })),
  ], { lr: o.actorLr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
  const ema = cfg.emaDecay > 0 ? new Ema(actorParams, cfg.emaDecay) : null;

  const saveWeights = (dir: string): void => {
    if (lora) lora.save(join(dir, 'actor'), cfg.policy);
    else actor.save(join(dir, 'actor'));
    critic.save(join(dir, 'critic'));
    ema?.save(dir);
  };
  removePartialCheckpoints(cfg.out);
  const latest = latestCheckpoint(cfg.out);
  if (latest && !resume) throw new Error(`${cfg.out} already holds checkpoints (newest: iteration ${latest.step}); pass --resume to continue it, or choose a new output folder`);
  let state: TrainerState | null = null;
  let rng = new Rng(cfg.seed ^ 0x99);
  if (latest && resume) {
    if (lora) lora.loadWeights(join(latest.dir, 'actor'));
    else loadWeights(actor, join(latest.dir, 'actor'));
    loadWeights(critic, join(latest.dir, 'critic'));
    ema?.load(latest.dir);
    state = loadCheckpoint(latest.dir, trainable, opt);
    rng = new Rng(state.rng);
  }
  const saved = state?.data as PpoData | undefined;
  const promptStream = shuffledStream(prompts, cfg.rollout.batchSize, cfg.seed, saved?.prompts, 'ppo prompts');
  const ptxStream = ptxExamples.length ? sftStream(ptxExamples, cfg.ptx.batchSize, pad, cfg.seed, { state: saved?.ptx }) : null;
  let beta = saved?.klCoef ?? cfg.kl.coef;
  const metrics = new MetricsLog(join(cfg.out, 'metrics.jsonl'), state ? state.step : null);
  const start = state?.step ?? 0;
  const bar = quiet ? null : new Progress({ label: start ? `ppo (from ${start})` : 'ppo', total: cfg.iterations - start, unit: 'it' });
  const t0 = performance.now();
  const time = { generate: 0, score: 0, train: 0 };
  let first: PpoIterationRecord | null = null, last: PpoIterationRecord | null = null;
  let lastCheckpoint = latest && resume ? latest.dir : null;
  const exact = cfg.rollout.temperature === 1 && cfg.rollout.topK === 0;

  for (let it = start; it < cfg.iterations; it++) {
    const lr = o.actorLr * (1 - ((1 - o.minLrRatio) * it) / cfg.iterations);
    const batchPrompts = promptStream.next();
    let t = performance.now();
    const samples = await sampleResponses(actor, batchPrompts.map((p) => p.ids), {
      maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, stopTokenIds: stops,
      seed: hashString32(`ppo-rollout:${it}`, cfg.seed), chunk: cfg.rollout.batchSize,
    });
    const generateS = (performance.now() - t) / 1000;
    t = performance.now();
    const exp = makeExperience({ actor, critic, rewardModel, ref }, batchPrompts, samples, {
      padId: pad, beta, estimator: cfg.kl.estimator, gamma: cfg.ppo.gamma, lambda: cfg.ppo.lambda, whitenAdvantages: cfg.ppo.whitenAdvantages,
      shaping: { mean: norm?.mean ?? 0, std: norm?.std ?? 1, clip: cfg.score.clip, missingEosPenalty: cfg.score.missingEosPenalty }, samplingLogprobsExact: exact,
    }, tok);
    const scoreS = (performance.now() - t) / 1000;
    t = performance.now();
    const upd = update(exp, lr);
    const trainS = (performance.now() - t) / 1000;
    time.generate += generateS;
    time.score += scoreS;
    time.train += trainS;

    const record: PpoIterationRecord = {
      step: it + 1, klCoef: beta, ...exp.stats, ...upd,
      explainedVariance: explainedVariance(exp.values, exp.returns, exp.batch.responseMask), generateS, scoreS, trainS,
    };
    metrics.write({ ...record });
    first ??= record;
    last = record;
    beta = adaptiveKlUpdate(beta, exp.stats.kl, exp.batch.B, { init: cfg.kl.coef, target: cfg.kl.target, horizon: cfg.kl.horizon });
    ema?.update();
    const done = it + 1;
    if (done % cfg.saveEvery === 0 || done === cfg.iterations) {
      const data: PpoData = { prompts: promptStream.state(), ptx: ptxStream?.state() ?? null, klCoef: beta };
      const st: TrainerState = { step: done, tokens: 0, rng: rng.state(), data, seconds: (state?.seconds ?? 0) + (performance.now() - t0) / 1000 };
      lastCheckpoint = saveCheckpoint(cfg.out, st, trainable, opt, saveWeights, cfg.keepLast);
    }
    bar?.tick(1, { score: record.score.toFixed(3), ...(Number.isNaN(record.gold) ? {} : { gold: record.gold.toFixed(2) }), kl: record.kl.toFixed(2), len: record.responseLength.toFixed(1) });
  }
  bar?.finish();

  /** Epochs of shuffled minibatch updates on one rollout; returns the mean of each metric. */
  function update(exp: Experience, lr: number): Pick<PpoIterationRecord, 'policyLoss' | 'valueLoss' | 'entropy' | 'clipFrac' | 'approxKl' | 'valueClipFrac' | 'ptxLoss'> {
    const { B, R } = exp.batch;
    const sums = { policyLoss: 0, valueLoss: 0, entropy: 0, clipFrac: 0, approxKl: 0, valueClipFrac: 0, ptxLoss: 0 };
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
        const entropy = cfg.ppo.entropyCoef > 0 ? entropyFromLogits(logits) : noGrad(() => entropyFromLogits(logits.detach()));
        const pl = ppoPolicyLoss({ logprobs, oldLogprobs: pick(exp.oldLogprobs), advantages: pick(exp.advantages), mask, clipRange: cfg.ppo.clipRange, entropy, entropyCoef: cfg.ppo.entropyCoef });
        pl.loss.backward();
        if (ptxStream) {
          const b = ptxStream.next();
          const { sum } = batchLoss(actor, b, rng);
          sums.ptxLoss += sum.item() / Math.max(1, countTargets(b));
          sum.backward(Tensor.scalar(cfg.ptx.coef / Math.max(1, countTargets(b))));
        }
        const values = reshape(responseValues(critic, mb, rng), [mb.B * R]);
        const vl = ppoValueLoss({ values, oldValues: pick(exp.values), returns: pick(exp.returns), mask, clipRange: cfg.ppo.valueClipRange });
        vl.loss.backward();
        const cap = o.maxGradNorm > 0 ? o.maxGradNorm : Infinity;
        const gn = clipGradNorm([...actorParams.values()], cap) + clipGradNorm([...criticParams.values()], cap);
        if (!Number.isFinite(gn) || !Number.isFinite(pl.metrics.policyLoss) || !Number.isFinite(vl.metrics.valueLoss)) {
          throw new TrainingDiverged(n, 'a PPO loss or gradient stopped being finite', lastCheckpoint);
        }
        opt.update(lr);
        for (const p of trainable.values()) p.grad = null;
        for (const [k, v] of Object.entries({ ...pl.metrics, ...vl.metrics })) sums[k as keyof typeof sums] += v;
        n++;
      }
    }
    actor.eval();
    critic.eval();
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])) as typeof sums;
  }

  const modelDir = join(cfg.out, 'model'), valueDir = join(cfg.out, 'value_model');
  if (ema) {
    if (lora) ema.withAveraged(() => lora.save(join(cfg.out, 'adapter_ema'), cfg.policy));
    else ema.withAveraged(() => actor.save(join(cfg.out, 'model_ema')));
  }
  if (lora) {
    lora.save(join(cfg.out, 'adapter'), cfg.policy);
    lora.merge();
  }
  actor.save(modelDir);
  copyTokenizer(tokDir, modelDir);
  critic.save(valueDir);

  let evaluation: PolicyComparison | null = null;
  if (cfg.eval.prompts) {
    const sft: CausalLM = refModel ?? (await loadPretrained(cfg.policy));
    const evalPrompts = await loadPolicyPrompts(cfg.eval.prompts, tok, cfg.data.maxPromptLen, cfg.eval.limit);
    evaluation = await comparePolicies(actor, sft, modelReference(sft), tok, evalPrompts, {
      maxNewTokens: cfg.eval.maxNewTokens, temperature: cfg.eval.temperature, seed: cfg.seed, padId: pad, keepSamples: 8,
    });
    log(`ppo: held-out win rate vs SFT ${(100 * evaluation.winRate).toFixed(1)}% (${evaluation.wins}/${evaluation.ties}/${evaluation.losses}), KL ${evaluation.kl.toFixed(2)} nats/response`);
  }
  const summary: PpoSummary = {
    iterations: cfg.iterations, seconds: (performance.now() - t0) / 1000, generateS: time.generate, scoreS: time.score, trainS: time.train,
    first, last, eval: evaluation, model: modelDir, valueModel: valueDir, resumedFrom: state ? state.step : null,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

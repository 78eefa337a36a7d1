// `rlhf grpo`: GRPO on instruction prompts whose answers a program can check. Each iteration
// samples groupSize responses for each of promptsPerIteration prompts with the KV cache, rewards
// them with the checker (exact match with the gold answer), standardises rewards within each group,
// and takes clipped-surrogate steps with a k3 KL penalty to the reference (loss.ts). No reward model
// and no critic. Greedy exact-match accuracy of the SFT and the final policy is measured on held-out
// prompts.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import { Rng } from '../../engine/rng.js';
import { hashString32 } from '../../data/hash.js';
import type { InstructionGold } from '../../data/default/labelers.js';
import { isCorrect } from '../../data/default/labelers.js';
import { AdamW, clipGradNorm, decayGroups } from '../../nn/index.js';
import { loadPretrained, loadWeights } from '../../models/index.js';
import { loadTokenizer } from '../../tokenizer/index.js';
import { exactMatch, exactMatchAccuracy, loadGoldPrompts, stopIds, type AccuracyReport } from '../../train/accuracy.js';
import { latestCheckpoint, loadCheckpoint, removePartialCheckpoints, saveCheckpoint, type TrainerState } from '../../train/checkpoint.js';
import { LoraModel } from '../../train/lora.js';
import { TrainingDiverged } from '../../train/loop.js';
import { MetricsLog } from '../../train/metrics.js';
import { copyTokenizer, prepareRunDir, writeSummary } from '../../train/run-dir.js';
import { padId } from '../../train/sft.js';
import { Progress } from '../../util/progress.js';
import { joinBatch, responseLogprobs, selectRows, takeRows } from '../core/batch.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from '../core/prompts.js';
import { loraReference, modelReference, type Reference } from '../core/reference.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream, type StreamState } from '../core/stream.js';
import type { GrpoConfig } from './config.js';
import { groupAdvantages, grpoLoss } from './loss.js';

export interface GrpoIterationRecord {
  step: number;
  /** Mean reward, and the share of groups whose rewards differ (the others carry no signal). */
  reward: number;
  exactMatch: number;
  informativeGroups: number;
  responseLength: number;
  loss: number;
  kl: number;
  clipFrac: number;
  generateS: number;
  trainS: number;
}

export interface GrpoSummary {
  iterations: number;
  seconds: number;
  generateS: number;
  trainS: number;
  first: GrpoIterationRecord | null;
  last: GrpoIterationRecord | null;
  /** Held-out greedy exact match before and after (null without eval.prompts). */
  sftAccuracy: AccuracyReport | null;
  accuracy: AccuracyReport | null;
  model: string;
  resumedFrom: number | null;
}

export async function grpo(cfg: GrpoConfig, { resume = false, quiet = false } = {}): Promise<GrpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const policy = await loadPretrained(cfg.policy);
  const stops = stopIds(tok, policy);
  const evalPrompts = cfg.eval.prompts ? await loadGoldPrompts(cfg.eval.prompts, cfg.eval.limit) : [];
  const score = (label: string): Promise<AccuracyReport | null> => evalPrompts.length
    ? exactMatchAccuracy(policy, tok, evalPrompts, { maxNewTokens: cfg.eval.maxNewTokens }).then((r) => { log(`grpo: ${label} exact match on ${r.total} held-out prompts ${(100 * r.accuracy).toFixed(1)}%`); return r; })
    : Promise.resolve(null);
  const sftAccuracy = await score('SFT');

  const lora = cfg.lora.enabled ? new LoraModel(policy, cfg.lora, cfg.seed) : null;
  let ref: Reference | null = null;
  if (cfg.klCoef > 0) {
    if (lora) ref = loraReference(lora);
    else {
      const refModel = await loadPretrained(cfg.policy);
      for (const p of refModel.parameters()) p.requiresGrad = false;
      ref = modelReference(refModel);
    }
  }
  const prompts = (await loadPolicyPrompts(cfg.data.prompts, tok, cfg.data.maxPromptLen)).filter((p) => p.gold?.kind === 'instruction');
  if (!prompts.length) throw new Error(`${cfg.data.prompts}: no instruction prompts with gold answers to check`);
  const G = cfg.groupSize;
  log(`grpo: ${prompts.length} checkable prompts, ${cfg.iterations} iterations of ${cfg.promptsPerIteration} prompts × ${G} samples`);
  const reward = (p: PolicyPrompt, tokens: number[]): { reward: number; exact: boolean } => {
    const gold = p.gold as InstructionGold, text = responseText(tok, tokens);
    const exact = exactMatch(text, gold.answer);
    return { reward: (exact ? cfg.reward.exact : 0) + (cfg.reward.correct > 0 && isCorrect(gold, text) ? cfg.reward.correct : 0), exact };
  };

  const trainable = lora ? lora.parameters() : policy.namedParameters();
  const params = [...trainable.values()];
  const o = cfg.optim;
  const opt = new AdamW(decayGroups(trainable, o.weightDecay), { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
  removePartialCheckpoints(cfg.out);
  const latest = latestCheckpoint(cfg.out);
  if (latest && !resume) throw new Error(`${cfg.out} already holds checkpoints (newest: iteration ${latest.step}); pass --resume to continue it, or choose a new output folder`);
  let state: TrainerState | null = null;
  let rng = new Rng(cfg.seed ^ 0x6290);
  if (latest && resume) {
    if (lora) lora.loadWeights(latest.dir);
    else loadWeights(policy, latest.dir);
    state = loadCheckpoint(latest.dir, trainable, opt);
    rng = new Rng(state.rng);
  }
  const stream = shuffledStream(prompts, cfg.promptsPerIteration, cfg.seed, state?.data as StreamState | undefined, 'grpo prompts');
  const metrics = new MetricsLog(join(cfg.out, 'metrics.jsonl'), state ? state.step : null);
  const start = state?.step ?? 0;
  const bar = quiet ? null : new Progress({ label: start ? `grpo (from ${start})` : 'grpo', total: cfg.iterations - start, unit: 'it' });
  const t0 = performance.now();
  const time = { generate: 0, train: 0 };
  let first: GrpoIterationRecord | null = null, last: GrpoIterationRecord | null = null;
  let lastCheckpoint = latest && resume ? latest.dir : null;
  const exactLogprobs = cfg.rollout.temperature === 1 && cfg.rollout.topK === 0;

  for (let it = start; it < cfg.iterations; it++) {
    const group = stream.next().flatMap((p) => Array<PolicyPrompt>(G).fill(p));
    let t = performance.now();
    const samples = await sampleResponses(policy, group.map((p) => p.ids), {
      maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, stopTokenIds: stops,
      seed: hashString32(`grpo-rollout:${it}`, cfg.seed), chunk: group.length,
    });
    const generateS = (performance.now() - t) / 1000;
    t = performance.now();
    const judged = group.map((p, i) => reward(p, samples.responses[i]));
    const rewards = Float32Array.from(judged, (j) => j.reward);
    const advantages = groupAdvantages(rewards, G);
    const batch = joinBatch(group.map((p) => p.ids), samples.responses, pad);
    const { B, R } = batch;
    const flat = (rows: number[][]): Float32Array => { const x = new Float32Array(B * R); rows.forEach((r, b) => x.set(r, b * R)); return x; };
    const inEval = <T>(fn: () => T): T => { policy.eval(); try { return noGrad(fn); } finally { policy.train(); } };
    const old = exactLogprobs ? flat(samples.logprobs) : inEval(() => responseLogprobs(policy, batch).logprobs.f);

    const sums = { loss: 0, kl: 0, clipFrac: 0 };
    let steps = 0;
    const uniform = (row: number): boolean => { const g = row - (row % G); return rewards.subarray(g, g + G).every((r) => r === rewards[g]); };
    const trained = [...Array(B).keys()].filter((row) => !cfg.skipUniformGroups || !uniform(row));
    // Reference log-probs of the trained rows only, in `trained` order.
    const refLp = ref && trained.length ? ref.logprobs(selectRows(batch, trained)) : null;
    const refRow = new Map(trained.map((row, i) => [row, i]));
    policy.train();
    for (let epoch = 0; epoch < cfg.epochs && trained.length; epoch++) {
      const order = rng.shuffle(trained.slice());
      for (let i = 0; i < order.length; i += cfg.miniBatchSize) {
        const rows = order.slice(i, i + cfg.miniBatchSize);
        const mb = selectRows(batch, rows);
        const { logprobs } = responseLogprobs(policy, mb, rng);
        const l = grpoLoss({
          logprobs, oldLogprobs: takeRows(old, rows, R), refLogprobs: refLp ? takeRows(refLp, rows.map((r) => refRow.get(r)!), R) : null,
          advantages: Float32Array.from(rows, (r) => advantages[r]), mask: mb.responseMask, B: mb.B, R, clipRange: cfg.clipRange, beta: cfg.klCoef,
        });
        l.loss.backward();
        const gn = clipGradNorm(params, o.maxGradNorm > 0 ? o.maxGradNorm : Infinity);
        if (!Number.isFinite(gn) || !Number.isFinite(l.metrics.loss)) throw new TrainingDiverged(it + 1, 'the GRPO loss or gradient stopped being finite', lastCheckpoint);
        opt.update(o.lr);
        for (const p of params) p.grad = null;
        for (const [k, v] of Object.entries(l.metrics)) sums[k as keyof typeof sums] += v;
        steps++;
      }
    }
    policy.eval();
    const trainS = (performance.now() - t) / 1000;
    time.generate += generateS;
    time.train += trainS;
    let informative = 0;
    for (let g = 0; g < B; g += G) if (!uniform(g)) informative++;
    const record: GrpoIterationRecord = {
      step: it + 1, reward: rewards.reduce((a, r) => a + r, 0) / B, exactMatch: judged.filter((j) => j.exact).length / B,
      informativeGroups: informative / (B / G), responseLength: batch.responseMask.reduce((a, m) => a + m, 0) / B,
      loss: steps ? sums.loss / steps : 0, kl: steps ? sums.kl / steps : 0, clipFrac: steps ? sums.clipFrac / steps : 0, generateS, trainS,
    };
    metrics.write({ ...record });
    first ??= record;
    last = record;
    const done = it + 1;
    if (done % cfg.saveEvery === 0 || done === cfg.iterations) {
      const st: TrainerState = { step: done, tokens: 0, rng: rng.state(), data: stream.state(), seconds: (state?.seconds ?? 0) + (performance.now() - t0) / 1000 };
      lastCheckpoint = saveCheckpoint(cfg.out, st, trainable, opt, (dir) => (lora ? lora.save(dir, cfg.policy) : policy.save(dir)), cfg.keepLast);
    }
    bar?.tick(1, { reward: record.reward.toFixed(3), exact: record.exactMatch.toFixed(3), kl: record.kl.toFixed(4) });
  }
  bar?.finish();

  const modelDir = join(cfg.out, 'model');
  if (lora) {
    lora.save(join(cfg.out, 'adapter'), cfg.policy);
    lora.merge();
  }
  policy.save(modelDir);
  copyTokenizer(tokDir, modelDir);
  const accuracy = await score('GRPO');
  const summary: GrpoSummary = {
    iterations: cfg.iterations, seconds: (performance.now() - t0) / 1000, generateS: time.generate, trainS: time.train,
    first, last, sftAccuracy, accuracy, model: modelDir, resumedFrom: state ? state.step : null,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

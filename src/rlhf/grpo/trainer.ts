// `rlhf grpo`: GRPO on instruction prompts whose answers a program can check. Each iteration
// samples groupSize responses for each of promptsPerIteration prompts with the KV cache, rewards
// them with the checker (exact match with the gold answer), standardises rewards within each group,
// and takes clipped-surrogate steps with a k3 KL penalty to the reference (loss.ts). No reward model
// and no critic. Greedy exact-match accuracy of the SFT and the final policy is measured on held-out
// prompts. The iterations run on the training loop (src/train/loop.ts), one step each.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import { hashString32 } from '../../data/hash.js';
import type { InstructionGold } from '../../data/default/labelers.js';
import { isCorrect } from '../../data/default/labelers.js';
import { loadPretrained, loadWeights } from '../../models/index.js';
import { loadTokenizer, padId, stopIds } from '../../tokenizer/index.js';
import { exactMatch, exactMatchAccuracy, loadGoldPrompts, type AccuracyReport } from '../../train/accuracy.js';
import { LOOP_DEFAULTS, type LoopConfig } from '../../train/config.js';
import { LoraModel } from '../../train/lora.js';
import { train, type StepContext } from '../../train/loop.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { joinBatch, responseLogprobs, selectRows, takeRows } from '../core/batch.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from '../core/prompts.js';
import { loraReference, modelReference, type Reference } from '../core/reference.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream, type Stream, type StreamState } from '../core/stream.js';
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

/** GRPO's keys as the loop's settings: one step per iteration at a constant learning rate. */
export function grpoLoopConfig(cfg: GrpoConfig): LoopConfig {
  const o = cfg.optim;
  return {
    ...LOOP_DEFAULTS, steps: cfg.iterations, batchSize: cfg.promptsPerIteration * cfg.groupSize, gradAccum: 1, lr: o.lr, schedule: 'constant', warmupSteps: 0,
    minLrRatio: 1, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, maxGradNorm: o.maxGradNorm,
    evalEvery: 0, evalBatches: 0, saveEvery: cfg.saveEvery, keepLast: cfg.keepLast, logEvery: 1, seed: cfg.seed, emaDecay: 0,
  };
}

export async function grpo(cfg: GrpoConfig, { resume = false, quiet = false } = {}): Promise<GrpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const policy = await loadPretrained(cfg.policy);
  const stops = stopIds(tok, policy.generationConfig.eosTokenId ?? policy.config.eosTokenId);
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
  log(`grpo: ${prompts.length} checkable prompts, ${cfg.iterations} iterations of ${cfg.promptsPerIteration} prompts × ${cfg.groupSize} samples`);
  const reward = (p: PolicyPrompt, tokens: number[]): { reward: number; exact: boolean } => {
    const gold = p.gold as InstructionGold, text = responseText(tok, tokens);
    const exact = exactMatch(text, gold.answer);
    return { reward: (exact ? cfg.reward.exact : 0) + (cfg.reward.correct > 0 && isCorrect(gold, text) ? cfg.reward.correct : 0), exact };
  };

  const G = cfg.groupSize;
  const time = { generate: 0, train: 0 };
  let first: GrpoIterationRecord | null = null, last: GrpoIterationRecord | null = null;
  let stream: Stream<PolicyPrompt> | null = null;
  const exactLogprobs = cfg.rollout.temperature === 1 && cfg.rollout.topK === 0 && cfg.rollout.dtype === 'f32';

  const step = async (ctx: StepContext): Promise<GrpoIterationRecord> => {
    const group = stream!.next().flatMap((p) => Array<PolicyPrompt>(G).fill(p));
    let t = performance.now();
    const samples = await sampleResponses(policy, group.map((p) => p.ids), {
      maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, stopTokenIds: stops,
      seed: hashString32(`grpo-rollout:${ctx.step}`, cfg.seed), chunk: group.length, dtype: cfg.rollout.dtype,
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
    let updates = 0;
    const uniform = (row: number): boolean => { const g = row - (row % G); return rewards.subarray(g, g + G).every((r) => r === rewards[g]); };
    const trained = [...Array(B).keys()].filter((row) => !cfg.skipUniformGroups || !uniform(row));
    // Reference log-probs of the trained rows only, in `trained` order.
    const refLp = ref && trained.length ? ref.logprobs(selectRows(batch, trained)) : null;
    const refRow = new Map(trained.map((row, i) => [row, i]));
    for (let epoch = 0; epoch < cfg.epochs && trained.length; epoch++) {
      const order = ctx.rng.shuffle(trained.slice());
      for (let i = 0; i < order.length; i += cfg.miniBatchSize) {
        const rows = order.slice(i, i + cfg.miniBatchSize);
        const mb = selectRows(batch, rows);
        const { logprobs } = responseLogprobs(policy, mb, ctx.rng);
        const l = grpoLoss({
          logprobs, oldLogprobs: takeRows(old, rows, R), refLogprobs: refLp ? takeRows(refLp, rows.map((r) => refRow.get(r)!), R) : null,
          advantages: Float32Array.from(rows, (r) => advantages[r]), mask: mb.responseMask, B: mb.B, R, clipRange: cfg.clipRange, beta: cfg.klCoef,
        });
        l.loss.backward();
        ctx.update({ 'GRPO loss': l.metrics.loss });
        for (const [k, v] of Object.entries(l.metrics)) sums[k as keyof typeof sums] += v;
        updates++;
      }
    }
    const trainS = (performance.now() - t) / 1000;
    time.generate += generateS;
    time.train += trainS;
    let informative = 0;
    for (let g = 0; g < B; g += G) if (!uniform(g)) informative++;
    return {
      step: ctx.step + 1, reward: rewards.reduce((a, r) => a + r, 0) / B, exactMatch: judged.filter((j) => j.exact).length / B,
      informativeGroups: informative / (B / G), responseLength: batch.responseMask.reduce((a, m) => a + m, 0) / B,
      loss: updates ? sums.loss / updates : 0, kl: updates ? sums.kl / updates : 0, clipFrac: updates ? sums.clipFrac / updates : 0, generateS, trainS,
    };
  };

  const result = await train({
    label: 'grpo',
    runDir: cfg.out,
    config: grpoLoopConfig(cfg),
    params: lora ? lora.parameters() : policy.namedParameters(),
    modules: [policy],
    saveWeights: (dir) => (lora ? lora.save(dir, cfg.policy) : policy.save(dir)),
    loadWeights: (dir) => (lora ? lora.loadWeights(dir) : loadWeights(policy, dir)),
    unit: 'it',
    rngSeed: cfg.seed ^ 0x6290,
    start: (position, rng) => {
      // LoRA's adapter dropout draws from the loop's RNG, which checkpoints carry.
      if (lora) lora.rng = rng;
      stream = shuffledStream(prompts, cfg.promptsPerIteration, cfg.seed, position as StreamState | undefined, 'grpo prompts');
    },
    position: () => stream!.state(),
    step: async (ctx) => {
      const record = await step(ctx);
      first ??= record;
      last = record;
      const { step: _step, ...metrics } = record;
      return { metrics };
    },
    show: (m) => ({ reward: m.reward.toFixed(3), exact: m.exactMatch.toFixed(3), kl: m.kl.toFixed(4) }),
  }, { resume, quiet });

  saveFinalModel(cfg.out, policy, lora, cfg.policy, tokDir);
  const modelDir = join(cfg.out, 'model');
  const accuracy = await score('GRPO');
  const summary: GrpoSummary = {
    iterations: cfg.iterations, seconds: result.seconds, generateS: time.generate, trainS: time.train,
    first, last, sftAccuracy, accuracy, model: modelDir, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

// `rlhf grpo`: GRPO on prompts whose responses a program scores. Each iteration samples groupSize
// responses for each of promptsPerIteration prompts with the KV cache (core/online.ts rollout),
// rewards them with the answer checker of the default instruction tasks (exact match with the gold
// answer, plus partial credit) or a reward-function plug-in, standardises rewards within each group,
// and takes clipped-surrogate steps with a k3 KL penalty to the reference (loss.ts). No reward model
// and no critic. DAPO's options: clip-higher (clipHigh), token-level aggregation (lossAggregation),
// and dynamic sampling (dynamic.ts: refill the batch with groups whose rewards differ). Greedy
// exact-match accuracy of the SFT and the final policy is measured on held-out prompts. The
// iterations run on the training loop (src/train/loop.ts), one step each. Data-parallel
// (docs/distributed.md): each rank samples its share of every rollout's prompts (whole groups, so
// advantages need nothing from the other ranks) and fills its share of the batch.
import { join } from 'node:path';
import { hashString32 } from '../../data/hash.js';
import { allReduceNumbers } from '../../distributed/communicator.js';
import { shareSize } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { loadPretrained, loadWeights } from '../../models/index.js';
import { loadTokenizer, padId, stopIds } from '../../tokenizer/index.js';
import { exactMatch, exactMatchAccuracy, loadGoldPrompts, type AccuracyReport } from '../../train/accuracy.js';
import { LOOP_DEFAULTS, type LoopConfig } from '../../train/config.js';
import { LoraModel } from '../../train/lora.js';
import { train, type StepContext } from '../../train/loop.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { concatRollouts, policyUpdate, rollout, type Rollout } from '../core/online.js';
import type { OnlineTrainSetup } from '../core/online-run.js';
import { perToken } from '../core/pg-loss.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from '../core/prompts.js';
import { loraReference, modelReference, type Reference } from '../core/reference.js';
import { shuffledStream, type Stream, type StreamState } from '../core/stream.js';
import { loadRewardFn } from '../reward/plugin.js';
import { checkerSource, rewardFnSource } from '../reward/source.js';
import type { GrpoConfig } from './config.js';
import { fillInformative, informativeGroups } from './dynamic.js';
import { groupAdvantages } from './loss.js';

export interface GrpoIterationRecord {
  step: number;
  /** Mean reward over every response sampled this iteration (all rollouts). */
  reward: number;
  /** Share of those responses that exactly match their prompt's gold answer (NaN without gold). */
  exactMatch: number;
  /** Share of the first rollout's groups whose rewards differ (the others carry no signal). */
  informativeGroups: number;
  /** Rollouts drawn (1 + DAPO's extra ones), and groups trained on. */
  rollouts: number;
  trainedGroups: number;
  responseLength: number;
  loss: number;
  kl: number;
  clipFrac: number;
  /** Seconds sampling and scoring the rollouts (old and reference log-probs included), and training. */
  generateS: number;
  trainS: number;
}

export interface GrpoSummary {
  iterations: number;
  seconds: number;
  generateS: number;
  trainS: number;
  /** What scored the responses: "answer checker" or "reward function FILE". */
  reward: string;
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
    evalEvery: 0, evalBatches: 0, saveEvery: cfg.saveEvery, keepLast: cfg.keepLast, logEvery: 1, seed: cfg.seed, emaDecay: 0, zero: o.zero,
  };
}

/** The share of responses that exactly match the gold answer of their (instruction) prompt. */
function exactMatchShare(prompts: PolicyPrompt[], responses: string[]): { exactMatch: number } {
  let hit = 0, n = 0;
  prompts.forEach((p, i) => {
    if (p.gold?.kind !== 'instruction') return;
    n++;
    if (exactMatch(responses[i], p.gold.answer)) hit++;
  });
  return { exactMatch: n ? hit / n : NaN };
}

/** The policy, its reference and reward, and the prompts (scores are used raw: GRPO standardises
 * them per group). */
export type GrpoSetup = Omit<OnlineTrainSetup, 'normalization'>;

/** GRPO's iterations on models in memory (grpo() loads them from disk). */
export async function trainGrpo(s: GrpoSetup, cfg: GrpoConfig, { resume = false, quiet = false } = {}): Promise<{ records: GrpoIterationRecord[]; seconds: number; generateS: number; trainS: number; resumedFrom: number | null }> {
  const G = cfg.groupSize;
  const comm = world();
  // This rank's prompts of each rollout: the informative groups it fills, and its figures' weight.
  const share = shareSize(cfg.promptsPerIteration, comm, 'grpo: promptsPerIteration');
  const anyShort = (short: boolean): boolean => allReduceNumbers(comm, [short ? 1 : 0], 'max')[0] > 0;
  const records: GrpoIterationRecord[] = [];
  const time = { generateS: 0, trainS: 0 };
  let stream: Stream<PolicyPrompt> | null = null;

  const step = async (ctx: StepContext): Promise<GrpoIterationRecord> => {
    const drawn: Rollout[] = [];
    const draw = async (round: number) => {
      const r = await rollout(s, stream!.next(), {
        samplesPerPrompt: G, maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK, dtype: cfg.rollout.dtype,
        seed: hashString32(round ? `grpo-rollout:${ctx.step}:${round}` : `grpo-rollout:${ctx.step}`, cfg.seed),
      });
      drawn.push(r);
      return { groups: Array.from({ length: r.batch.B / G }, (_, g) => ({ r, g })), rewards: r.scores };
    };
    let batch: Rollout | null;
    if (cfg.dynamicSampling.enabled) {
      const filled = await fillInformative(draw, share, G, cfg.dynamicSampling.maxExtraRollouts, comm.size > 1 ? anyShort : undefined);
      const parts = drawn.map((r) => ({ r, rows: filled.groups.filter((x) => x.r === r).flatMap(({ g }) => Array.from({ length: G }, (_, j) => g * G + j)) })).filter((p) => p.rows.length);
      batch = parts.length ? concatRollouts(parts, s.padId) : null;
    } else {
      await draw(0);
      const r = drawn[0];
      const keep = cfg.skipUniformGroups ? informativeGroups(r.scores, G) : Array.from({ length: r.batch.B / G }, (_, g) => g);
      batch = keep.length ? concatRollouts([{ r, rows: keep.flatMap((g) => Array.from({ length: G }, (_, j) => g * G + j)) }], s.padId) : null;
    }
    const t = performance.now();
    // Every rank joins the update, those without informative groups too.
    const upd = policyUpdate(s.policy, batch, batch ? perToken(groupAdvantages(batch.scores, G), batch.batch.R) : new Float32Array(0), batch ? [...Array(batch.batch.B).keys()] : [], {
      epochs: cfg.epochs, miniBatchSize: cfg.miniBatchSize, clipLow: cfg.clipRange, clipHigh: cfg.clipHigh || cfg.clipRange,
      aggregation: cfg.lossAggregation, lossKlCoef: cfg.klCoef,
    }, ctx);
    const trainS = (performance.now() - t) / 1000;
    const generateS = drawn.reduce((a, r) => a + r.generateS + r.scoreS, 0);
    time.generateS += generateS;
    time.trainS += trainS;
    const all = drawn.flatMap((r) => [...r.scores]), exact = drawn.map((r) => r.watched.exactMatch).filter(Number.isFinite);
    const lengths = drawn.flatMap((r) => r.samples.responses.map((x) => x.length));
    return {
      step: ctx.step + 1, reward: all.reduce((a, x) => a + x, 0) / all.length, exactMatch: exact.length ? exact.reduce((a, x) => a + x, 0) / exact.length : NaN,
      informativeGroups: informativeGroups(drawn[0].scores, G).length / (drawn[0].batch.B / G), rollouts: drawn.length, trainedGroups: batch ? batch.batch.B / G : 0,
      responseLength: lengths.reduce((a, x) => a + x, 0) / lengths.length, loss: upd.loss, kl: upd.lossKl, clipFrac: upd.clipFrac, generateS, trainS,
    };
  };

  const result = await train({
    label: 'grpo',
    runDir: cfg.out,
    config: grpoLoopConfig(cfg),
    params: s.params,
    modules: [s.policy],
    saveWeights: s.saveWeights,
    loadWeights: s.loadWeights,
    unit: 'it',
    rngSeed: cfg.seed ^ 0x6290,
    start: (position, rng) => {
      s.useRng?.(rng);
      stream = shuffledStream(s.prompts, cfg.promptsPerIteration, cfg.seed, position as StreamState | undefined, 'grpo prompts');
    },
    position: () => stream!.state(),
    step: async (ctx) => {
      const record = await step(ctx);
      records.push(record);
      const { step: _step, ...metrics } = record;
      return { metrics, weight: share };
    },
    show: (m) => ({ reward: m.reward.toFixed(3), ...(Number.isFinite(m.exactMatch) ? { exact: m.exactMatch.toFixed(3) } : {}), kl: m.kl.toFixed(4) }),
  }, { resume, quiet });
  return { records, seconds: result.seconds, ...time, resumedFrom: result.resumedFrom };
}

export async function grpo(cfg: GrpoConfig, { resume = false, quiet = false } = {}): Promise<GrpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (line: string): void => { if (!quiet) console.log(line); };
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const policy = await loadPretrained(cfg.policy);
  // Held-out accuracy is rank 0's to measure.
  const evalPrompts = cfg.eval.prompts && world().rank === 0 ? await loadGoldPrompts(cfg.eval.prompts, cfg.eval.limit) : [];
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
  // The checker needs instruction prompts with gold answers; a reward function takes any prompt.
  const all = await loadPolicyPrompts(cfg.data.prompts, tok, cfg.data.maxPromptLen);
  const prompts = cfg.rewardFn ? all : all.filter((p) => p.gold?.kind === 'instruction');
  if (!prompts.length) throw new Error(`${cfg.data.prompts}: no instruction prompts with gold answers to check (or give rewardFn)`);
  const reward = cfg.rewardFn ? rewardFnSource(await loadRewardFn(cfg.rewardFn), tok) : checkerSource(tok, cfg.reward);
  log(`grpo: ${prompts.length} prompts scored by the ${reward.name}, ${cfg.iterations} iterations of ${cfg.promptsPerIteration} prompts × ${cfg.groupSize} samples`);

  const result = await trainGrpo({
    policy, ref, reward, padId: pad, stopIds: stopIds(tok, policy.generationConfig.eosTokenId ?? policy.config.eosTokenId),
    watch: (ps, responses) => exactMatchShare(ps, responses.map((x) => responseText(tok, x))),
    params: lora ? lora.parameters() : policy.namedParameters(),
    saveWeights: (dir) => (lora ? lora.save(dir, cfg.policy) : policy.save(dir)),
    loadWeights: (dir) => (lora ? lora.loadWeights(dir) : loadWeights(policy, dir)),
    useRng: lora ? (rng) => { lora.rng = rng; } : undefined,
    prompts,
  }, cfg, { resume, quiet });

  saveFinalModel(cfg.out, policy, lora, cfg.policy, tokDir);
  const accuracy = await score('GRPO');
  const r = result.records;
  const summary: GrpoSummary = {
    iterations: cfg.iterations, seconds: result.seconds, generateS: result.generateS, trainS: result.trainS, reward: reward.name,
    first: r[0] ?? null, last: r[r.length - 1] ?? null, sftAccuracy, accuracy, model: join(cfg.out, 'model'), resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

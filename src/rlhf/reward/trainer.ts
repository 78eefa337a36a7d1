// `rlhf reward`: the reward model of InstructGPT's step 2. The SFT model's body gets a scalar head
// read at the last real token (the end-of-turn token of the response); it learns the labelers'
// rankings with the pairwise loss of loss.ts, is scored by pairwise accuracy on held-out rankings,
// and finally measures its own reward scale under the SFT policy (normalization.ts).
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import { loadPretrained, loadScalarModel, loadWeights } from '../../models/index.js';
import { loadTokenizer, padId, stopIds } from '../../tokenizer/index.js';
import { world } from '../../distributed/world.js';
import { train } from '../../train/loop.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { sequenceScores } from '../core/batch.js';
import { loadPolicyPrompts } from '../core/prompts.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream } from '../core/stream.js';
import type { RewardConfig } from './config.js';
import { collateRankings, loadRankings, type RankingExample } from './data.js';
import { rewardPairLoss } from './loss.js';
import { meanStd, writeRewardNormalization, type RewardNormalization } from './normalization.js';
import { scorePairs } from './score.js';

export interface RewardSummary {
  examples: number;
  dropped: number;
  valExamples: number;
  steps: number;
  seconds: number;
  /** Training loss and pair accuracy over the last logging window. */
  trainLoss: number;
  trainAccuracy: number;
  /** Held-out pairwise accuracy on the first data.val file (null without data.val). */
  accuracy: number | null;
  valPairs: number;
  /** Accuracy on each data.val file. */
  valSets: { file: string; accuracy: number; pairs: number }[];
  normalization: RewardNormalization | null;
  model: string;
  resumedFrom: number | null;
}

/** Pairwise accuracy of `rm` over examples (ties count half). */
export function pairwiseAccuracy(rm: Parameters<typeof sequenceScores>[0], examples: readonly RankingExample[], pad: number, batchSize: number): { accuracy: number; pairs: number } {
  let correct = 0, pairs = 0;
  noGrad(() => {
    for (let i = 0; i < examples.length; i += batchSize) {
      const { batch, pairs: p } = collateRankings(examples.slice(i, i + batchSize), pad);
      const { metrics } = rewardPairLoss(sequenceScores(rm, batch), p);
      correct += metrics.accuracy * p.winners.length;
      pairs += p.winners.length;
    }
  });
  return { accuracy: pairs ? correct / pairs : NaN, pairs };
}

export async function trainRewardModel(cfg: RewardConfig, { resume = false, quiet = false } = {}): Promise<RewardSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const tokDir = cfg.tokenizer || cfg.model;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const rm = await loadScalarModel(cfg.model, { seed: cfg.train.seed });
  const rankings = await loadRankings(cfg.data.train, tok, cfg.data.maxLen);
  const valFiles = cfg.data.val.split(',').map((f) => f.trim()).filter(Boolean);
  const valSets = await Promise.all(valFiles.map(async (file) => ({ file, examples: (await loadRankings(file, tok, cfg.data.maxLen)).examples })));
  const val = valSets[0]?.examples ?? [];
  log(`reward model: ${rankings.examples.length} training rankings (${rankings.dropped} longer than ${cfg.data.maxLen} tokens dropped), ${valSets.map((v) => v.examples.length).join(' + ') || 0} held out`);

  const evalBatch = Math.max(1, cfg.train.batchSize * 2);
  const result = await train<RankingExample[]>({
    label: 'reward',
    runDir: cfg.out,
    config: cfg.train,
    params: rm.namedParameters(),
    modules: [rm],
    saveWeights: (dir) => rm.save(dir),
    loadWeights: (dir) => loadWeights(rm, dir),
    batches: (position) => shuffledStream(rankings.examples, cfg.train.batchSize, cfg.train.seed, position, 'reward'),
    loss: (examples, rng) => {
      const { batch, pairs } = collateRankings(examples, pad);
      const { loss, metrics } = rewardPairLoss(sequenceScores(rm, batch, rng), pairs);
      return { loss, metrics: { ...metrics } };
    },
    // Mid-run evaluations may look at the first evalBatches batches only; the final one sees all.
    evaluate: val.length ? () => {
      const r = pairwiseAccuracy(rm, cfg.train.evalBatches ? val.slice(0, cfg.train.evalBatches * evalBatch) : val, pad, evalBatch);
      return { eval_accuracy: r.accuracy, eval_pairs: r.pairs };
    } : undefined,
  }, { resume, quiet });

  saveFinalModel(cfg.out, rm, null, '', tokDir, result.ema);
  const modelDir = join(cfg.out, 'model');
  // The held-out scores and the reward's scale are rank 0's to measure and write.
  const root = world().rank === 0;
  const last = result.eval ? { accuracy: result.eval.eval_accuracy, pairs: result.eval.eval_pairs } : null;
  const perSet = !root ? [] : valSets.map((v, i) => ({ file: v.file, ...(i === 0 && last && !cfg.train.evalBatches ? last : pairwiseAccuracy(rm, v.examples, pad, evalBatch)) }));
  for (const v of perSet) log(`reward model: held-out pairwise accuracy ${(100 * v.accuracy).toFixed(1)}% over ${v.pairs} pairs of ${v.file}`);

  let normalization: RewardNormalization | null = null;
  if (cfg.normalization.prompts && root) {
    const n = cfg.normalization;
    const policy = await loadPretrained(cfg.model);
    const prompts = (await loadPolicyPrompts(n.prompts, tok, cfg.data.maxLen, n.samples)).map((p) => p.ids);
    const s = await sampleResponses(policy, prompts, { maxNewTokens: n.maxNewTokens, temperature: n.temperature, topK: 0, stopTokenIds: stopIds(tok, policy.generationConfig.eosTokenId ?? policy.config.eosTokenId), seed: cfg.train.seed, chunk: 32 });
    const { mean, std } = meanStd(scorePairs(rm, prompts, s.responses, pad));
    normalization = { mean, std: Math.max(std, 1e-6), samples: prompts.length, policy: cfg.model };
    writeRewardNormalization(modelDir, normalization);
    log(`reward model: score under the SFT policy ${mean.toFixed(3)} ± ${std.toFixed(3)} (${prompts.length} samples)`);
  }

  const summary: RewardSummary = {
    examples: rankings.examples.length, dropped: rankings.dropped, valExamples: val.length, steps: result.steps, seconds: result.seconds,
    trainLoss: result.train.loss ?? NaN, trainAccuracy: result.train.accuracy ?? NaN,
    accuracy: perSet[0]?.accuracy ?? null, valPairs: perSet[0]?.pairs ?? 0, valSets: perSet, normalization, model: modelDir, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

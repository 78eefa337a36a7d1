// The RLHF stages before the policies, and the report card, each a thin adapter from the pipeline
// config and the run folder to a library call (stages.ts's stages end with sft/model; these append,
// then policy-stages.ts's policies, then the report):
//   rankings   K samples of the SFT policy per prompt of each kind, ranked by the gold labeler  rankings/
//   reward     reward model on the default and the sampled rankings, normalised under SFT      reward/model/
//   best_of_n  the SFT side of every held-out comparison (baseline-<kind>.jsonl), SFT's exact
//              match, and best-of-N of SFT on the continuations picked by the gold labeler and
//              by the reward model: the frontier the policies are read against                   best_of_n/
//   report     the report card: report.md, report.html (inline SVG plots), report.json         report/
import { join } from 'node:path';
import { writeJsonl } from '../data/jsonl.js';
import type { RankingRecord } from '../data/formats.js';
import { loadPretrained, loadScalarModel } from '../models/index.js';
import { loadTokenizer, padId } from '../tokenizer/index.js';
import { bestOfN, type BestOfNPoint } from '../rlhf/bestofn.js';
import { loadPolicyPrompts } from '../rlhf/core/prompts.js';
import { rankPolicySamples } from '../rlhf/reward/sampled.js';
import { trainRewardModel } from '../rlhf/reward/trainer.js';
import { rewardModelSource } from '../rlhf/reward/source.js';
import { KINDS, heldOutAccuracy, heldOutFile, loadHeldOut, sampleBaseline } from './evaluate.js';
import { writeReport } from './report/card.js';
import type { RlhfStagesConfig } from './rlhf-config.js';
import type { Stage } from './stage.js';

const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-');
const num = (x: unknown, d = 2): string => (typeof x === 'number' ? x.toFixed(d) : '-');

/** The sampled-rankings files the rankings stage writes, by split and kind. */
export const sampledFile = (dir: string, split: 'train' | 'val', kind: string): string => join(dir, `${split === 'train' ? 'sampled' : 'sampled_val'}-${kind}.jsonl`);

export const RLHF_STAGES: Stage<RlhfStagesConfig>[] = [
  {
    name: 'rankings',
    summary: 'sample K responses per prompt of each kind from the SFT policy and rank them with the gold labeler',
    inputs: ['data', 'sft'],
    config: (p) => ({ ...p.rankings, maxNewTokens: p.ppo.rollout.maxNewTokens, maxPromptLen: p.maxPromptLen, split: p.evaluation.split }),
    run: async (ctx, p) => {
      const r = p.rankings, modelDir = join(ctx.dirs.sft, 'model');
      const tok = loadTokenizer(modelDir), policy = await loadPretrained(modelDir);
      const o = { k: r.k, maxNewTokens: p.ppo.rollout.maxNewTokens, temperature: r.temperature };
      const counts: Record<string, number> = {};
      const all: RankingRecord[] = [];
      for (const kind of KINDS) {
        const train = await rankPolicySamples(policy, tok, (await loadPolicyPrompts(join(ctx.dirs.data, `prompts-${kind}.jsonl`), tok, p.maxPromptLen, r.prompts)), { ...o, seed: r.seed });
        const val = await rankPolicySamples(policy, tok, (await loadPolicyPrompts(heldOutFile(ctx.dirs.data, p, kind), tok, p.maxPromptLen, r.valPrompts)), { ...o, seed: r.valSeed });
        counts[`${kind}Train`] = writeJsonl(sampledFile(ctx.dir, 'train', kind), train);
        counts[`${kind}Val`] = writeJsonl(sampledFile(ctx.dir, 'val', kind), val);
        all.push(...train);
      }
      counts.train = writeJsonl(join(ctx.dir, 'sampled.jsonl'), all);
      return counts;
    },
    report: (r) => [`${r.continuationTrain} + ${r.instructionTrain} training and ${r.continuationVal} + ${r.instructionVal} held-out rankings of SFT samples (continuation + instruction)`],
  },
  {
    name: 'reward',
    summary: 'reward model from the SFT model on the default and the sampled rankings; held-out pairwise accuracy',
    inputs: ['data', 'sft', 'rankings'],
    config: (p) => ({ ...p.reward, maxNewTokens: p.ppo.rollout.maxNewTokens, temperature: p.ppo.rollout.temperature, maxPromptLen: p.maxPromptLen }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data, sampled = ctx.results.rankings as Record<string, number>;
      // Sampled rankings join only when there are some (a tiny run can rank nothing but ties); the
      // held-out sets are measured one by one: the default rankings first (rm_accuracy), then the
      // SFT policy's own samples per kind (the pairs PPO's reward depends on).
      const val = [join(data, 'rankings_val.jsonl'), ...KINDS.filter((k) => sampled[`${k}Val`] > 0).map((k) => sampledFile(ctx.dirs.rankings, 'val', k))];
      const s = await trainRewardModel({
        out: ctx.dir, model: join(ctx.dirs.sft, 'model'), tokenizer: '',
        data: {
          train: [join(data, 'rankings.jsonl'), ...(sampled.train > 0 ? [join(ctx.dirs.rankings, 'sampled.jsonl')] : [])].join(','),
          val: val.join(','), maxLen: p.reward.maxLen,
        },
        train: p.reward.train,
        normalization: {
          prompts: join(data, 'prompts-continuation.jsonl'), samples: p.reward.normalizationSamples, maxNewTokens: p.ppo.rollout.maxNewTokens, temperature: p.ppo.rollout.temperature,
        },
      }, { resume: ctx.resume, quiet: ctx.quiet });
      const ofKind = (kind: string): { accuracy: number; pairs: number } | undefined => s.valSets.find((v) => v.file === sampledFile(ctx.dirs.rankings, 'val', kind));
      return {
        accuracy: s.accuracy, pairs: s.valPairs,
        policyAccuracy: ofKind('continuation')?.accuracy, policyPairs: ofKind('continuation')?.pairs,
        policyAccuracyInstructions: ofKind('instruction')?.accuracy, policyPairsInstructions: ofKind('instruction')?.pairs,
        trainLoss: s.trainLoss, trainAccuracy: s.trainAccuracy, scoreMean: s.normalization?.mean, scoreStd: s.normalization?.std, model: s.model,
      };
    },
    report: (r) => [
      `held-out pairwise accuracy ${pct(r.accuracy)} over ${r.pairs} pairs; on SFT samples ${pct(r.policyAccuracy)} over ${r.policyPairs} continuation pairs, ${pct(r.policyAccuracyInstructions)} over ${r.policyPairsInstructions} instruction pairs`,
    ],
  },
  {
    name: 'best_of_n',
    summary: 'the SFT side of every held-out comparison, and best-of-N SFT continuations picked by the gold labeler and by the reward model',
    inputs: ['data', 'sft', 'reward'],
    config: (p) => ({ bestOfN: p.bestOfN, evaluation: p.evaluation, maxPromptLen: p.maxPromptLen }),
    run: async (ctx, p) => {
      const modelDir = join(ctx.dirs.sft, 'model'), tok = loadTokenizer(modelDir), sft = await loadPretrained(modelDir);
      const baselines: Record<string, { gold: number }[]> = {};
      for (const kind of KINDS) baselines[kind] = await sampleBaseline(sft, tok, await loadHeldOut(ctx.dirs.data, tok, p, kind), p, join(ctx.dir, `baseline-${kind}.jsonl`));
      const prompts = await loadHeldOut(ctx.dirs.data, tok, p, 'continuation');
      const judge = rewardModelSource(await loadScalarModel(join(ctx.dirs.reward, 'model')), padId(tok));
      const e = p.evaluation;
      const { curve, ceiling } = await bestOfN(sft, judge, tok, prompts, baselines.continuation.map((b) => b.gold), {
        n: p.bestOfN.n, maxNewTokens: e.maxNewTokens, temperature: e.temperature, seed: e.baselineSeed,
      });
      const top = curve[curve.length - 1];
      const mean = (xs: { gold: number }[]): number => xs.reduce((a, b) => a + b.gold, 0) / Math.max(1, xs.length);
      return {
        n: top.n, kl: top.kl, goldWinRate: top.goldWinRate, rewardWinRate: top.rewardWinRate, goldGain: top.goldGain, rewardGain: top.rewardGain, ceiling,
        prompts: prompts.length, curve, sftGold: { continuation: mean(baselines.continuation), instruction: mean(baselines.instruction) },
        sftAccuracy: await heldOutAccuracy(sft, tok, ctx.dirs.data, p),
      };
    },
    report: (r) => [`best of ${r.n} SFT continuations (KL ≤ ${num(r.kl)} nats) wins ${pct(r.goldWinRate)} (gold +${num(r.goldGain)}) picked by the gold labeler, ${pct(r.rewardWinRate)} (gold ${num(r.rewardGain)}) by the reward model; a perfect policy ${pct(r.ceiling)}; SFT exact match ${pct(r.sftAccuracy)}`],
  },
];

/** Best-of-N by gold as a frontier of (KL, gold gain) points, from N = 1 at the origin. */
export function goldFrontier(result: Record<string, unknown> | undefined): { kl: number; gain: number }[] {
  const curve = (result?.curve as BestOfNPoint[] | undefined) ?? [];
  return [{ kl: 0, gain: 0 }, ...curve.filter((c) => c.n > 1).map((c) => ({ kl: c.kl, gain: c.goldGain }))];
}

export const REPORT_STAGE: Stage<RlhfStagesConfig> = {
  name: 'report',
  summary: 'the report card: figures, plots and sample generations',
  inputs: ['pretrain', 'sft'],
  config: (p) => p.report,
  always: true,
  run: async (ctx, p) => {
    const card = writeReport(ctx.runDir, ctx.dir, { samples: p.report.samples });
    return { ...card.figures, html: join(ctx.dir, 'report.html') };
  },
  report: (r) => [`report card → ${String(r.html)} (report.md, report.json beside it)`],
};

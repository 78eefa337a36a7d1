// The RLHF stages of the pipeline, each a thin adapter from the pipeline config and the run folder
// to a library call (stages.ts's stages end with sft/model; these append):
//   rankings K samples of the SFT policy per prompt, ranked by the gold labeler           rankings/
//   reward   reward model on both sets of rankings, normalised under the SFT policy       reward/model/
//   best_of_n  the best of N SFT samples, picked by the gold labeler or the reward model,
//            against SFT: the yardstick of the win rates below                              best_of_n/
//   ppo      PPO against the reward model; win rate and KL vs SFT on held-out prompts      ppo/model/
//   dpo      DPO on the best-vs-worst preference pairs; win rate vs SFT                   dpo/model/
//   grpo     GRPO on the checkable instruction prompts; exact match vs SFT                 grpo/model/
//   report   the report card: report.md, report.html (inline SVG plots), report.json       report/
import { join } from 'node:path';
import { writeJsonl } from '../data/jsonl.js';
import { loadPretrained, loadScalarModel } from '../models/index.js';
import { loadTokenizer, padId } from '../tokenizer/index.js';
import { exactMatchAccuracy, loadGoldPrompts } from '../train/accuracy.js';
import { bestOfN } from '../rlhf/bestofn.js';
import { loadPolicyPrompts } from '../rlhf/core/prompts.js';
import { dpo } from '../rlhf/dpo/trainer.js';
import { goldWatch } from '../rlhf/eval.js';
import { grpo } from '../rlhf/grpo/trainer.js';
import { ppo } from '../rlhf/ppo/run.js';
import { rankPolicySamples } from '../rlhf/reward/sampled.js';
import { trainRewardModel } from '../rlhf/reward/trainer.js';
import { rewardModelSource } from '../rlhf/reward/source.js';
import { writeReport } from './report/card.js';
import type { RlhfStagesConfig } from './rlhf-config.js';
import type { Stage } from './stage.js';

const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-');
const num = (x: unknown, d = 2): string => (typeof x === 'number' ? x.toFixed(d) : '-');

/** Greedy exact match of the model in `dir` on the first `limit` held-out instruction prompts. */
async function heldOutAccuracy(dir: string, evalFile: string, p: RlhfStagesConfig): Promise<number> {
  const model = await loadPretrained(dir);
  const r = await exactMatchAccuracy(model, loadTokenizer(dir), await loadGoldPrompts(evalFile, p.evaluation.accuracyPrompts), { maxNewTokens: p.evaluation.maxNewTokens });
  return r.accuracy;
}

const evalSettings = (data: string, p: RlhfStagesConfig) => ({
  prompts: join(data, 'eval.jsonl'), limit: p.evaluation.winRatePrompts, maxNewTokens: p.evaluation.maxNewTokens, temperature: p.evaluation.temperature,
});

export const RLHF_STAGES: Stage<RlhfStagesConfig>[] = [
  {
    name: 'rankings',
    summary: 'sample K responses per prompt from the SFT policy and rank them with the gold labeler',
    inputs: ['data', 'sft'],
    config: (p) => ({ ...p.rankings, maxNewTokens: p.ppo.rollout.maxNewTokens, maxPromptLen: p.maxPromptLen }),
    run: async (ctx, p) => {
      const r = p.rankings, modelDir = join(ctx.dirs.sft, 'model');
      const tok = loadTokenizer(modelDir), policy = await loadPretrained(modelDir);
      const prompts = await loadPolicyPrompts(join(ctx.dirs.data, 'prompts.jsonl'), tok, p.maxPromptLen);
      const o = { k: r.k, maxNewTokens: p.ppo.rollout.maxNewTokens, temperature: r.temperature };
      const train = await rankPolicySamples(policy, tok, prompts.slice(0, r.prompts), { ...o, seed: r.seed });
      const val = await rankPolicySamples(policy, tok, prompts.slice(Math.max(r.prompts, prompts.length - r.valPrompts)), { ...o, seed: r.valSeed });
      return { train: writeJsonl(join(ctx.dir, 'sampled.jsonl'), train), val: writeJsonl(join(ctx.dir, 'sampled_val.jsonl'), val) };
    },
    report: (r) => [`${r.train} training and ${r.val} held-out rankings of SFT samples`],
  },
  {
    name: 'reward',
    summary: 'reward model from the SFT model on the default and the sampled rankings; held-out pairwise accuracy',
    inputs: ['data', 'sft', 'rankings'],
    config: (p) => ({ ...p.reward, maxNewTokens: p.ppo.rollout.maxNewTokens, temperature: p.ppo.rollout.temperature }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data, sampled = ctx.results.rankings as { train: number; val: number };
      // Sampled rankings join only when there are some (a tiny run can rank nothing but ties).
      const files = (file: string, extra: string, n: number): string => (n > 0 ? `${file},${extra}` : file);
      const s = await trainRewardModel({
        out: ctx.dir, model: join(ctx.dirs.sft, 'model'), tokenizer: '',
        data: {
          train: files(join(data, 'rankings.jsonl'), join(ctx.dirs.rankings, 'sampled.jsonl'), sampled.train),
          val: files(join(data, 'rankings_val.jsonl'), join(ctx.dirs.rankings, 'sampled_val.jsonl'), sampled.val), maxLen: p.reward.maxLen,
        },
        train: p.reward.train,
        normalization: {
          prompts: join(data, 'prompts.jsonl'), samples: p.reward.normalizationSamples, maxNewTokens: p.ppo.rollout.maxNewTokens, temperature: p.ppo.rollout.temperature,
        },
      }, { resume: ctx.resume, quiet: ctx.quiet });
      return {
        accuracy: s.accuracy, pairs: s.valPairs, sampledAccuracy: s.valSets[1]?.accuracy, sampledPairs: s.valSets[1]?.pairs,
        trainLoss: s.trainLoss, trainAccuracy: s.trainAccuracy, scoreMean: s.normalization?.mean, scoreStd: s.normalization?.std, model: s.model,
      };
    },
    report: (r) => [`held-out pairwise accuracy ${pct(r.accuracy)} over ${r.pairs} pairs (SFT samples: ${pct(r.sampledAccuracy)} over ${r.sampledPairs}); SFT reward ${num(r.scoreMean)} ± ${num(r.scoreStd)}`],
  },
  {
    name: 'best_of_n',
    summary: 'best-of-N SFT samples on the win-rate prompts, picked by the gold labeler and by the reward model',
    inputs: ['data', 'sft', 'reward'],
    // PPO's seed: the SFT samples met here are the ones PPO's policy meets in its win rate.
    config: (p) => ({ bestOfN: p.bestOfN, evaluation: p.evaluation, seed: p.ppo.seed, maxPromptLen: p.maxPromptLen }),
    run: async (ctx, p) => {
      const modelDir = join(ctx.dirs.sft, 'model'), tok = loadTokenizer(modelDir), e = evalSettings(ctx.dirs.data, p);
      const prompts = await loadPolicyPrompts(e.prompts, tok, p.maxPromptLen, e.limit);
      const judge = rewardModelSource(await loadScalarModel(join(ctx.dirs.reward, 'model')), padId(tok));
      const { curve, ceiling } = await bestOfN(await loadPretrained(modelDir), judge, tok, prompts, {
        n: p.bestOfN.n, maxNewTokens: e.maxNewTokens, temperature: e.temperature, seed: p.ppo.seed,
      });
      const top = curve[curve.length - 1];
      return { n: top.n, kl: top.kl, goldWinRate: top.goldWinRate, rewardWinRate: top.rewardWinRate, passRate: top.passRate, ceiling, prompts: prompts.length, curve };
    },
    report: (r) => [`best of ${r.n} SFT samples (KL ≤ ${num(r.kl)} nats) wins ${pct(r.goldWinRate)} vs SFT picked by the gold labeler, ${pct(r.rewardWinRate)} picked by the reward model; a perfect policy ${pct(r.ceiling)}`],
  },
  {
    name: 'ppo',
    summary: 'PPO against the reward model (actor, critic, frozen reference and reward model); win rate vs SFT',
    inputs: ['data', 'pack', 'sft', 'reward'],
    config: (p) => ({ ppo: p.ppo, evaluation: p.evaluation, maxPromptLen: p.maxPromptLen }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data;
      const s = await ppo({
        ...p.ppo, out: ctx.dir, policy: join(ctx.dirs.sft, 'model'), reward: join(ctx.dirs.reward, 'model'), tokenizer: '',
        data: { prompts: join(data, 'prompts.jsonl'), maxPromptLen: p.maxPromptLen }, ptx: { ...p.ppo.ptx, data: join(ctx.dirs.pack, 'train-00000.bin') },
        eval: evalSettings(data, p),
      }, { resume: ctx.resume, quiet: ctx.quiet, watch: goldWatch });
      const total = s.generateS + s.scoreS + s.trainS;
      return {
        winRate: s.eval?.winRate, wins: s.eval?.wins, ties: s.eval?.ties, losses: s.eval?.losses, kl: s.eval?.kl,
        policyGold: s.eval?.policyGold, baselineGold: s.eval?.baselineGold, accuracy: await heldOutAccuracy(s.model, join(data, 'eval.jsonl'), p),
        firstScore: s.first?.score, lastScore: s.last?.score, firstGold: s.first?.gold, lastGold: s.last?.gold,
        iterationSeconds: s.iterations ? s.seconds / s.iterations : null, generateShare: total > 0 ? s.generateS / total : null, model: s.model,
      };
    },
    report: (r) => [`win rate vs SFT ${pct(r.winRate)} (${r.wins}/${r.ties}/${r.losses}) at KL ${num(r.kl)} nats; RM score ${num(r.firstScore)} → ${num(r.lastScore)}, gold ${num(r.firstGold)} → ${num(r.lastGold)}`],
  },
  {
    name: 'dpo',
    summary: 'DPO on best-vs-worst pairs (by default of SFT samples ranked by the gold labeler); win rate vs SFT',
    inputs: ['data', 'sft', 'rankings'],
    config: (p) => ({ dpo: p.dpo, evaluation: p.evaluation }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data, sampled = ctx.results.rankings as { train: number; val: number };
      const { pairs, pairsFrom, maxLen, ...rest } = p.dpo;
      // Sampled rankings give pairs only when the labeler told some samples apart.
      const own = pairsFrom !== 'default' && sampled.train > 0 && sampled.val > 0;
      const pick = (mine: string, theirs: string): string => (!own ? theirs : pairsFrom === 'both' ? `${mine},${theirs}` : mine);
      const s = await dpo({
        ...rest, out: ctx.dir, model: join(ctx.dirs.sft, 'model'), tokenizer: '',
        data: {
          train: pick(join(ctx.dirs.rankings, 'sampled.jsonl'), join(data, 'preference.jsonl')),
          val: pick(join(ctx.dirs.rankings, 'sampled_val.jsonl'), join(data, 'preference_val.jsonl')), maxLen, limit: pairs,
        },
        eval: evalSettings(data, p),
      }, { resume: ctx.resume, quiet: ctx.quiet });
      return {
        winRate: s.eval?.winRate, wins: s.eval?.wins, ties: s.eval?.ties, losses: s.eval?.losses, kl: s.eval?.kl,
        policyGold: s.eval?.policyGold, baselineGold: s.eval?.baselineGold, valRewardAccuracy: s.valRewardAccuracy,
        accuracy: await heldOutAccuracy(s.model, join(data, 'eval.jsonl'), p), model: s.model,
      };
    },
    report: (r) => [`win rate vs SFT ${pct(r.winRate)} (${r.wins}/${r.ties}/${r.losses}) at KL ${num(r.kl)} nats; held-out implicit-reward accuracy ${pct(r.valRewardAccuracy)}`],
  },
  {
    name: 'grpo',
    summary: 'GRPO on the instruction prompts with checkable answers; exact match vs SFT',
    inputs: ['data', 'sft'],
    config: (p) => ({ grpo: p.grpo, evaluation: p.evaluation, maxPromptLen: p.maxPromptLen }),
    run: async (ctx, p) => {
      const data = ctx.dirs.data;
      const s = await grpo({
        ...p.grpo, out: ctx.dir, policy: join(ctx.dirs.sft, 'model'), tokenizer: '',
        data: { prompts: join(data, 'prompts.jsonl'), maxPromptLen: p.maxPromptLen },
        eval: { prompts: join(data, 'eval.jsonl'), limit: p.evaluation.accuracyPrompts, maxNewTokens: p.evaluation.maxNewTokens },
      }, { resume: ctx.resume, quiet: ctx.quiet });
      return { sftAccuracy: s.sftAccuracy?.accuracy, accuracy: s.accuracy?.accuracy, prompts: s.accuracy?.total, firstExact: s.first?.exactMatch, lastExact: s.last?.exactMatch, model: s.model };
    },
    report: (r) => [`held-out exact match SFT ${pct(r.sftAccuracy)} → GRPO ${pct(r.accuracy)} (${r.prompts} prompts)`],
  },
  {
    name: 'report',
    summary: 'the report card: figures, plots and sample generations',
    inputs: ['pretrain', 'sft', 'reward', 'best_of_n', 'ppo', 'dpo', 'grpo'],
    config: (p) => p.report,
    run: async (ctx, p) => {
      const card = writeReport(ctx.runDir, ctx.dir, { samples: p.report.samples });
      return { ...card.figures, html: join(ctx.dir, 'report.html') };
    },
    report: (r) => [`report card → ${String(r.html)} (report.md, report.json beside it)`],
  },
];

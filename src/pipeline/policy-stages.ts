// The policy stages of the pipeline: each trains a policy from the SFT model with one method, then
// measures it on the held-out prompts of both kinds against the SFT baseline (evaluate.ts). Thin
// adapters from the pipeline config and the run folder to a library call:
//   ppo            PPO against the reward model, continuation prompts, PPO-ptx on the pretraining shards
//   ppo_gold       the same PPO with the gold labeler itself as the reward: what PPO can do when the
//                  reward is right, beside what the reward model lets it do
//   reward_hacking PPO against AFINN's comparative score (the labeler with a hole), no ptx: the
//                  collapse the rubric exists to prevent
//   dpo, simpo, orpo, kto   offline, on the best and worst of the SFT samples' continuation rankings
//   rloo, reinforce_pp, rft  critic-free online methods and rejection sampling, against the reward model
//   grpo           GRPO on the instruction prompts, rewarded by the answer checker
// The default run lists ppo, ppo_gold, reward_hacking, dpo, rloo and grpo; the others are a stage
// name away (`stages` in the config).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonl } from '../data/jsonl.js';
import type { RankingRecord } from '../data/formats.js';
import { dpo } from '../rlhf/dpo/trainer.js';
import { SIMPO_DEFAULTS } from '../rlhf/dpo/config.js';
import { goldWatch } from '../rlhf/eval.js';
import { grpo } from '../rlhf/grpo/trainer.js';
import { kto } from '../rlhf/kto/trainer.js';
import { orpo } from '../rlhf/orpo/trainer.js';
import { ppo } from '../rlhf/ppo/run.js';
import { reinforcePp } from '../rlhf/reinforce/trainer.js';
import { rft } from '../rlhf/rft/trainer.js';
import { rloo } from '../rlhf/rloo/trainer.js';
import { describeKind, evaluatePolicy, type PolicyFigures } from './evaluate.js';
import { labelerModule } from './reward-fns/labeler.js';
import type { RlhfStagesConfig } from './rlhf-config.js';
import { goldFrontier, sampledFile } from './rlhf-stages.js';
import type { Stage, StageContext, StageResult } from './stage.js';

/** The methods' own held-out comparison is off: the pipeline measures every policy the same way. */
const NO_EVAL = { prompts: '', limit: 0, maxNewTokens: 32, temperature: 1 };

const num = (x: unknown, d = 2): string => (typeof x === 'number' ? x.toFixed(d) : '-');
const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-');

/** What every policy stage's config holds besides its method's keys: the measurement. */
const measured = (p: RlhfStagesConfig) => ({ evaluation: p.evaluation, maxPromptLen: p.maxPromptLen });

async function measure(ctx: StageContext, p: RlhfStagesConfig, modelDir: string): Promise<PolicyFigures> {
  return evaluatePolicy(modelDir, { data: ctx.dirs.data, sft: ctx.dirs.sft, baseline: ctx.dirs.best_of_n }, goldFrontier(ctx.results.best_of_n), p);
}

/** Continuation figures first (the preference task), instructions beside them. */
function summaryLines(r: StageResult): string[] {
  const f = r as unknown as PolicyFigures;
  return [
    `continuations: ${describeKind(f.continuation)}; frontier share ${num(f.frontierShare)}`,
    `instructions: ${describeKind(f.instruction)}; exact match ${pct(f.accuracy)}`,
  ];
}

const sftModel = (ctx: StageContext): string => join(ctx.dirs.sft, 'model');
const rewardModel = (ctx: StageContext): string => join(ctx.dirs.reward, 'model');
const promptsOf = (ctx: StageContext, p: RlhfStagesConfig, kind: 'continuation' | 'instruction') => ({ prompts: join(ctx.dirs.data, `prompts-${kind}.jsonl`), maxPromptLen: p.maxPromptLen });

/** The first and last iteration's reward and gold score of an online run. */
const trajectory = (first: { score: number; gold?: number } | null, last: { score: number; gold?: number } | null) => ({
  firstScore: first?.score, lastScore: last?.score, firstGold: first?.gold, lastGold: last?.gold,
});

function ppoStage(name: 'ppo' | 'ppo_gold', summary: string, reward: (ctx: StageContext) => { reward: string; rewardFn: string }): Stage<RlhfStagesConfig> {
  return {
    name, summary,
    inputs: ['data', 'pack', 'sft', 'reward', 'best_of_n'],
    config: (p) => ({ ppo: p.ppo, ...measured(p) }),
    run: async (ctx, p) => {
      const s = await ppo({
        ...p.ppo, out: ctx.dir, policy: sftModel(ctx), tokenizer: '', ...reward(ctx),
        data: promptsOf(ctx, p, 'continuation'), ptx: { ...p.ppo.ptx, data: join(ctx.dirs.pack, 'train-00000.bin') }, eval: NO_EVAL,
      }, { resume: ctx.resume, quiet: ctx.quiet, watch: goldWatch });
      const total = s.generateS + s.scoreS + s.trainS;
      return {
        ...(await measure(ctx, p, s.model)), ...trajectory(s.first, s.last),
        iterationSeconds: s.iterations ? s.seconds / s.iterations : null, generateShare: total > 0 ? s.generateS / total : null, model: s.model,
      };
    },
    report: (r) => [...summaryLines(r), `reward ${num(r.firstScore)} → ${num(r.lastScore)}, gold on rollouts ${num(r.firstGold)} → ${num(r.lastGold)}`],
  };
}

/** The sampled continuation rankings as KTO's unpaired examples: each ranking's best response
 * desirable, its worst undesirable. */
function unpairedFromRankings(file: string, out: string): number {
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
    const r = JSON.parse(l) as RankingRecord;
    const best = r.ranking[0], worst = r.ranking[r.ranking.length - 1];
    const tiedTop = r.ties?.some((g) => g.includes(best) && g.includes(worst));
    return tiedTop ? [] : [{ prompt: r.prompt, completion: r.responses[best], label: true }, { prompt: r.prompt, completion: r.responses[worst], label: false }];
  });
  return writeJsonl(out, rows);
}

/** Offline preference stages read the continuation rankings of the SFT samples. */
const pairFiles = (ctx: StageContext) => ({ train: sampledFile(ctx.dirs.rankings, 'train', 'continuation'), val: sampledFile(ctx.dirs.rankings, 'val', 'continuation') });

function offlineStage(name: 'dpo' | 'simpo' | 'orpo' | 'kto', summary: string, run: (ctx: StageContext, p: RlhfStagesConfig) => Promise<{ model: string } & StageResult>): Stage<RlhfStagesConfig> {
  return {
    name, summary,
    inputs: ['data', 'sft', 'rankings', 'best_of_n'],
    config: (p) => ({ [name]: p[name], ...measured(p) }),
    run: async (ctx, p) => {
      const s = await run(ctx, p);
      return { ...(await measure(ctx, p, s.model)), ...s };
    },
    report: summaryLines,
  };
}

function onlineStage(name: 'rloo' | 'reinforce_pp' | 'rft', summary: string, run: (ctx: StageContext, p: RlhfStagesConfig) => Promise<{ model: string } & StageResult>): Stage<RlhfStagesConfig> {
  const key = name === 'reinforce_pp' ? 'reinforcePp' : name;
  return {
    name, summary,
    inputs: ['data', 'sft', 'reward', 'best_of_n'],
    config: (p) => ({ [key]: p[key], ...measured(p) }),
    run: async (ctx, p) => {
      const s = await run(ctx, p);
      return { ...(await measure(ctx, p, s.model)), ...s };
    },
    report: (r) => [...summaryLines(r), ...(r.firstScore !== undefined ? [`reward ${num(r.firstScore)} → ${num(r.lastScore)}, gold on rollouts ${num(r.firstGold)} → ${num(r.lastGold)}`] : [])],
  };
}

export const POLICY_STAGES: Stage<RlhfStagesConfig>[] = [
  ppoStage('ppo', 'PPO against the reward model on the continuation prompts (actor, critic, frozen reference and reward model)',
    (ctx) => ({ reward: rewardModel(ctx), rewardFn: '' })),
  ppoStage('ppo_gold', 'the same PPO with the gold labeler as its reward (the ablation: PPO with a reward that is right)',
    () => ({ reward: '', rewardFn: labelerModule('gold') })),
  {
    name: 'reward_hacking',
    summary: "PPO against AFINN's comparative score, the labeler with a hole, without ptx: the reward-hacking example",
    inputs: ['data', 'pack', 'sft', 'best_of_n'],
    config: (p) => ({ ppo: p.ppo, rewardHacking: p.rewardHacking, ...measured(p) }),
    run: async (ctx, p) => {
      const h = p.rewardHacking;
      const s = await ppo({
        ...p.ppo, iterations: h.iterations, optim: { ...p.ppo.optim, actorLr: h.actorLr }, out: ctx.dir, policy: sftModel(ctx), tokenizer: '',
        reward: '', rewardFn: labelerModule('afinn-comparative'),
        data: promptsOf(ctx, p, 'continuation'), ptx: { ...p.ppo.ptx, coef: 0, data: '' }, eval: NO_EVAL,
      }, { resume: ctx.resume, quiet: ctx.quiet, watch: goldWatch });
      return { ...(await measure(ctx, p, s.model)), ...trajectory(s.first, s.last), model: s.model };
    },
    report: (r) => [`hacked reward ${num(r.firstScore)} → ${num(r.lastScore)} while gold on rollouts went ${num(r.firstGold)} → ${num(r.lastGold)}`, ...summaryLines(r)],
  },
  offlineStage('dpo', 'DPO on best-vs-worst pairs of the SFT continuations ranked by the gold labeler', async (ctx, p) => {
    const { pairs, maxLen, ...rest } = p.dpo;
    const s = await dpo({ ...rest, loss: 'sigmoid', out: ctx.dir, model: sftModel(ctx), tokenizer: '', data: { ...pairFiles(ctx), maxLen, limit: pairs }, eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet });
    return { pairs: s.pairs, valRewardAccuracy: s.valRewardAccuracy, model: s.model };
  }),
  offlineStage('simpo', 'SimPO (length-normalised, no reference model) on the same pairs as DPO', async (ctx, p) => {
    const { pairs, maxLen, ...rest } = p.simpo;
    const s = await dpo({ ...SIMPO_DEFAULTS, ...rest, out: ctx.dir, model: sftModel(ctx), tokenizer: '', data: { ...pairFiles(ctx), maxLen, limit: pairs }, eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet });
    return { pairs: s.pairs, valRewardAccuracy: s.valRewardAccuracy, model: s.model };
  }),
  offlineStage('orpo', 'ORPO (odds ratio beside the NLL, no reference model) on the same pairs as DPO', async (ctx, p) => {
    const { pairs, maxLen, ...rest } = p.orpo;
    const s = await orpo({ ...rest, out: ctx.dir, model: sftModel(ctx), tokenizer: '', data: { ...pairFiles(ctx), maxLen, limit: pairs }, eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet });
    return { pairs: s.pairs, valAccuracy: s.valAccuracy, model: s.model };
  }),
  offlineStage('kto', 'KTO on the best (desirable) and worst (undesirable) SFT continuations, unpaired', async (ctx, p) => {
    const { pairs, maxLen, ...rest } = p.kto;
    const f = pairFiles(ctx), train = join(ctx.dir, 'unpaired.jsonl'), val = join(ctx.dir, 'unpaired_val.jsonl');
    unpairedFromRankings(f.train, train);
    unpairedFromRankings(f.val, val);
    const s = await kto({ ...rest, out: ctx.dir, model: sftModel(ctx), tokenizer: '', data: { train, val, maxLen, limit: pairs }, eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet });
    return { desirable: s.desirable, undesirable: s.undesirable, valAccuracy: s.valAccuracy, model: s.model };
  }),
  onlineStage('rloo', 'RLOO against the reward model on the continuation prompts (leave-one-out baseline, no critic)', async (ctx, p) => {
    const s = await rloo({ ...p.rloo, out: ctx.dir, policy: sftModel(ctx), tokenizer: '', reward: rewardModel(ctx), rewardFn: '', data: promptsOf(ctx, p, 'continuation'), eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet, watch: goldWatch });
    return { ...trajectory(s.first, s.last), model: s.model };
  }),
  onlineStage('reinforce_pp', 'REINFORCE++ against the reward model on the continuation prompts (batch-normalised returns, no critic)', async (ctx, p) => {
    const s = await reinforcePp({ ...p.reinforcePp, out: ctx.dir, policy: sftModel(ctx), tokenizer: '', reward: rewardModel(ctx), rewardFn: '', data: promptsOf(ctx, p, 'continuation'), eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet, watch: goldWatch });
    return { ...trajectory(s.first, s.last), model: s.model };
  }),
  onlineStage('rft', 'rejection-sampling fine-tuning: best-of-n continuations by the reward model, distilled by SFT', async (ctx, p) => {
    const s = await rft({ ...p.rft, out: ctx.dir, policy: sftModel(ctx), tokenizer: '', reward: rewardModel(ctx), rewardFn: '', data: promptsOf(ctx, p, 'continuation'), eval: NO_EVAL }, { resume: ctx.resume, quiet: ctx.quiet, watch: goldWatch });
    const last = s.rounds[s.rounds.length - 1];
    return { rounds: s.rounds.length, kept: last?.kept, keptScore: last?.keptScore, model: s.model };
  }),
  {
    name: 'grpo',
    summary: 'GRPO on the instruction prompts, rewarded by the answer checker; exact match vs SFT',
    inputs: ['data', 'sft', 'best_of_n'],
    config: (p) => ({ grpo: p.grpo, ...measured(p) }),
    run: async (ctx, p) => {
      const s = await grpo({ ...p.grpo, out: ctx.dir, policy: sftModel(ctx), tokenizer: '', rewardFn: '', data: promptsOf(ctx, p, 'instruction'), eval: { prompts: '', limit: 0, maxNewTokens: 32 } }, { resume: ctx.resume, quiet: ctx.quiet });
      const figures = await measure(ctx, p, s.model);
      return {
        ...figures, sftAccuracy: (ctx.results.best_of_n as { sftAccuracy?: number }).sftAccuracy, firstExact: s.first?.exactMatch, lastExact: s.last?.exactMatch,
        informativeFirst: s.first?.informativeGroups, informativeLast: s.last?.informativeGroups, model: s.model,
      };
    },
    report: (r) => [`held-out exact match SFT ${pct(r.sftAccuracy)} → GRPO ${pct(r.accuracy)}; rollouts ${pct(r.firstExact)} → ${pct(r.lastExact)} exact`, ...summaryLines(r)],
  },
];

// `rlhf ppo`: InstructGPT's step 3 with four models — the actor (from SFT, trained), the critic
// (from the reward model, trained), the frozen reference (SFT; with LoRA, the actor with its adapters
// off) and the frozen reward model; or three with a reward function in the reward model's place
// (the critic then starts from the SFT model with a new value head). Loads them, runs trainer.ts, saves the policy and the value
// model, and compares the policy with the SFT policy on held-out prompts. What to watch beside the
// reward (the gold labeler's score, say) is the caller's: `watch` gets each rollout as text.
import { join } from 'node:path';
import type { Tensor } from '../../engine/tensor.js';
import { loadPretrained, loadScalarModel, loadWeights, type CausalLM } from '../../models/index.js';
import { loadTokenizer, padId, stopIds } from '../../tokenizer/index.js';
import { world } from '../../distributed/world.js';
import { LoraModel } from '../../train/lora.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { shardPaths, shardVocab } from '../../train/shard-data.js';
import { loadPolicyPrompts, responseText } from '../core/prompts.js';
import { loraReference, modelReference } from '../core/reference.js';
import { comparePolicies, type PolicyComparison, type RolloutWatch } from '../eval.js';
import { readRewardNormalization } from '../reward/normalization.js';
import { openRewardSource } from '../reward/source.js';
import type { PpoConfig } from './config.js';
import { trainPpo, type PpoIterationRecord } from './trainer.js';

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

/** The ptx shards' files, refused when they were packed with another vocabulary than the policy's
 * tokenizer (their ids would mean other tokens). */
function checkPtxShards(spec: string, vocabSize: number): string[] {
  const paths = shardPaths(spec);
  const v = shardVocab(paths).vocabSize;
  if (v > vocabSize) throw new Error(`ptx.data ${spec}: shards of vocabulary ${v}, the policy's tokenizer has ${vocabSize}; pack the pretraining text with the policy's tokenizer`);
  return paths;
}

export async function ppo(cfg: PpoConfig, { resume = false, quiet = false, watch }: { resume?: boolean; quiet?: boolean; watch?: RolloutWatch } = {}): Promise<PpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);

  const actor = await loadPretrained(cfg.policy);
  const lora = cfg.lora.enabled ? new LoraModel(actor, cfg.lora, cfg.seed) : null;
  const refModel = lora ? null : await loadPretrained(cfg.policy);
  if (refModel) freeze(refModel);
  const reward = await openRewardSource({ model: cfg.reward, fn: cfg.rewardFn }, tok, pad, 'reward / rewardFn');
  const critic = await loadScalarModel(cfg.reward || cfg.policy, { seed: cfg.seed });
  const norm = cfg.reward && cfg.score.normalize ? readRewardNormalization(cfg.reward) : null;
  if (cfg.reward && cfg.score.normalize && !norm) log(`ppo: ${cfg.reward} has no reward_normalization.json; using raw scores`);
  const prompts = await loadPolicyPrompts(cfg.data.prompts, tok, cfg.data.maxPromptLen);
  if (cfg.ptx.coef > 0 && cfg.ptx.seqLen > actor.config.maxPositions) throw new Error(`ptx.seqLen ${cfg.ptx.seqLen} exceeds the policy's ${actor.config.maxPositions} positions`);
  const ptxShards = cfg.ptx.coef > 0 ? checkPtxShards(cfg.ptx.data, tok.vocabSize) : [];
  log(`ppo: ${prompts.length} prompts, ${cfg.iterations} iterations of ${cfg.rollout.batchSize} rollouts${lora ? ' (LoRA actor; reference = adapters off)' : ''}`);

  const result = await trainPpo({
    actor,
    actorParams: lora ? lora.parameters() : actor.namedParameters(),
    saveActor: (dir) => (lora ? lora.save(dir, cfg.policy) : actor.save(dir)),
    loadActor: (dir) => (lora ? lora.loadWeights(dir) : loadWeights(actor, dir)),
    useRng: lora ? (rng) => { lora.rng = rng; } : undefined,
    critic,
    ref: lora ? loraReference(lora) : modelReference(refModel!),
    reward,
    watch: watch ? (prompts, responses) => watch(prompts, responses.map((r) => responseText(tok, r))) : undefined,
    normalization: { mean: norm?.mean ?? 0, std: norm?.std ?? 1 },
    prompts, ptxShards, padId: pad, stopIds: stopIds(tok, actor.generationConfig.eosTokenId ?? actor.config.eosTokenId),
  }, cfg, { resume, quiet });

  const modelDir = join(cfg.out, 'model'), valueDir = join(cfg.out, 'value_model');
  // Rank 0 writes the models and compares the policies; the other ranks are done.
  const root = world().rank === 0;
  saveFinalModel(cfg.out, actor, lora, cfg.policy, tokDir, result.ema);
  if (root) critic.save(valueDir);

  let evaluation: PolicyComparison | null = null;
  if (cfg.eval.prompts && root) {
    const sft: CausalLM = refModel ?? (await loadPretrained(cfg.policy));
    const evalPrompts = await loadPolicyPrompts(cfg.eval.prompts, tok, cfg.data.maxPromptLen, cfg.eval.limit);
    evaluation = await comparePolicies(actor, sft, modelReference(sft), tok, evalPrompts, {
      maxNewTokens: cfg.eval.maxNewTokens, temperature: cfg.eval.temperature, seed: cfg.seed, padId: pad, keepSamples: 8,
    });
    log(`ppo: held-out win rate vs SFT ${(100 * evaluation.winRate).toFixed(1)}% (${evaluation.wins}/${evaluation.ties}/${evaluation.losses}), KL ${evaluation.kl.toFixed(2)} nats/response`);
  }
  const r = result.records;
  const summary: PpoSummary = {
    iterations: cfg.iterations, seconds: result.seconds, generateS: result.generateS, scoreS: result.scoreS, trainS: result.trainS,
    first: r[0] ?? null, last: r[r.length - 1] ?? null, eval: evaluation, model: modelDir, valueModel: valueDir, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

// `rlhf dpo`: direct preference optimisation of the SFT policy on preference pairs, no reward model
// and no sampling. The reference log-probs come first (data.ts), then the offline loop trains the
// policy (or LoRA adapters on it) with the loss of loss.ts; held-out pairs give the implicit-reward
// accuracy, and held-out prompts the gold win rate against the SFT policy. With loss 'simpo'
// (`rlhf simpo`) there is no reference: SimPO's loss (simpo/loss.ts) reads the policy alone.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { loadPretrained, loadWeights } from '../../models/index.js';
import { loadTokenizer, padId } from '../../tokenizer/index.js';
import { shardOf, shareFields } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { train } from '../../train/loop.js';
import { LoraModel } from '../../train/lora.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { loadPolicyPrompts } from '../core/prompts.js';
import { modelReference } from '../core/reference.js';
import { shuffledStream } from '../core/stream.js';
import { comparePolicies, type PolicyComparison } from '../eval.js';
import type { DpoConfig } from './config.js';
import { collatePairs, computeReference, loadPairs, pairLogprobs, type DpoPair } from './data.js';
import { dpoLoss } from './loss.js';
import { simpoLoss } from '../simpo/loss.js';

export interface DpoSummary {
  pairs: number;
  dropped: number;
  valPairs: number;
  steps: number;
  seconds: number;
  /** Seconds spent on the reference log-probs before training. */
  referenceSeconds: number;
  trainLoss: number;
  /** Held-out implicit-reward accuracy (null without data.val). */
  valRewardAccuracy: number | null;
  eval: PolicyComparison | null;
  model: string;
  adapter: string | null;
  resumedFrom: number | null;
}

export async function dpo(cfg: DpoConfig, { resume = false, quiet = false } = {}): Promise<DpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const tokDir = cfg.tokenizer || cfg.model;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const model = await loadPretrained(cfg.model);
  const average = cfg.loss === 'ipo', simpo = cfg.loss === 'simpo', name = simpo ? 'simpo' : 'dpo';
  const data = await loadPairs(cfg.data.train, tok, cfg.data.maxLen, cfg.data.limit);
  const val = cfg.data.val ? (await loadPairs(cfg.data.val, tok, cfg.data.maxLen)).pairs : [];
  const t0 = performance.now();
  // The reference is the starting policy: its log-probs before any update (before a resumed run
  // loads its checkpoint, too). SimPO has none. Data-parallel ranks each compute a share and
  // exchange them.
  const comm = world();
  if (!simpo) {
    const all = [...data.pairs, ...val];
    computeReference(model, shardOf(all, comm), pad, average);
    shareFields(all, ['refChosen', 'refRejected'], comm);
  }
  const referenceSeconds = (performance.now() - t0) / 1000;
  log(`${name}: ${data.pairs.length} pairs (${data.dropped} too long), ${val.length} held out${simpo ? '' : `; reference log-probs in ${referenceSeconds.toFixed(1)} s`}`);

  const lora = cfg.lora.enabled ? new LoraModel(model, cfg.lora, cfg.train.seed) : null;
  const step = (pairs: readonly DpoPair[], rng?: Rng): { loss: Tensor; metrics: { rewardAccuracy: number } & Record<string, number> } => {
    const { chosen, rejected } = pairLogprobs(model, collatePairs(pairs, pad), average, rng);
    if (cfg.loss === 'simpo') {
      const o = { beta: cfg.beta, gamma: cfg.gamma, labelSmoothing: cfg.labelSmoothing };
      const r = simpoLoss(chosen, rejected, pairs.map((p) => p.chosen.length), pairs.map((p) => p.rejected.length), o);
      return { loss: r.loss, metrics: { ...r.metrics } };
    }
    const o = { beta: cfg.beta, type: cfg.loss, labelSmoothing: cfg.labelSmoothing };
    const r = dpoLoss(chosen, rejected, Float32Array.from(pairs, (p) => p.refChosen), Float32Array.from(pairs, (p) => p.refRejected), o);
    return { loss: r.loss, metrics: { ...r.metrics } };
  };
  const label = lora ? `${name} (lora)` : name;
  const result = await train<DpoPair[]>({
    label,
    runDir: cfg.out,
    config: cfg.train,
    params: lora ? lora.parameters() : model.namedParameters(),
    modules: [model],
    saveWeights: (dir) => (lora ? lora.save(dir, cfg.model) : model.save(dir)),
    loadWeights: (dir) => (lora ? lora.loadWeights(dir) : loadWeights(model, dir)),
    batches: (position, rng) => {
      // LoRA's adapter dropout draws from the loop's RNG, which checkpoints carry.
      if (lora) lora.rng = rng;
      return shuffledStream(data.pairs, cfg.train.batchSize, cfg.train.seed, position, label);
    },
    loss: (pairs, rng) => {
      const { loss, metrics } = step(pairs, rng);
      return { loss, metrics: { ...metrics } };
    },
    evaluate: val.length ? () => {
      // Mid-run evaluations may look at the first evalBatches batches only.
      const pairs = cfg.train.evalBatches ? val.slice(0, cfg.train.evalBatches * cfg.train.batchSize) : val;
      let acc = 0;
      noGrad(() => {
        for (let i = 0; i < pairs.length; i += cfg.train.batchSize) {
          const part = pairs.slice(i, i + cfg.train.batchSize);
          acc += step(part).metrics.rewardAccuracy * part.length;
        }
      });
      return { eval_rewardAccuracy: acc / pairs.length };
    } : undefined,
  }, { resume, quiet });

  const adapter = saveFinalModel(cfg.out, model, lora, cfg.model, tokDir, result.ema);

  let evaluation: PolicyComparison | null = null;
  if (cfg.eval.prompts && comm.rank === 0) {
    const sft = await loadPretrained(cfg.model);
    const prompts = await loadPolicyPrompts(cfg.eval.prompts, tok, cfg.data.maxLen, cfg.eval.limit);
    evaluation = await comparePolicies(model, sft, modelReference(sft), tok, prompts, {
      maxNewTokens: cfg.eval.maxNewTokens, temperature: cfg.eval.temperature, seed: cfg.train.seed, padId: pad, keepSamples: 8,
    });
    log(`${name}: held-out win rate vs SFT ${(100 * evaluation.winRate).toFixed(1)}% (${evaluation.wins}/${evaluation.ties}/${evaluation.losses}), KL ${evaluation.kl.toFixed(2)} nats/response`);
  }
  const summary: DpoSummary = {
    pairs: data.pairs.length, dropped: data.dropped, valPairs: val.length, steps: result.steps, seconds: result.seconds, referenceSeconds,
    trainLoss: result.train.loss ?? NaN, valRewardAccuracy: result.eval?.eval_rewardAccuracy ?? null, eval: evaluation, model: join(cfg.out, 'model'), adapter, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

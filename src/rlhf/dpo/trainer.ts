// `rlhf dpo`: direct preference optimisation of the SFT policy on preference pairs, no reward model
// and no sampling. The reference log-probs come first (data.ts), then the offline loop trains the
// policy (or LoRA adapters on it) with the loss of loss.ts; held-out pairs give the implicit-reward
// accuracy, and held-out prompts the gold win rate against the SFT policy. With loss 'simpo'
// (`rlhf simpo`) there is no reference: SimPO's loss (simpo/loss.ts) reads the policy alone.
import { join } from 'node:path';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { shardOf, shareFields } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { LoraModel } from '../../train/lora.js';
import { writeSummary } from '../../train/run-dir.js';
import { runOffline, startOffline, type OfflineSummary } from '../core/offline-run.js';
import { compareWithStart, describeComparison } from '../eval.js';
import type { DpoConfig } from './config.js';
import { collatePairs, computeReference, loadPairs, pairLogprobs, type DpoPair } from './data.js';
import { dpoLoss } from './loss.js';
import { simpoLoss } from '../simpo/loss.js';

export interface DpoSummary extends OfflineSummary {
  pairs: number;
  dropped: number;
  valPairs: number;
  /** Seconds spent on the reference log-probs before training. */
  referenceSeconds: number;
  /** Held-out implicit-reward accuracy (null without data.val). */
  valRewardAccuracy: number | null;
}

export async function dpo(cfg: DpoConfig, { resume = false, quiet = false } = {}): Promise<DpoSummary> {
  const { log, tok, pad, model } = await startOffline(cfg, { resume, quiet });
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
    const o = { beta: cfg.beta, type: cfg.loss, labelSmoothing: cfg.labelSmoothing, rpoAlpha: cfg.rpoAlpha, chosenLengths: pairs.map((p) => p.chosen.length) };
    const r = dpoLoss(chosen, rejected, Float32Array.from(pairs, (p) => p.refChosen), Float32Array.from(pairs, (p) => p.refRejected), o);
    return { loss: r.loss, metrics: { ...r.metrics } };
  };
  const { result, adapter } = await runOffline<DpoPair>({
    name, cfg, model, lora, items: data.pairs, val, loss: step, heldOut: (pairs) => step(pairs).metrics.rewardAccuracy, metric: 'rewardAccuracy',
  }, { resume, quiet });
  const evaluation = await compareWithStart(model, cfg.model, tok, cfg.eval, { maxPromptLen: cfg.data.maxLen, seed: cfg.train.seed, padId: pad });
  if (evaluation) log(`${name}: ${describeComparison(evaluation)}`);
  const summary: DpoSummary = {
    pairs: data.pairs.length, dropped: data.dropped, valPairs: val.length, steps: result.steps, seconds: result.seconds, referenceSeconds,
    trainLoss: result.train.loss ?? NaN, valRewardAccuracy: result.eval?.eval_rewardAccuracy ?? null, eval: evaluation, model: join(cfg.out, 'model'), adapter, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

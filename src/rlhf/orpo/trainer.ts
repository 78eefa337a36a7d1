// `rlhf orpo`: odds-ratio preference optimisation on preference pairs (DPO's data path, dpo/data.ts),
// with no reference model: the only model in memory is the one being trained, and there is no
// reference pass before training. The training loop runs the loss of loss.ts; held-out pairs give
// the share whose chosen response has the larger odds, held-out prompts the gold win rate against
// the starting model.
import { join } from 'node:path';
import type { Rng } from '../../engine/rng.js';
import { LoraModel } from '../../train/lora.js';
import { writeSummary } from '../../train/run-dir.js';
import { runOffline, startOffline, type OfflineSummary } from '../core/offline-run.js';
import { collatePairs, loadPairs, pairLogprobs, type DpoPair } from '../dpo/data.js';
import { compareWithStart, describeComparison } from '../eval.js';
import type { OrpoConfig } from './config.js';
import { orpoLoss } from './loss.js';

export interface OrpoSummary extends OfflineSummary {
  pairs: number;
  dropped: number;
  valPairs: number;
  /** The chosen responses' NLL per token over the last logging window. */
  trainNll: number;
  /** Held-out share of pairs whose chosen response has the larger odds (null without data.val). */
  valAccuracy: number | null;
}

export async function orpo(cfg: OrpoConfig, { resume = false, quiet = false } = {}): Promise<OrpoSummary> {
  const { log, tok, pad, model } = await startOffline(cfg, { resume, quiet });
  const data = await loadPairs(cfg.data.train, tok, cfg.data.maxLen, cfg.data.limit);
  const val = cfg.data.val ? (await loadPairs(cfg.data.val, tok, cfg.data.maxLen)).pairs : [];
  log(`orpo: ${data.pairs.length} pairs (${data.dropped} too long), ${val.length} held out; no reference model`);

  const lora = cfg.lora.enabled ? new LoraModel(model, cfg.lora, cfg.train.seed) : null;
  const step = (pairs: readonly DpoPair[], rng?: Rng) => {
    const { chosen, rejected } = pairLogprobs(model, collatePairs(pairs, pad), false, rng);
    return orpoLoss(chosen, rejected, pairs.map((p) => p.chosen.length), pairs.map((p) => p.rejected.length), cfg.lambda);
  };
  const { result, adapter } = await runOffline<DpoPair>({
    name: 'orpo', cfg, model, lora, items: data.pairs, val,
    loss: (pairs, rng) => {
      const { loss, metrics } = step(pairs, rng);
      return { loss, metrics: { ...metrics } };
    },
    heldOut: (pairs) => step(pairs).metrics.accuracy, metric: 'accuracy',
  }, { resume, quiet });
  const evaluation = await compareWithStart(model, cfg.model, tok, cfg.eval, { maxPromptLen: cfg.data.maxLen, seed: cfg.train.seed, padId: pad });
  if (evaluation) log(`orpo: ${describeComparison(evaluation)}`);
  const summary: OrpoSummary = {
    pairs: data.pairs.length, dropped: data.dropped, valPairs: val.length, steps: result.steps, seconds: result.seconds,
    trainLoss: result.train.loss ?? NaN, trainNll: result.train.nll ?? NaN, valAccuracy: result.eval?.eval_accuracy ?? null,
    eval: evaluation, model: join(cfg.out, 'model'), adapter, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

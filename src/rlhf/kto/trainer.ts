// `rlhf kto`: Kahneman-Tversky optimisation of the SFT policy on unpaired good/bad labels. The
// reference's log-probs of every completion and its KL partner come first (data.ts), then the
// training loop runs the loss of loss.ts: per batch, z0 from the policy's log-probs of the
// mismatched pairs (no tape, as TRL and the paper), then the weighted saturating value of each
// example's implicit reward against it. Held-out examples give the share on the right side of z0,
// held-out prompts the gold win rate against the SFT policy. Data-parallel ranks compute the
// reference in shares, and z0 over the whole batch (every rank's share of it).
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { shardOf, shareFields, shareSize, sumAcross } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { LoraModel } from '../../train/lora.js';
import { writeSummary } from '../../train/run-dir.js';
import { runOffline, startOffline, type OfflineSummary } from '../core/offline-run.js';
import { compareWithStart, describeComparison } from '../eval.js';
import type { KtoConfig } from './config.js';
import { batchLogprobs, collateKto, computeKtoReference, loadUnpaired, type KtoExample } from './data.js';
import { ktoLoss, ktoReferencePoint } from './loss.js';

export interface KtoSummary extends OfflineSummary {
  examples: number;
  /** Desirable and undesirable training examples, and λ_D·n_D / (λ_U·n_U) (the paper: 1 to 4/3). */
  desirable: number;
  undesirable: number;
  weightedRatio: number;
  dropped: number;
  valExamples: number;
  referenceSeconds: number;
  /** Mean z0 over the last logging window. */
  kl: number;
  /** Held-out share of examples on the right side of z0 (null without data.val). */
  valAccuracy: number | null;
}

/** Only the finite figures (a batch without undesirable examples has no mean reward for them). */
const finite = (m: object): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));

export async function kto(cfg: KtoConfig, { resume = false, quiet = false } = {}): Promise<KtoSummary> {
  const { log, tok, pad, model } = await startOffline(cfg, { resume, quiet });
  const data = await loadUnpaired(cfg.data.train, tok, cfg.data.maxLen, cfg.train.batchSize, cfg.data.limit);
  const val = cfg.data.val ? (await loadUnpaired(cfg.data.val, tok, cfg.data.maxLen, cfg.train.batchSize)).examples : [];
  const weightedRatio = (cfg.desirableWeight * data.desirable) / (cfg.undesirableWeight * data.undesirable);
  const t0 = performance.now();
  // The reference is the starting policy: its log-probs before any update (before a resumed run
  // loads its checkpoint, too).
  const comm = world();
  const all = [...data.examples, ...val];
  computeKtoReference(model, shardOf(all, comm), pad);
  shareFields(all, ['ref', 'refKl'], comm);
  // z0 sums over the ranks inside the loss, so every rank must hold part of every batch.
  shareSize(cfg.train.batchSize, comm, 'kto: train.batchSize');
  const across = sumAcross(comm);
  const referenceSeconds = (performance.now() - t0) / 1000;
  log(`kto: ${data.desirable} desirable and ${data.undesirable} undesirable examples (${data.dropped} too long), ${val.length} held out; reference log-probs in ${referenceSeconds.toFixed(1)} s`);
  if (!(weightedRatio >= 1 && weightedRatio <= 4 / 3)) log(`kto: λ_D·n_D / (λ_U·n_U) = ${weightedRatio.toFixed(2)}; the paper advises 1 to 4/3 (set desirableWeight / undesirableWeight)`);

  const lora = cfg.lora.enabled ? new LoraModel(model, cfg.lora, cfg.train.seed) : null;
  const opts = { beta: cfg.beta, desirableWeight: cfg.desirableWeight, undesirableWeight: cfg.undesirableWeight };
  const step = (batch: readonly KtoExample[], rng?: Rng, sums?: (partial: number[]) => number[]) => {
    const { completions, kl } = collateKto(batch, pad);
    const policyKl = noGrad(() => batchLogprobs(model, kl, rng).f);
    const z0 = ktoReferencePoint(policyKl, Float32Array.from(batch, (e) => e.refKl), sums);
    return ktoLoss(batchLogprobs(model, completions, rng), Float32Array.from(batch, (e) => e.ref), batch.map((e) => e.desirable), z0, opts);
  };
  const { result, adapter } = await runOffline<KtoExample>({
    name: 'kto', cfg, model, lora, items: data.examples, val,
    loss: (batch, rng) => {
      const { loss, metrics } = step(batch, rng, across);
      return { loss, metrics: finite(metrics) };
    },
    heldOut: (batch) => step(batch).metrics.accuracy, metric: 'accuracy',
  }, { resume, quiet });
  const evaluation = await compareWithStart(model, cfg.model, tok, cfg.eval, { maxPromptLen: cfg.data.maxLen, seed: cfg.train.seed, padId: pad });
  if (evaluation) log(`kto: ${describeComparison(evaluation)}`);
  const summary: KtoSummary = {
    examples: data.examples.length, desirable: data.desirable, undesirable: data.undesirable, weightedRatio, dropped: data.dropped, valExamples: val.length,
    steps: result.steps, seconds: result.seconds, referenceSeconds, trainLoss: result.train.loss ?? NaN, kl: result.train.kl ?? NaN,
    valAccuracy: result.eval?.eval_accuracy ?? null, eval: evaluation, model: join(cfg.out, 'model'), adapter, resumedFrom: result.resumedFrom,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

// `rlhf orpo`: odds-ratio preference optimisation on preference pairs (DPO's data path, dpo/data.ts),
// with no reference model: the only model in memory is the one being trained, and there is no
// reference pass before training. The training loop runs the loss of loss.ts; held-out pairs give
// the share whose chosen response has the larger odds, held-out prompts the gold win rate against
// the starting model.
import { join } from 'node:path';
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { loadPretrained, loadWeights } from '../../models/index.js';
import { loadTokenizer, padId } from '../../tokenizer/index.js';
import { train } from '../../train/loop.js';
import { LoraModel } from '../../train/lora.js';
import { prepareRunDir, saveFinalModel, writeSummary } from '../../train/run-dir.js';
import { shuffledStream } from '../core/stream.js';
import { collatePairs, loadPairs, pairLogprobs, type DpoPair } from '../dpo/data.js';
import { compareWithStart, describeComparison, type PolicyComparison } from '../eval.js';
import type { OrpoConfig } from './config.js';
import { orpoLoss } from './loss.js';

export interface OrpoSummary {
  pairs: number;
  dropped: number;
  valPairs: number;
  steps: number;
  seconds: number;
  trainLoss: number;
  /** The chosen responses' NLL per token over the last logging window. */
  trainNll: number;
  /** Held-out share of pairs whose chosen response has the larger odds (null without data.val). */
  valAccuracy: number | null;
  eval: PolicyComparison | null;
  model: string;
  adapter: string | null;
  resumedFrom: number | null;
}

export async function orpo(cfg: OrpoConfig, { resume = false, quiet = false } = {}): Promise<OrpoSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (line: string): void => { if (!quiet) console.log(line); };
  const tokDir = cfg.tokenizer || cfg.model;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const model = await loadPretrained(cfg.model);
  const data = await loadPairs(cfg.data.train, tok, cfg.data.maxLen, cfg.data.limit);
  const val = cfg.data.val ? (await loadPairs(cfg.data.val, tok, cfg.data.maxLen)).pairs : [];
  log(`orpo: ${data.pairs.length} pairs (${data.dropped} too long), ${val.length} held out; no reference model`);

  const lora = cfg.lora.enabled ? new LoraModel(model, cfg.lora, cfg.train.seed) : null;
  const step = (pairs: readonly DpoPair[], rng?: Rng) => {
    const { chosen, rejected } = pairLogprobs(model, collatePairs(pairs, pad), false, rng);
    return orpoLoss(chosen, rejected, pairs.map((p) => p.chosen.length), pairs.map((p) => p.rejected.length), cfg.lambda);
  };
  const label = lora ? 'orpo (lora)' : 'orpo';
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
      const part = cfg.train.evalBatches ? val.slice(0, cfg.train.evalBatches * cfg.train.batchSize) : val;
      let acc = 0;
      noGrad(() => {
        for (let i = 0; i < part.length; i += cfg.train.batchSize) {
          const b = part.slice(i, i + cfg.train.batchSize);
          acc += step(b).metrics.accuracy * b.length;
        }
      });
      return { eval_accuracy: acc / part.length };
    } : undefined,
  }, { resume, quiet });

  const adapter = saveFinalModel(cfg.out, model, lora, cfg.model, tokDir, result.ema);
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

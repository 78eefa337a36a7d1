// The training run the offline preference methods share (DPO and SimPO, ORPO, KTO): the loop over
// shuffled batches of a fixed set of items, training the whole model or LoRA adapters on it, with a
// held-out metric averaged over the validation items, then the final model (or adapter) saved.
// Each method keeps what is its own: its data, its loss, its summary.
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { loadPretrained, loadWeights, type CausalLM } from '../../models/index.js';
import { loadTokenizer, padId, type Tokenizer } from '../../tokenizer/index.js';
import { train, type BatchLoss, type LoopResult } from '../../train/loop.js';
import type { LoraModel } from '../../train/lora.js';
import { prepareRunDir, saveFinalModel } from '../../train/run-dir.js';
import type { PolicyComparison } from '../eval.js';
import type { OfflineConfig } from './config.js';
import { shuffledStream } from './stream.js';

/** The summary keys every offline method reports (each adds its data's counts and held-out metric). */
export interface OfflineSummary {
  steps: number;
  seconds: number;
  trainLoss: number;
  eval: PolicyComparison | null;
  model: string;
  adapter: string | null;
  resumedFrom: number | null;
}

/** Opens the run folder (config written; resume checked), then loads the tokenizer and the starting
 * model. `log` prints unless quiet. */
export async function startOffline(cfg: OfflineConfig, { resume, quiet }: { resume: boolean; quiet: boolean }): Promise<{ log: (line: string) => void; tok: Tokenizer; pad: number; model: CausalLM }> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (line: string): void => { if (!quiet) console.log(line); };
  const tok = loadTokenizer(cfg.tokenizer || cfg.model);
  const pad = padId(tok);
  const model = await loadPretrained(cfg.model);
  return { log, tok, pad, model };
}

export interface OfflineRun<T> {
  /** The method's name ('dpo'); the loop's label (and the stream's) adds ' (lora)' with adapters. */
  name: string;
  cfg: OfflineConfig;
  model: CausalLM;
  /** Adapters on `model` (null: the whole model trains). */
  lora: LoraModel | null;
  items: readonly T[];
  val: readonly T[];
  /** A training batch's loss and the figures to log; `rng` is the loop's. */
  loss(batch: T[], rng: Rng): BatchLoss;
  /** `metric` of a held-out batch (called under noGrad, with no RNG). */
  heldOut(batch: T[]): number;
  /** Logged as eval_<metric>: heldOut averaged over the validation items. */
  metric: string;
}

/** Runs the loop (resuming when asked) and saves the final model; returns the loop's result and
 * the adapter folder (null without LoRA). */
export async function runOffline<T>(r: OfflineRun<T>, opts: { resume: boolean; quiet: boolean }): Promise<{ result: LoopResult; adapter: string | null }> {
  const { cfg, model, lora, val } = r;
  const label = lora ? `${r.name} (lora)` : r.name;
  const result = await train<T[]>({
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
      return shuffledStream(r.items, cfg.train.batchSize, cfg.train.seed, position, label);
    },
    loss: (batch, rng) => r.loss(batch, rng),
    evaluate: val.length ? () => {
      // Mid-run evaluations may look at the first evalBatches batches only.
      const part = cfg.train.evalBatches ? val.slice(0, cfg.train.evalBatches * cfg.train.batchSize) : val;
      let sum = 0;
      noGrad(() => {
        for (let i = 0; i < part.length; i += cfg.train.batchSize) {
          const b = part.slice(i, i + cfg.train.batchSize);
          sum += r.heldOut(b) * b.length;
        }
      });
      return { [`eval_${r.metric}`]: sum / part.length };
    } : undefined,
  }, opts);
  const adapter = saveFinalModel(cfg.out, model, lora, cfg.model, cfg.tokenizer || cfg.model, result.ema);
  return { result, adapter };
}

// Pretraining: next-token prediction on packed token shards, from random weights or a checkpoint,
// with the add-one bigram model's perplexity on the same held-out windows as the bar to clear.
import { join } from 'node:path';
import { CausalLM, MODEL_DEFAULTS, loadPretrained, loadWeights, modelConfig, presets, type ModelConfig } from '../models/index.js';
import { world } from '../distributed/world.js';
import type { PretrainConfig } from './config.js';
import { countShards } from './bigram.js';
import { trainLanguageModel, type EvalResult, type TrainResult } from './lm.js';
import { prepareRunDir, saveFinalModel, writeSummary } from './run-dir.js';
import { evalWindows, shardPaths, shardStream, shardVocab } from './shard-data.js';

export interface PretrainSummary extends Omit<TrainResult, 'eval'> {
  params: number;
  /** The final model's held-out loss and perplexity, and the bigram baseline's on the same targets. */
  eval: EvalResult | null;
  bigram: EvalResult | null;
  model: string;
}

/** The new model's config: the family's shape with the run's sizes and the shards' vocabulary. */
export function pretrainModelConfig(cfg: PretrainConfig, vocabSize: number, eosId: number | null): ModelConfig {
  const m = cfg.model;
  const base = m.family === 'gpt2' ? presets.gpt2() : { ...MODEL_DEFAULTS, family: m.family };
  return modelConfig({
    vocabSize, hiddenSize: m.hiddenSize, numLayers: m.numLayers, numHeads: m.numHeads, numKvHeads: m.numKvHeads || m.numHeads,
    intermediateSize: m.intermediateSize, maxPositions: m.maxPositions, tieEmbeddings: m.tieEmbeddings, dropout: m.dropout,
    bosTokenId: null, eosTokenId: eosId, padTokenId: null,
  }, base);
}

export async function pretrain(cfg: PretrainConfig, { resume = false, quiet = false } = {}): Promise<PretrainSummary> {
  const trainPaths = shardPaths(cfg.data.train);
  const valPaths = cfg.data.val ? shardPaths(cfg.data.val) : [];
  const { vocabSize, eosId } = shardVocab([...trainPaths, ...valPaths]);
  prepareRunDir(cfg.out, cfg, resume);

  const model = cfg.model.init ? await loadPretrained(cfg.model.init) : new CausalLM(pretrainModelConfig(cfg, vocabSize, eosId), { seed: cfg.train.seed });
  if (model.config.vocabSize < vocabSize) throw new Error(`model ${cfg.model.init} has a vocabulary of ${model.config.vocabSize}, the shards ${vocabSize}`);
  if (cfg.data.seqLen > model.config.maxPositions) throw new Error(`data.seqLen ${cfg.data.seqLen} exceeds the model's maxPositions ${model.config.maxPositions}`);
  const evalBatches = valPaths.length ? evalWindows(valPaths, cfg.data.seqLen, cfg.train.batchSize, cfg.train.evalBatches) : [];
  // The baseline is rank 0's to report (it reads every training shard).
  const bigram = evalBatches.length && world().rank === 0 ? countShards(trainPaths, vocabSize).evaluate(evalBatches) : null;
  if (bigram && !quiet) console.log(`bigram baseline (add-one smoothed, vocabulary ${vocabSize}): held-out loss ${bigram.loss.toFixed(3)}, perplexity ${bigram.ppl.toFixed(1)}`);

  const { result, ema } = await trainLanguageModel({
    label: 'pretrain',
    runDir: cfg.out,
    model,
    trainable: model.namedParameters(),
    openStream: (state) => shardStream(trainPaths, cfg.data.seqLen, cfg.train.batchSize, cfg.train.seed, state),
    evalBatches,
    saveWeights: (dir) => model.save(dir),
    loadWeights: (dir) => loadWeights(model, dir),
    config: cfg.train,
  }, { resume, quiet });

  saveFinalModel(cfg.out, model, null, '', cfg.tokenizer, ema);
  const modelDir = join(cfg.out, 'model');
  const summary: PretrainSummary = { ...result, params: model.numParameters(), bigram, model: modelDir };
  writeSummary(cfg.out, summary);
  return summary;
}

// Supervised fine-tuning: conversations through the chat template, loss on the assistant's tokens
// only, full fine-tuning or LoRA. With an accuracy file, the base and the fine-tuned model are both
// scored on its held-out instruction prompts.
import { join } from 'node:path';
import { loadPretrained, loadWeights, resizeVocab } from '../models/index.js';
import { loadTokenizer, padId, stopIds } from '../tokenizer/index.js';
import { writeJsonAtomic } from '../util/fs.js';
import { world } from '../distributed/world.js';
import type { SftConfig } from './config.js';
import { exactMatchAccuracy, loadGoldPrompts, type AccuracyReport } from './accuracy.js';
import { trainLanguageModel, type TrainResult } from './lm.js';
import { LoraModel } from './lora.js';
import { prepareRunDir, saveFinalModel, writeSummary } from './run-dir.js';
import { encodeExamples, loadConversations, sftEvalBatches, sftStream } from './sft-data.js';

export interface SftSummary extends TrainResult {
  examples: number;
  /** Conversations with no assistant token left after cutting to data.maxLen. */
  dropped: number;
  params: number;
  trainableParams: number;
  /** Mean wall time of one optimizer step, and the process's peak resident memory. */
  stepMs: number;
  peakRssMb: number;
  lora: boolean;
  /** Exact-match accuracy before and after fine-tuning (null without accuracy.file). */
  baseAccuracy: number | null;
  sftAccuracy: number | null;
  model: string;
  adapter: string | null;
}

export async function sft(cfg: SftConfig, { resume = false, quiet = false } = {}): Promise<SftSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const tokDir = cfg.tokenizer || cfg.model;
  const tok = loadTokenizer(tokDir);
  let model = await loadPretrained(cfg.model);
  // A tokenizer that gained tokens (chat specials) after pretraining: new rows start at the mean.
  if (tok.vocabSize > model.config.vocabSize) model = resizeVocab(model, tok.vocabSize);
  model.generationConfig = { ...model.generationConfig, eosTokenId: stopIds(tok, model.generationConfig.eosTokenId ?? model.config.eosTokenId) };
  const pad = padId(tok);

  const log = (s: string): void => { if (!quiet) console.log(s); };
  const { examples, dropped } = encodeExamples(tok, await loadConversations(cfg.data.train), cfg.data.maxLen);
  const val = cfg.data.val ? encodeExamples(tok, await loadConversations(cfg.data.val), cfg.data.maxLen).examples : [];
  log(`SFT: ${examples.length} training conversations (${dropped} without assistant tokens after cutting to ${cfg.data.maxLen} dropped), ${val.length} held out`);

  const gold = cfg.accuracy.file ? await loadGoldPrompts(cfg.accuracy.file, cfg.accuracy.limit) : [];
  // Generation is rank 0's to do; the others have nothing to report.
  const score = async (label: string): Promise<AccuracyReport | null> => {
    if (!gold.length || world().rank !== 0) return null;
    const r = await exactMatchAccuracy(model, tok, gold, { maxNewTokens: cfg.accuracy.maxNewTokens });
    log(`${label} exact-match accuracy on ${r.total} held-out instruction prompts: ${(100 * r.accuracy).toFixed(1)}%`);
    return r;
  };
  const base = await score('base model');

  const lora = cfg.lora.enabled ? new LoraModel(model, cfg.lora, cfg.train.seed) : null;
  const { result, ema } = await trainLanguageModel({
    label: lora ? 'sft (lora)' : 'sft',
    runDir: cfg.out,
    model,
    trainable: lora ? lora.parameters() : model.namedParameters(),
    openStream: (state) => sftStream(examples, cfg.train.batchSize, pad, cfg.train.seed, { groupByLength: cfg.data.groupByLength, averaging: cfg.data.averageLossBy, state }),
    evalBatches: sftEvalBatches(val, cfg.train.batchSize, pad, cfg.train.evalBatches),
    saveWeights: (dir) => (lora ? lora.save(dir, cfg.model) : model.save(dir)),
    loadWeights: (dir) => (lora ? lora.loadWeights(dir) : loadWeights(model, dir)),
    useRng: lora ? (rng) => { lora.rng = rng; } : undefined,
    config: cfg.train,
  }, { resume, quiet });

  const adapter = saveFinalModel(cfg.out, model, lora, cfg.model, tokDir, ema);
  const tuned = await score('SFT model');
  if (base && tuned) writeJsonAtomic(join(cfg.out, 'accuracy.json'), { base, sft: tuned });

  const summary: SftSummary = {
    ...result, examples: examples.length, dropped, params: model.numParameters(),
    trainableParams: lora ? lora.numParameters() : model.numParameters(),
    stepMs: result.steps > (result.resumedFrom ?? 0) ? (1000 * result.seconds) / (result.steps - (result.resumedFrom ?? 0)) : 0,
    peakRssMb: process.resourceUsage().maxRSS / 1024, lora: Boolean(lora),
    baseAccuracy: base?.accuracy ?? null, sftAccuracy: tuned?.accuracy ?? null, model: join(cfg.out, 'model'), adapter,
  };
  writeSummary(cfg.out, summary);
  return summary;
}

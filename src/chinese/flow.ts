// The Chinese-LLaMA flow (Cui et al. 2023) on a small English model, in one run folder:
//
//   english/     the English base, pretrained on Brown (skipped with `base`: a model folder given)
//   tokenizer/   the base tokenizer with a Chinese BPE (trained on Tang and Song poems) merged in
//   data/        Chinese poem shards (train, held out), Brown shards, and the Chinese instruction
//                data: sft.jsonl, sft_val.jsonl, eval.jsonl
//   embed/       stage 1: the embeddings grown to the new vocabulary (new rows at the mean of the
//                old ones), then only the new rows trained on the poems
//   continued/   stage 2: every weight trained on the poems (a pretrain run folder)
//   sft/         Chinese instruction fine-tuning (an sft run folder)
//   report/      report.md and report.json: tokens per character, held-out Chinese and English
//                perplexity after each stage, exact match on held-out Chinese instructions
//   flow_config.json
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brownDocuments } from '../data/brown.js';
import { writeJsonl } from '../data/jsonl.js';
import { ShardWriter } from '../data/shards.js';
import { loadPretrained, resizeVocab, type CausalLM } from '../models/index.js';
import {
  CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, DIGITS_PATTERN, chineseExtension, loadTokenizer, saveTokenizer, trainBpe, type Tokenizer,
} from '../tokenizer/index.js';
import { poemFiles, readPoems } from '../tokenizer/chinese.js';
import { exactMatchAccuracy, type AccuracyReport } from '../train/accuracy.js';
import { LOOP_DEFAULTS, PRETRAIN_DEFAULTS, SFT_DEFAULTS, type LoopConfig } from '../train/config.js';
import { pretrain } from '../train/pretrain.js';
import { copyTokenizer, prepareRunDir } from '../train/run-dir.js';
import { sft } from '../train/sft.js';
import { evalWindows, shardStream } from '../train/shard-data.js';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import type { ChineseFlowConfig } from './config.js';
import { trainNewRows } from './new-rows.js';
import { chineseReportMarkdown, type ChineseReport, type StageScores } from './report.js';
import { chineseSftData } from './tasks.js';
import { textPerplexity } from './eval.js';

const EOT = '<|endoftext|>';

function writeShard(path: string, tok: Tokenizer, texts: string[], eos: number): string {
  const w = new ShardWriter(path, tok.vocabSize, eos);
  for (const t of texts) w.addDocument(tok.encode(t));
  w.close();
  return path;
}

/** The default run folder: runs/chinese-<date>-<time>. */
function defaultOut(): string {
  const d = new Date(), p = (n: number) => String(n).padStart(2, '0');
  return join('runs', `chinese-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`);
}

export async function chineseFlow(config: ChineseFlowConfig, { quiet = false } = {}): Promise<ChineseReport> {
  const cfg = { ...config, out: config.out || defaultOut() };
  const out = cfg.out;
  ensureDir(out);
  if (readdirSync(out).length) throw new Error(`${out} is not empty; give a new --out folder`);
  mkdirSync(join(out, 'data'), { recursive: true });
  writeJsonAtomic(join(out, 'flow_config.json'), cfg);
  const log = (s: string): void => { if (!quiet) console.log(s); };
  const seconds: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (stage: string): void => { seconds[stage] = (performance.now() - t0) / 1000; t0 = performance.now(); };
  const loop = (s: { steps: number; batchSize: number; lr: number }): LoopConfig => ({
    ...LOOP_DEFAULTS, ...s, warmupSteps: Math.min(30, Math.ceil(s.steps / 10)), evalEvery: 0, evalBatches: 8, saveEvery: 0, keepLast: 1, logEvery: 25, seed: cfg.seed,
  });

  // Held-out text: the poem files after the merge's training files, every tenth Brown document.
  const files = (d: 'tang' | 'song') => poemFiles(d).slice(0, cfg.merge.trainFiles + cfg.merge.heldOutFiles);
  const trainPoems = readPoems([...files('tang').slice(0, cfg.merge.trainFiles), ...files('song').slice(0, cfg.merge.trainFiles)]);
  const heldPoems = readPoems([...files('tang').slice(cfg.merge.trainFiles), ...files('song').slice(cfg.merge.trainFiles)]);
  const stride = Math.max(1, Math.floor(heldPoems.length / cfg.eval.poems));
  const evalPoems = heldPoems.filter((_, i) => i % stride === 0).slice(0, cfg.eval.poems);
  const brown = [...brownDocuments()].map((d) => d.text);
  const englishTrain = brown.filter((_, i) => i % 10 !== 9), englishHeld = brown.filter((_, i) => i % 10 === 9).slice(0, cfg.eval.englishDocs);

  // The English base.
  let baseDir = cfg.base;
  if (!baseDir) {
    const e = cfg.english;
    const tok = trainBpe(englishTrain, {
      vocabSize: e.vocabSize, pattern: DIGITS_PATTERN, specialTokens: [EOT, ...CHATML_SPECIAL_TOKENS],
      config: { eosToken: EOT, padToken: EOT, chatTemplate: DEFAULT_CHAT_TEMPLATE },
    });
    saveTokenizer(tok, join(out, 'english', 'tokenizer'));
    const eos = tok.tokenToId(EOT)!;
    const s = await pretrain({
      out: join(out, 'english'), tokenizer: join(out, 'english', 'tokenizer'),
      data: { train: writeShard(join(out, 'data', 'brown-train.bin'), tok, englishTrain, eos), val: writeShard(join(out, 'data', 'brown-val.bin'), tok, brown.filter((_, i) => i % 10 === 9), eos), seqLen: cfg.seqLen },
      model: { ...PRETRAIN_DEFAULTS.model, hiddenSize: e.hiddenSize, numLayers: e.numLayers, numHeads: e.numHeads, intermediateSize: e.intermediateSize, maxPositions: Math.max(cfg.seqLen, cfg.sft.maxLen) * 2 },
      train: loop(e),
    }, { quiet });
    baseDir = s.model;
    lap('english');
  } else if (!existsSync(join(baseDir, 'tokenizer.json'))) throw new Error(`${baseDir}: the base model folder needs its tokenizer (tokenizer.json)`);
  const baseTok = loadTokenizer(baseDir);
  const base = await loadPretrained(baseDir);
  const startId = baseTok.tokenToId(EOT) ?? ([base.config.eosTokenId].flat()[0] ?? 0);
  const scores = (model: CausalLM, tok: Tokenizer): StageScores => ({
    chinese: textPerplexity(model, tok, evalPoems, { seqLen: cfg.seqLen, startId }),
    english: textPerplexity(model, tok, englishHeld, { seqLen: cfg.seqLen, startId }),
  });
  const stages: Record<string, StageScores> = { base: scores(base, baseTok) };
  log(`base: Chinese held-out perplexity ${stages.base.chinese.pplChar.toFixed(1)} per character, English ${stages.base.english.pplToken.toFixed(1)} per token`);
  lap('evalBase');

  // The vocabulary: a Chinese BPE on the training poems, merged in with every base id unchanged.
  const merge = chineseExtension(baseTok, cfg.merge);
  const tok = merge.tokenizer;
  const tokDir = join(out, 'tokenizer');
  saveTokenizer(tok, tokDir);
  log(`tokenizer: ${merge.added} Chinese tokens merged in (${merge.baseVocab} → ${merge.mergedVocab}); tokens per Chinese character ${merge.before.toFixed(3)} → ${merge.after.toFixed(3)}`);
  lap('merge');

  // Stage 1: grow the embeddings, train the new rows alone.
  const eos = tok.tokenToId(EOT) ?? startId;
  const zhTrain = writeShard(join(out, 'data', 'zh-train.bin'), tok, trainPoems, eos);
  const zhVal = writeShard(join(out, 'data', 'zh-val.bin'), tok, heldPoems, eos);
  const model = resizeVocab(base, tok.vocabSize);
  const embedDir = join(out, 'embed');
  prepareRunDir(embedDir, { model: baseDir, tokenizer: tokDir, from: base.config.vocabSize, seqLen: cfg.seqLen, train: loop(cfg.embed) }, false);
  await trainNewRows(model, base.config.vocabSize, {
    runDir: embedDir, config: loop(cfg.embed),
    openStream: (state) => shardStream([zhTrain], cfg.seqLen, cfg.embed.batchSize, cfg.seed, state),
    evalBatches: evalWindows([zhVal], cfg.seqLen, cfg.embed.batchSize, 4),
  }, quiet);
  model.save(join(embedDir, 'model'));
  copyTokenizer(tokDir, join(embedDir, 'model'));
  stages.embed = scores(model, tok);
  lap('embed');

  // Stage 2: everything, on the same poems (and, with englishShare, Brown documents replayed until
  // they make up that share of the tokens).
  const { englishShare, ...continuedLoop } = cfg.continued;
  let stage2Train = zhTrain;
  if (englishShare > 0) {
    const chinese = trainPoems.map((p) => tok.encode(p));
    const want = (englishShare / (1 - englishShare)) * chinese.reduce((n, ids) => n + ids.length + 1, 0);
    const w = new ShardWriter(join(out, 'data', 'zh-en-train.bin'), tok.vocabSize, eos);
    for (const ids of chinese) w.addDocument(ids);
    for (let i = 0, n = 0; n < want && i < englishTrain.length; i++) {
      const ids = tok.encode(englishTrain[i]);
      w.addDocument(ids);
      n += ids.length + 1;
    }
    w.close();
    stage2Train = w.path;
  }
  const continued = await pretrain({
    out: join(out, 'continued'), tokenizer: tokDir, data: { train: stage2Train, val: zhVal, seqLen: cfg.seqLen },
    model: { ...PRETRAIN_DEFAULTS.model, init: join(embedDir, 'model') }, train: loop(continuedLoop),
  }, { quiet });
  const pretrained = await loadPretrained(continued.model);
  stages.continued = scores(pretrained, tok);
  lap('continued');

  // Chinese SFT.
  const data = chineseSftData(trainPoems, { ...cfg.sft, seed: cfg.seed });
  const sftPath = join(out, 'data', 'sft.jsonl'), valPath = join(out, 'data', 'sft_val.jsonl');
  writeJsonl(sftPath, data.train);
  writeJsonl(valPath, data.val);
  writeJsonl(join(out, 'data', 'eval.jsonl'), data.eval);
  const accuracy: { before: AccuracyReport; after: AccuracyReport | null } = { before: await exactMatchAccuracy(pretrained, tok, data.eval), after: null };
  const tuned = await sft({
    ...SFT_DEFAULTS, out: join(out, 'sft'), model: continued.model, tokenizer: tokDir,
    data: { train: sftPath, val: valPath, maxLen: cfg.sft.maxLen, groupByLength: true, averageLossBy: 'token' },
    train: { ...loop(cfg.sft), evalBatches: 4 },
  }, { quiet });
  const chat = await loadPretrained(tuned.model);
  accuracy.after = await exactMatchAccuracy(chat, tok, data.eval);
  stages.sft = scores(chat, tok);
  lap('sft');

  const report: ChineseReport = {
    config: cfg, base: baseDir, seconds,
    vocabulary: { base: merge.baseVocab, merged: merge.mergedVocab, added: merge.added, chineseBpe: merge.chineseVocab, heldOutPoems: merge.heldOutPoems, tokensPerHanBefore: merge.before, tokensPerHanAfter: merge.after },
    stages, accuracy: { before: strip(accuracy.before), after: strip(accuracy.after) },
    samples: accuracy.after.samples.slice(0, 12),
  };
  mkdirSync(join(out, 'report'), { recursive: true });
  writeJsonAtomic(join(out, 'report', 'report.json'), report);
  writeFileAtomic(join(out, 'report', 'report.md'), chineseReportMarkdown(report));
  return report;
}

const strip = (r: AccuracyReport): Omit<AccuracyReport, 'samples'> => ({ accuracy: r.accuracy, correct: r.correct, total: r.total, byTask: r.byTask });

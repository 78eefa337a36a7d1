// The vocabulary-extension experiment: GPT-2 spends two to three tokens on most Chinese characters
// (each is three UTF-8 bytes, and few have merges). Train a byte-level BPE on classical Tang and Song
// poems (npm `chinese-poetry`, a devDependency), merge it into GPT-2's vocabulary with ids unchanged,
// and compare tokens per Chinese character on poems held out from training.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mergeBpe } from './extend.js';
import { trainBpe, type TrainProgress } from './trainer.js';
import type { Tokenizer } from './tokenizer.js';

export interface ChineseExtensionOptions {
  /** Vocabulary size of the Chinese BPE before merging. */
  vocabSize: number;
  /** Poem files (1000 poems each) of each dynasty to train on. */
  trainFiles: number;
  /** Poem files of each dynasty held out for evaluation (taken after the training files). */
  heldOutFiles: number;
  onProgress?: (p: TrainProgress) => void;
}

export const CHINESE_DEFAULTS: ChineseExtensionOptions = { vocabSize: 12000, trainFiles: 10, heldOutFiles: 1 };

export interface ChineseExtensionReport {
  trainPoems: number;
  heldOutPoems: number;
  heldOutChars: number;
  chineseVocab: number;
  added: number;
  present: number;
  unreachable: number;
  baseVocab: number;
  mergedVocab: number;
  /** Tokens per Chinese character on the held-out poems. */
  before: number;
  after: number;
  trainSeconds: number;
  tokenizer: Tokenizer;
}

/** The poem files of one dynasty (`poet.tang.0.json`, …) in numeric order. */
export function poemFiles(dynasty: 'tang' | 'song'): string[] {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('chinese-poetry/package.json')), 'dist', 'quantangshi');
  } catch {
    throw new Error('the npm package chinese-poetry is not installed (it is a devDependency: run npm install without --omit=dev)');
  }
  const num = (f: string) => Number(f.split('.')[2]);
  return readdirSync(dir)
    .filter((f) => f.startsWith(`poet.${dynasty}.`) && f.endsWith('.json'))
    .sort((a, b) => num(a) - num(b))
    .map((f) => join(dir, f));
}

/** Each poem as its lines joined by newlines. */
export function readPoems(files: string[]): string[] {
  return files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as Array<{ paragraphs: string[] }>).map((p) => p.paragraphs.join('\n')));
}

export function chineseExtension(base: Tokenizer, options: Partial<ChineseExtensionOptions> = {}): ChineseExtensionReport {
  const o = { ...CHINESE_DEFAULTS, ...options };
  const split = (files: string[]) => ({ train: files.slice(0, o.trainFiles), heldOut: files.slice(o.trainFiles, o.trainFiles + o.heldOutFiles) });
  const tang = split(poemFiles('tang'));
  const song = split(poemFiles('song'));
  const train = readPoems([...tang.train, ...song.train]);
  const heldOut = readPoems([...tang.heldOut, ...song.heldOut]);
  const t0 = performance.now();
  const chinese = trainBpe(train, { vocabSize: o.vocabSize, specialTokens: [], onProgress: o.onProgress });
  const trainSeconds = (performance.now() - t0) / 1000;
  const merged = mergeBpe(base, chinese);
  const chars = heldOut.reduce((n, p) => n + (p.match(/\p{Script=Han}/gu)?.length ?? 0), 0);
  const perChar = (tok: Tokenizer) => heldOut.reduce((n, p) => n + tok.encode(p).length, 0) / chars;
  return {
    trainPoems: train.length,
    heldOutPoems: heldOut.length,
    heldOutChars: chars,
    chineseVocab: chinese.vocabSize,
    added: merged.added,
    present: merged.present,
    unreachable: merged.unreachable,
    baseVocab: base.vocabSize,
    mergedVocab: merged.tokenizer.vocabSize,
    before: perChar(base),
    after: perChar(merged.tokenizer),
    trainSeconds,
    tokenizer: merged.tokenizer,
  };
}

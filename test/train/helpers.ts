// Shared by the training tests: token shards of seeded pseudo-text (bytes as tokens), tiny
// pretraining configs, and temporary folders.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { ShardWriter } from '../../src/data/shards.js';
import { PRETRAIN_DEFAULTS, type PretrainConfig } from '../../src/train/config.js';

export const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), `rlhf-${prefix}-`));

const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'big', 'red', 'house', 'in', 'sun'];

/** Sentences of random words, as UTF-8 bytes: vocabulary 257 with end-of-document 256. */
export function writeByteShard(path: string, docs: number, seed: number): void {
  const rng = new Rng(seed);
  const w = new ShardWriter(path, 257, 256);
  for (let d = 0; d < docs; d++) {
    const words = Array.from({ length: 20 + rng.int(40) }, () => WORDS[rng.int(WORDS.length)]);
    w.addDocument(new TextEncoder().encode(words.join(' ') + '.'));
  }
  w.close();
}

/** train.bin and val.bin in a fresh folder. */
export function byteShards(): { dir: string; train: string; val: string } {
  const dir = tmp('shards');
  writeByteShard(join(dir, 'train.bin'), 60, 1);
  writeByteShard(join(dir, 'val.bin'), 8, 2);
  return { dir, train: join(dir, 'train.bin'), val: join(dir, 'val.bin') };
}

/** A 2-layer, 32-wide byte model on the given shards. */
export function tinyPretrain(out: string, shards: { train: string; val: string }, train: Partial<PretrainConfig['train']> = {}): PretrainConfig {
  return {
    ...structuredClone(PRETRAIN_DEFAULTS),
    out,
    data: { train: shards.train, val: shards.val, seqLen: 32 },
    model: { ...PRETRAIN_DEFAULTS.model, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, maxPositions: 64 },
    train: { ...PRETRAIN_DEFAULTS.train, steps: 20, batchSize: 4, lr: 3e-3, warmupSteps: 2, evalEvery: 10, evalBatches: 2, saveEvery: 5, logEvery: 1, ...train },
  };
}

// Pretraining batches from token shards: the seeded, resumable TokenLoader for training, and a
// fixed, in-order sweep of the held-out shards for evaluation (every step evaluates the same
// windows, so losses are comparable across steps and against the bigram baseline).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ShardReader } from '../data/shards.js';
import { TokenLoader, type LoaderState } from '../data/loader.js';
import type { LmBatch } from './lm.js';
import type { BatchStream } from './loop.js';

/** Shard files from "a.bin,b.bin" or a folder (every *.bin in it, sorted). */
export function shardPaths(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!existsSync(part)) throw new Error(`token shards: ${part} does not exist`);
    if (statSync(part).isDirectory()) {
      const bins = readdirSync(part).filter((f) => f.endsWith('.bin')).sort();
      if (!bins.length) throw new Error(`token shards: no *.bin files in ${part}`);
      out.push(...bins.map((f) => join(part, f)));
    } else out.push(part);
  }
  return out;
}

/** Vocabulary size and end-of-document id shared by the shards (they must agree). */
export function shardVocab(paths: string[]): { vocabSize: number; eosId: number | null } {
  let vocabSize = -1, eos = -1;
  for (const p of paths) {
    const r = new ShardReader(p);
    const h = r.header;
    r.close();
    if (vocabSize >= 0 && (h.vocabSize !== vocabSize || h.eosId !== eos)) throw new Error(`${p}: vocabulary ${h.vocabSize} / eos ${h.eosId} differs from ${paths[0]} (${vocabSize} / ${eos}); pack every shard with the same tokenizer`);
    vocabSize = h.vocabSize;
    eos = h.eosId;
  }
  return { vocabSize, eosId: eos === 0xffffffff ? null : eos };
}

/** The training stream: TokenLoader batches as LmBatch, resumable from its state. */
export function shardStream(paths: string[], seqLen: number, batchSize: number, seed: number, state?: unknown): BatchStream<LmBatch> {
  const loader = TokenLoader.open(paths, { seqLen, batchSize, seed }, state as LoaderState | undefined);
  return {
    next(): LmBatch {
      const { x, y } = loader.next();
      return { ids: x, targets: y, mask: null, B: batchSize, T: seqLen };
    },
    state: () => loader.state(),
    close: () => loader.close(),
  };
}

/** Consecutive windows of seqLen + 1 tokens (stride seqLen) from the start of the held-out shards,
 * in batches of at most batchSize; maxBatches 0 takes every window. */
export function evalWindows(paths: string[], seqLen: number, batchSize: number, maxBatches: number): LmBatch[] {
  const windows: Int32Array[] = [];
  const limit = maxBatches > 0 ? maxBatches * batchSize : Infinity;
  for (const p of paths) {
    const r = new ShardReader(p);
    try {
      for (let start = 0; start + seqLen + 1 <= r.numTokens && windows.length < limit; start += seqLen) windows.push(r.read(start, seqLen + 1));
    } finally {
      r.close();
    }
  }
  if (!windows.length) throw new Error(`held-out shards (${paths.join(', ')}) hold no window of ${seqLen + 1} tokens`);
  const batches: LmBatch[] = [];
  for (let i = 0; i < windows.length; i += batchSize) {
    const rows = windows.slice(i, i + batchSize);
    const ids = new Int32Array(rows.length * seqLen), targets = new Int32Array(rows.length * seqLen);
    rows.forEach((w, b) => {
      ids.set(w.subarray(0, seqLen), b * seqLen);
      targets.set(w.subarray(1), b * seqLen);
    });
    batches.push({ ids, targets, mask: null, B: rows.length, T: seqLen });
  }
  return batches;
}

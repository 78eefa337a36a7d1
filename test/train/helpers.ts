// Shared by the training tests: token shards of seeded pseudo-text (bytes as tokens), tiny
// pretraining configs, a tiny chat model, temporary folders, and the exact-resumption check every
// trainer passes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { ShardWriter } from '../../src/data/shards.js';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { PRETRAIN_DEFAULTS, type PretrainConfig } from '../../src/train/config.js';
import { readMetrics } from '../../src/train/metrics.js';

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

const CHAT_TEXTS = ['What is 2 + 3? 5', 'Reverse: cat dog. dog cat', 'Uppercase: sun. SUN', 'the cat sat on the mat', 'a good day for a walk'];

/** A byte-level BPE with the ChatML specials and a 1-layer, 16-wide model on it, saved together in
 * a fresh folder: what SFT, the reward model, DPO and the policy methods start from. */
export function tinyChatModel(): string {
  const dir = tmp('tiny-chat');
  const tok = trainBpe(CHAT_TEXTS, { vocabSize: 300, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS], config: { eosToken: '<|endoftext|>', padToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE } });
  const cfg = modelConfig({ vocabSize: tok.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 128, bosTokenId: null, eosTokenId: tok.tokenToId('<|im_end|>')! });
  new CausalLM(cfg, { seed: 7 }).save(dir);
  saveTokenizer(tok, dir);
  return dir;
}

export function writeJsonlFile(path: string, rows: unknown[]): string {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/** Runs a trainer to its end, then again as if it had been killed right after its checkpoint of
 * step `after` (newer checkpoints and the final outputs removed) with resume: the metrics records
 * (wall-clock timings aside) and the output files must come out the same, byte for byte. */
export async function assertExactResume(runDir: string, after: number, outputs: string[], run: (resume: boolean) => Promise<unknown>): Promise<void> {
  await run(false);
  const timing = (k: string): boolean => /S$|tokS/.test(k);
  const records = (): Record<string, unknown>[] => readMetrics(join(runDir, 'metrics.jsonl')).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !timing(k))));
  const whole = records();
  const files = outputs.map((f) => readFileSync(join(runDir, f)));
  const later = listCheckpoints(runDir).filter((c) => c.step > after);
  assert.ok(later.length > 0 && listCheckpoints(runDir).some((c) => c.step === after), `checkpoints: ${listCheckpoints(runDir).map((c) => c.step).join(', ')}`);
  for (const c of later) rmSync(c.dir, { recursive: true });
  for (const f of outputs) rmSync(join(runDir, f.split('/')[0]), { recursive: true, force: true });
  await run(true);
  assert.deepEqual(records(), whole, 'the resumed run logs what the whole run logged');
  outputs.forEach((f, i) => assert.ok(readFileSync(join(runDir, f)).equals(files[i]), `${f} differs after resuming`));
}

// Tokenizer hot paths on the Brown corpus (6 MB, 500 documents), one thread:
//   bpe_encode_mb_s_gpt2           our GPT-2 encode, steady state (warm piece cache)
//   bpe_encode_mb_s_gpt2_cold      the same with an empty cache each pass
//   bpe_encode_mb_s_js_tiktoken    js-tiktoken's gpt2, same text, same run (baseline)
//   bpe_encode_mb_s_tiktoken_wasm  tiktoken (Rust compiled to wasm), same text, same run (baseline)
//   bpe_train_s_brown_8k           training an 8192-token byte-level BPE on all of Brown
import { getEncoding } from 'js-tiktoken';
import { get_encoding } from 'tiktoken';
import { brownDocuments } from '../src/data/brown.js';
import { fromTiktoken, trainBpe } from '../src/tokenizer/index.js';
import type { Bench } from './harness.js';

export const prefixes = ['bpe'];

export async function run(b: Bench): Promise<void> {
  const docs = [...brownDocuments()].map((d) => d.text);
  const mb = docs.reduce((n, d) => n + Buffer.byteLength(d), 0) / 1e6;
  const note = `Brown, ${mb.toFixed(2)} MB, ${docs.length} documents`;
  const mbPerS = (ms: number) => mb / (ms / 1000);

  if (b.wants('bpe_encode')) {
    const ours = fromTiktoken('gpt2');
    b.record('bpe_encode_mb_s_gpt2', mbPerS(b.time(() => docs.forEach((d) => ours.encode(d)), { warmup: 1, reps: 5 })), note);
    const fresh = Array.from({ length: 3 }, () => fromTiktoken('gpt2'));
    const coldMs = fresh.map((tok) => {
      const t0 = performance.now();
      docs.forEach((d) => tok.encode(d));
      return performance.now() - t0;
    });
    b.record('bpe_encode_mb_s_gpt2_cold', mbPerS(coldMs.sort((x, y) => x - y)[1]), 'empty piece cache each pass');
    const js = getEncoding('gpt2');
    b.record('bpe_encode_mb_s_js_tiktoken', mbPerS(b.time(() => docs.forEach((d) => js.encode(d, [], [])), { warmup: 1, reps: 3 })), 'js-tiktoken 1.0.21');
    const wasm = get_encoding('gpt2');
    b.record('bpe_encode_mb_s_tiktoken_wasm', mbPerS(b.time(() => docs.forEach((d) => wasm.encode_ordinary(d)), { warmup: 1, reps: 3 })), 'tiktoken 1.0.22 (wasm)');
    wasm.free();
  }

  if (b.wants('bpe_train')) {
    const ms = b.time(() => void trainBpe(docs, { vocabSize: 8192 }), { warmup: 0, reps: 3 });
    b.record('bpe_train_s_brown_8k', ms / 1000, 'count pieces + 7935 merges, target < 20 s');
  }
}

// Held-out perplexity of int8 and bf16 inference against float32, on a model trained here: a
// byte-level LLaMA-style decoder (4 layers, width 192, vocabulary 256) trained for 200 AdamW steps
// of 8 × 128 bytes on Brown's documents, then scored on 64 windows of 128 bytes from documents it
// never saw, each window one fused-decoder forward (all positions) per weight storage.
// Keys: ppl_f32_brown, ppl_int8_brown, ppl_bf16_brown, ppl_delta_int8 and ppl_delta_bf16
// (relative change of perplexity; goal |Δ| ≤ 0.01), quant_train_s (the training, not a score).
import type { Bench } from './harness.js';
import { Rng } from '../src/engine/rng.js';
import { Tensor } from '../src/engine/tensor.js';
import { brownDocuments } from '../src/data/brown.js';
import { AdamW } from '../src/nn/index.js';
import { CausalLM, FusedDecoder, KVCache, modelConfig, nextTokenLoss } from '../src/models/index.js';

export const prefixes = ['ppl', 'quant'];

const T = 128, B = 8, STEPS = 200, EVAL_WINDOWS = 64;
const CONFIG = modelConfig({ vocabSize: 256, hiddenSize: 192, numLayers: 4, numHeads: 4, intermediateSize: 512, maxPositions: T, bosTokenId: null, eosTokenId: null });

/** Perplexity of `windows` under the decoder: exp(mean next-byte cross-entropy). */
function perplexity(decoder: FusedDecoder, windows: Int32Array[]): number {
  let nll = 0, count = 0;
  for (const w of windows) {
    const logits = decoder.forward(w, 1, T, new KVCache(CONFIG, 1, T), { allPositions: true });
    for (let t = 0; t < T - 1; t++) {
      const row = logits.subarray(t * 256, (t + 1) * 256);
      let max = -Infinity, sum = 0;
      for (const v of row) max = Math.max(max, v);
      for (const v of row) sum += Math.exp(v - max);
      nll += Math.log(sum) + max - row[w[t + 1]];
      count++;
    }
  }
  return Math.exp(nll / count);
}

export async function run(b: Bench): Promise<void> {
  const docs = [...brownDocuments()].map((d) => Buffer.from(d.text, 'utf8'));
  const heldOut = docs.splice(docs.length - docs.length / 10); // the last tenth, never trained on
  const rng = new Rng(17);
  const window = (pool: Buffer[]): Int32Array => {
    let doc: Buffer;
    do doc = pool[rng.int(pool.length)]; while (doc.length <= T);
    const at = rng.int(doc.length - T);
    return Int32Array.from(doc.subarray(at, at + T));
  };
  const model = new CausalLM(CONFIG, { seed: 3 });
  const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
  const t0 = performance.now();
  for (let step = 0; step < STEPS; step++) {
    const ids = new Int32Array(B * T);
    for (let i = 0; i < B; i++) ids.set(window(docs), i * T);
    const batch = new Tensor(ids, [B, T]);
    nextTokenLoss(model.forward(batch), batch).backward();
    opt.update();
    model.zeroGrad();
  }
  model.eval();
  b.record('quant_train_s', (performance.now() - t0) / 1000, `${STEPS} steps of ${B}×${T} bytes, ${(model.numParameters() / 1e6).toFixed(1)}M parameters`);
  const windows = Array.from({ length: EVAL_WINDOWS }, () => window(heldOut));
  const ppl = new Map((['f32', 'int8', 'bf16'] as const).map((dtype) => [dtype, perplexity(new FusedDecoder(model, dtype), windows)]));
  const f32 = ppl.get('f32')!;
  b.record('ppl_f32_brown', f32, `held-out Brown bytes, ${EVAL_WINDOWS} windows of ${T}`);
  for (const dtype of ['int8', 'bf16'] as const) {
    b.record(`ppl_${dtype}_brown`, ppl.get(dtype)!);
    const delta = ppl.get(dtype)! / f32 - 1;
    b.record(`ppl_delta_${dtype}`, delta, `${(100 * delta).toFixed(3)}% of f32's (goal |Δ| ≤ 1%)`);
  }
}

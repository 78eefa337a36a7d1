// Vocabulary resizing (new special tokens for chat templates): a new model whose token embedding
// and untied LM head have `vocabSize` rows. Kept rows are copied; new rows are the mean of the old
// ones, so new tokens start as an "average" token instead of noise (Hewitt's recipe, which keeps
// the LM's distribution nearly unchanged).
import { CausalLM } from './causal-lm.js';
import { ScalarHeadModel } from './scalar-head.js';
import type { Tensor } from '../engine/tensor.js';

function copyRows(dst: Tensor, src: Tensor): void {
  const [V, C] = src.shape, keep = Math.min(V, dst.shape[0]);
  dst.f.set(src.f.subarray(0, keep * C));
  if (dst.shape[0] <= V) return;
  const mean = new Float64Array(C);
  for (let r = 0; r < V; r++) for (let c = 0; c < C; c++) mean[c] += src.data[r * C + c];
  for (let r = V; r < dst.shape[0]; r++) for (let c = 0; c < C; c++) dst.data[r * C + c] = mean[c] / V;
}

/** A copy of `model` with `vocabSize` token rows (growing or shrinking); other weights are copied
 * unchanged. Build optimizers after resizing: the parameters are new tensors. */
export function resizeVocab<M extends CausalLM | ScalarHeadModel>(model: M, vocabSize: number): M {
  const config = { ...model.config, vocabSize };
  const out = (model instanceof CausalLM ? new CausalLM(config) : new ScalarHeadModel(config)) as M;
  const old = model.namedParameters();
  for (const [name, p] of out.namedParameters()) {
    const src = old.get(name)!;
    if (name === 'model.embed_tokens.weight' || name === 'lm_head.weight') copyRows(p, src);
    else p.f.set(src.f);
  }
  out.generationConfig = { ...model.generationConfig };
  out.train(model.training);
  return out;
}

// Held-out perplexity of texts under a model and its tokenizer, per token and per character. Per
// token depends on the tokenizer (a text in more, easier tokens scores lower); per character,
// exp(total NLL / characters), does not, so it compares a model before and after its vocabulary
// grew. Each text is scored from an end-of-text token, in windows of seqLen targets (the first
// window's context is the end-of-text token, each later one's the tokens before it in the window).
import { noGrad } from '../engine/autograd.js';
import { Tensor } from '../engine/tensor.js';
import { crossEntropy, reshape } from '../engine/ops/index.js';
import type { CausalLM } from '../models/index.js';
import type { Tokenizer } from '../tokenizer/index.js';

export interface TextPerplexity {
  texts: number;
  tokens: number;
  chars: number;
  /** Mean NLL per token, and perplexities per token and per character. */
  loss: number;
  pplToken: number;
  pplChar: number;
  tokensPerChar: number;
}

/** Scores every token of `texts` (pads excluded), batchSize windows at a time. */
export function textPerplexity(model: CausalLM, tok: Tokenizer, texts: string[], { seqLen, batchSize = 8, startId }: { seqLen: number; batchSize?: number; startId: number }): TextPerplexity {
  const windows: number[][] = [];
  let tokens = 0, chars = 0;
  for (const text of texts) {
    const ids = [startId, ...tok.encode(text)];
    tokens += ids.length - 1;
    chars += [...text].length;
    for (let at = 0; at < ids.length - 1; at += seqLen) windows.push(ids.slice(at, at + seqLen + 1));
  }
  let nll = 0;
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let i = 0; i < windows.length; i += batchSize) {
      const rows = windows.slice(i, i + batchSize);
      const T = Math.max(...rows.map((r) => r.length)) - 1, B = rows.length;
      const ids = new Int32Array(B * T), mask = new Int32Array(B * T), targets = new Int32Array(B * T).fill(-100);
      rows.forEach((r, b) => {
        for (let t = 0; t < r.length - 1; t++) {
          ids[b * T + t] = r[t];
          mask[b * T + t] = 1;
          targets[b * T + t] = r[t + 1];
        }
      });
      const logits = model.forward(new Tensor(ids, [B, T]), { attentionMask: mask });
      nll += crossEntropy(reshape(logits, [B * T, logits.shape[2]]), targets, { ignoreIndex: -100, reduction: 'sum' }).item();
    }
  });
  model.train(wasTraining);
  return { texts: texts.length, tokens, chars, loss: nll / tokens, pplToken: Math.exp(nll / tokens), pplChar: Math.exp(nll / chars), tokensPerChar: tokens / chars };
}

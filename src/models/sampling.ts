// Choosing the next token from one row of logits: repetition penalty, then greedy argmax or
// temperature sampling restricted by top-k and top-p (nucleus), in the order Hugging Face applies
// its logits processors and warpers. Each function works in place on a [V] row.
import type { Rng } from '../engine/rng.js';

/** CTRL's penalty (Keskar et al. 2019), as transformers applies it: a logit of a token already in
 * the sequence is divided by `penalty` when positive and multiplied by it when negative. */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const t of seen) logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty;
}

export function argmax(x: Float32Array): number {
  let best = 0, bestValue = x[0];
  for (let i = 1; i < x.length; i++) if (x[i] > bestValue) { bestValue = x[i]; best = i; }
  return best;
}

/** The k-th largest value of x (k ≥ 1), by quickselect on a copy. */
function kthLargest(x: Float32Array, k: number): number {
  const a = Float32Array.from(x);
  let lo = 0, hi = a.length - 1;
  const want = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else break;
  }
  return a[want];
}

export interface SamplerOptions { temperature: number; topK: number; topP: number }

/** Factual-nucleus sampling (Lee et al. 2022, "Factuality Enhanced Language Models for Open-Ended
 * Text Generation", §5): the nucleus mass is topP at the start of every sentence and shrinks by
 * `decay` with each token inside it, p_t = max(floor, topP · decay^t) for the t-th token since the
 * sentence began, so a sentence opens with variety and its later tokens (names, numbers: where
 * facts sit) come from ever more likely choices. `sentenceEndIds` are the tokens that end one. */
export interface FactualNucleus {
  /** λ in (0, 1]: the per-token decay (the paper's 0.9). */
  decay: number;
  /** ω in (0, 1]: the lowest nucleus mass (the paper's 0.3). */
  floor: number;
  sentenceEndIds: readonly number[];
}

/** The nucleus mass for a token `sinceStart` tokens into its sentence (never above topP, so a
 * floor above it changes nothing). */
export function factualTopP(topP: number, f: Pick<FactualNucleus, 'decay' | 'floor'>, sinceStart: number): number {
  return Math.min(topP, Math.max(f.floor, topP * f.decay ** sinceStart));
}

/** Token ids whose text ends a sentence: ends in . ! ? … 。！？ (after closing quotes or brackets),
 * or holds a line break. `decode` gives one token's text. */
export function sentenceEndIds(vocabSize: number, decode: (id: number) => string): number[] {
  const out: number[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const t = decode(id);
    if (/\n/.test(t) || /[.!?…。！？][\s"'”’)\]]*$/u.test(t.trimEnd())) out.push(id);
  }
  return out;
}

/** Samples from softmax(logits / temperature) after top-k and top-p filtering. `logits` is used as
 * scratch. Ties at the top-k threshold are all kept, as transformers does. */
export function sampleToken(logits: Float32Array, { temperature, topK, topP }: SamplerOptions, rng: Rng): number {
  const V = logits.length;
  const threshold = topK > 0 && topK < V ? kthLargest(logits, topK) : -Infinity;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] >= threshold && logits[i] > max) max = logits[i];
  // Unnormalised probabilities in place; filtered tokens get 0.
  let total = 0;
  for (let i = 0; i < V; i++) {
    const p = logits[i] >= threshold ? Math.exp((logits[i] - max) / temperature) : 0;
    logits[i] = p;
    total += p;
  }
  if (topP < 1) {
    // A token with probability below (1 − p)/(V − 1) can never be inside the nucleus (llama2.c's
    // cut), so only the few above it need sorting.
    const floor = ((1 - topP) / (V - 1)) * total;
    const candidates: number[] = [];
    for (let i = 0; i < V; i++) if (logits[i] >= floor && logits[i] > 0) candidates.push(i);
    candidates.sort((a, b) => logits[b] - logits[a] || a - b);
    let cum = 0, keep = 0;
    while (keep < candidates.length && cum < topP * total) cum += logits[candidates[keep++]];
    let u = rng.uniform() * cum;
    for (let j = 0; j < keep; j++) {
      u -= logits[candidates[j]];
      if (u < 0) return candidates[j];
    }
    return candidates[keep - 1];
  }
  return rng.categorical(logits);
}

// Sparse mixture of experts (Mixtral's block_sparse_moe): a softmax router picks the top-k experts
// per token, their outputs are mixed with the renormalised router weights, and the standard
// load-balancing loss (Switch Transformer, as Hugging Face computes it) keeps experts in use.
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { add, concat, div, indexSelect, matmul, mul, reshape, scale, scatterAddRows, softmax, sum } from '../engine/ops/index.js';
import { Linear, Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { Expert } from './mlp.js';

/** What the load-balancing loss needs from one layer's router. */
export interface RouterStats {
  /** Router probabilities over all experts, [N, E] (N = B·T tokens). */
  probs: Tensor;
  /** The k experts each token went to, [N·k], best first. */
  selected: Int32Array;
}

/** The k largest of `values[offset .. offset+n)`, best first; ties keep the lower index. */
export function topK(values: ArrayLike<number>, offset: number, n: number, k: number, out: Int32Array, outOffset: number): void {
  for (let j = 0; j < k; j++) {
    let best = -1;
    for (let e = 0; e < n; e++) {
      let taken = false;
      for (let i = 0; i < j; i++) if (out[outOffset + i] === e) taken = true;
      if (!taken && (best < 0 || values[offset + e] > values[offset + best])) best = e;
    }
    out[outOffset + j] = best;
  }
}

export class SparseMoe extends Module {
  readonly gate: Linear;
  readonly experts: Expert[];

  constructor(readonly cfg: ModelConfig, rng: Rng) {
    super();
    this.gate = this.child('gate', new Linear(cfg.hiddenSize, cfg.numExperts, { bias: false, rng }));
    this.experts = Array.from({ length: cfg.numExperts }, (_, e) => this.child(`experts.${e}`, new Expert(cfg, rng)));
  }

  /** x [..., C] → same shape, plus the router's statistics. */
  forward(x: Tensor): { out: Tensor; router: RouterStats } {
    const C = this.cfg.hiddenSize, E = this.cfg.numExperts, k = this.cfg.expertsPerToken;
    const N = x.size / C;
    const flat = reshape(x, [N, C]);
    const probs = softmax(this.gate.forward(flat)); // [N, E]
    const selected = new Int32Array(N * k);
    for (let n = 0; n < N; n++) topK(probs.data, n * E, E, k, selected, n * k);
    // Renormalise the k chosen probabilities to sum to 1 (differentiable through the router).
    const chosen = reshape(indexSelect(reshape(probs, [N * E]), 0, selected.map((e, s) => Math.floor(s / k) * E + e)), [N, k]);
    const weights = reshape(div(chosen, sum(chosen, 1, true)), [N * k]);
    const parts: Tensor[] = [], targets: number[] = [];
    for (let e = 0; e < E; e++) {
      const slots: number[] = [];
      selected.forEach((s, i) => { if (s === e) slots.push(i); });
      if (!slots.length) continue;
      const tokens = Int32Array.from(slots, (s) => Math.floor(s / k));
      const y = this.experts[e].forward(indexSelect(flat, 0, tokens)); // [n_e, C]
      parts.push(mul(y, reshape(indexSelect(weights, 0, Int32Array.from(slots)), [slots.length, 1])));
      targets.push(...tokens);
    }
    const out = scatterAddRows(concat(parts, 0), Int32Array.from(targets), N);
    return { out: reshape(out, x.shape), router: { probs, selected } };
  }
}

/** Hugging Face's load_balancing_loss_func over all layers' tokens (pads excluded by `tokenMask`
 * [N], 1 = real): E · Σ_e f_e · P_e, where f_e is the fraction of (token, choice) slots routed to
 * expert e summed over the k choices, and P_e the mean router probability of e. Only P carries a
 * gradient. Returns a scalar. */
export function loadBalancingLoss(stats: RouterStats[], E: number, k: number, tokenMask: Int32Array | null): Tensor {
  const N = stats[0].probs.shape[0];
  const m = Tensor.zeros([1, N]);
  let real = 0;
  for (let n = 0; n < N; n++) real += m.data[n] = tokenMask ? (tokenMask[n] ? 1 : 0) : 1;
  const total = real * stats.length;
  const f = Tensor.zeros([1, E]);
  for (const s of stats) s.selected.forEach((e, i) => { f.data[e] += m.data[Math.floor(i / k)] / total; });
  let probSum: Tensor | null = null;
  for (const s of stats) {
    const layerSum = matmul(m, s.probs); // [1, E]: Σ_n m_n · probs[n]
    probSum = probSum ? add(probSum, layerSum) : layerSum;
  }
  return scale(sum(mul(probSum!, f)), total > 0 ? E / total : 0);
}

/** Expert usage accumulated over training forwards: tokens routed to each expert of each MoE layer
 * (pads excluded; a token counts once for each of its k experts) and the router's mean entropy. */
export class ExpertUsage {
  private counts: Float64Array | null = null;
  private entropySum = 0;
  private tokens = 0;

  constructor(readonly E: number, readonly k: number) {}

  /** Adds one forward's router statistics (`tokenMask` [N], 1 = real, null = all real). */
  add(stats: RouterStats[], tokenMask: Int32Array | null): void {
    const E = this.E, k = this.k;
    this.counts ??= new Float64Array(stats.length * E);
    stats.forEach((s, l) => {
      const N = s.probs.shape[0], p = s.probs.data;
      for (let n = 0; n < N; n++) {
        if (tokenMask && !tokenMask[n]) continue;
        for (let j = 0; j < k; j++) this.counts![l * E + s.selected[n * k + j]]++;
        let h = 0;
        for (let e = 0; e < E; e++) if (p[n * E + e] > 0) h -= p[n * E + e] * Math.log(p[n * E + e]);
        this.entropySum += h;
        if (l === 0) this.tokens++;
      }
    });
  }

  /** The figures since the last call, then starts over (null when no token was routed):
   * tokensPerExpert — one list per layer; loadMax — the busiest expert's tokens over the fair share
   * k/E of them (1 = perfectly even; E/k = one expert takes everything); routerEntropy — the mean
   * entropy of the router's distribution in nats (ln E = uniform). */
  take(): ExpertLoad | null {
    if (!this.counts || !this.tokens) return null;
    const E = this.E, layers = this.counts.length / E;
    const tokensPerExpert = Array.from({ length: layers }, (_, l) => Array.from(this.counts!.subarray(l * E, (l + 1) * E)));
    const out = {
      tokensPerExpert,
      loadMax: Math.max(...tokensPerExpert.flat()) / ((this.tokens * this.k) / E),
      routerEntropy: this.entropySum / (this.tokens * layers),
    };
    this.counts = null;
    this.entropySum = 0;
    this.tokens = 0;
    return out;
  }
}

export interface ExpertLoad {
  /** Tokens sent to each expert, one list per layer (a token counts once per chosen expert). */
  tokensPerExpert: number[][];
  /** The busiest expert's tokens over the fair share (1 = even). */
  loadMax: number;
  /** Mean router entropy (nats; ln E is uniform). */
  routerEntropy: number;
}

/** An ExpertLoad as flat training metrics: expertTokens.<layer>.<expert>, expertLoadMax,
 * routerEntropy (empty for null). */
export function expertLoadMetrics(load: ExpertLoad | null): Record<string, number> {
  if (!load) return {};
  const out: Record<string, number> = { expertLoadMax: load.loadMax, routerEntropy: load.routerEntropy };
  load.tokensPerExpert.forEach((row, l) => row.forEach((n, e) => { out[`expertTokens.${l}.${e}`] = n; }));
  return out;
}

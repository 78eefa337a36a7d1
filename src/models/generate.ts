// Autoregressive generation with a KV cache: prompts are left-padded into one batch, a prefill
// pass fills the cache, then each step feeds one token per row and attends over the cache. Each
// sampled token comes back with its log-probability (PPO's "old log-probs"). Prompt plus new
// tokens stay within the model's context: the batch stops with finish reason "length" when its
// longest prompt reaches maxPositions, and a request is refused before anything is computed when
// the prompt leaves no room or the KV cache could not fit in memory.
import { totalmem } from 'node:os';
import { kernels } from '../engine/backend.js';
import { noGrad } from '../engine/autograd.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import type { WeightDtype } from '../engine/kernels.js';
import { linear, reshape, sliceAxis } from '../engine/ops/index.js';
import { eosIds } from './config.js';
import type { CausalLM } from './causal-lm.js';
import { FusedDecoder, fusedDecodeUnsupported } from './fast-decode.js';
import { KVCache, type KVStore } from './kv-cache.js';
import { applyRepetitionPenalty, argmax, factualTopP, sampleToken, type FactualNucleus } from './sampling.js';

export interface GenerateOptions {
  /** New tokens per prompt at most (default: generation_config's max_new_tokens, else 16); fewer
   * when the longest prompt plus this many would pass the model's context (maxPositions). */
  maxNewTokens?: number;
  /** 0 = greedy (default, unless generation_config samples); > 0 samples from softmax(logits/T). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = off). */
  topP?: number;
  /** Factual-nucleus sampling: top-p decays within each sentence and resets at its start (see
   * sampling.ts; needs temperature > 0). */
  factualNucleus?: FactualNucleus;
  /** > 1 discourages tokens already in the prompt or the output (1 = off). */
  repetitionPenalty?: number;
  /** A row stops after emitting one of these (default: the model's eos ids); the stop token is
   * included in its output. */
  stopTokenIds?: number[];
  /** Seed of the sampling RNG (default 0): the same seed gives the same tokens. */
  seed?: number;
  /** Id used for left padding (default: pad, else eos, else 0); never attended to. */
  padTokenId?: number;
  /** Called for every new token as soon as it is chosen; generation yields to the event loop
   * between steps when given. */
  onToken?: (row: number, token: number, logprob: number) => void;
  /** Weights the decoding runs on: 'f32' (default, the model's own), 'bf16' or 'int8' (packed at
   * the start of the call; see quantize.ts). */
  dtype?: WeightDtype;
  /** false: the op-by-op forward (the fused decoder's specification) instead of the fused decoder
   * (fast-decode.ts); mixture-of-experts models always take it. */
  fused?: boolean;
  /** A fused decoder made for this model, reused across calls (its dtype wins). */
  decoder?: FusedDecoder;
}

export interface GenerateOutput {
  /** The new tokens of each prompt (stop token included). */
  tokens: number[][];
  /** log p(token) under softmax(logits / T) (T = 1 when greedy), before top-k, top-p and the
   * repetition penalty: what a trainer recomputes from the same model. */
  logprobs: number[][];
  finishReasons: ('stop' | 'length')[];
}

/** Logits of the last position only [B, V]: prefill never pays the LM head for the whole prompt. */
export function lastLogits(model: CausalLM, hidden: Tensor): Tensor {
  const [B, T, C] = hidden.shape;
  return linear(reshape(sliceAxis(hidden, 1, T - 1, T), [B, C]), model.headWeight);
}

/** The fused decoder a generation of `rows` sequences and `steps` new tokens should use, or null for
 * the op-by-op forward; throws when int8 or bf16 weights are asked of a model the fused decoder
 * cannot run. */
export function decoderFor(model: CausalLM, opts: { dtype?: WeightDtype; fused?: boolean; decoder?: FusedDecoder },
  rows = 1, steps = 1): FusedDecoder | null {
  if (opts.decoder) return opts.decoder;
  const dtype = opts.dtype ?? 'f32', why = fusedDecodeUnsupported(model.config);
  if (dtype !== 'f32' && (why || opts.fused === false)) throw new Error(`${dtype} weights need the fused decoder${why ? `, which does not run ${why}` : ''}`);
  // A packed copy of float32 weights pays for itself once decode steps have several rows; one row
  // reads the weights in place.
  return why || opts.fused === false ? null : new FusedDecoder(model, dtype, { packF32: rows >= 2 && steps >= 2 });
}

/** One cached forward of ids [B·T] (mask [B·T] or null): logits [B, V] of each row's last position,
 * through the fused decoder when given, else DecoderModel.forward + lastLogits. */
export function cachedLogits(model: CausalLM, decoder: FusedDecoder | null, ids: Int32Array, B: number, T: number, cache: KVStore,
  mask: Int32Array | null, prefixLen: Int32Array | null): Float32Array {
  if (decoder) return decoder.forward(ids, B, T, cache, { mask, prefixLen });
  return noGrad(() => lastLogits(model, model.model.forward({ ids, B, T }, { attentionMask: mask, cache, prefixLen }).hidden)).f;
}

export async function generate(model: CausalLM, promptIds: number[][], opts: GenerateOptions = {}): Promise<GenerateOutput> {
  const cfg = model.config, gen = model.generationConfig;
  const maxNewTokens = opts.maxNewTokens ?? gen.maxNewTokens ?? 16;
  const temperature = opts.temperature ?? gen.temperature ?? 0;
  const topK = opts.topK ?? gen.topK ?? 0, topP = opts.topP ?? gen.topP ?? 1;
  const penalty = opts.repetitionPenalty ?? gen.repetitionPenalty ?? 1;
  const eos = gen.eosTokenId !== undefined ? eosIds({ ...cfg, eosTokenId: gen.eosTokenId }) : eosIds(cfg);
  const stops = new Set(opts.stopTokenIds ?? eos);
  const pad = opts.padTokenId ?? gen.padTokenId ?? cfg.padTokenId ?? eos[0] ?? 0;
  if (!(temperature >= 0)) throw new RangeError(`generate: temperature must be ≥ 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`generate: topP must be in (0, 1], got ${topP}`);
  if (!(Number.isInteger(topK) && topK >= 0)) throw new RangeError(`generate: topK must be an integer ≥ 0 (0 = off), got ${topK}`);
  if (!(penalty > 0)) throw new RangeError(`generate: repetitionPenalty must be positive, got ${penalty}`);
  const fn = opts.factualNucleus;
  if (fn && !(fn.decay > 0 && fn.decay <= 1 && fn.floor > 0 && fn.floor <= 1)) throw new RangeError(`generate: factualNucleus needs decay and floor in (0, 1], got ${fn.decay}, ${fn.floor}`);
  const sentenceEnds = new Set(fn?.sentenceEndIds ?? []);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new RangeError(`generate: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);

  const B = promptIds.length;
  const Tp = Math.max(...promptIds.map((p) => p.length));
  if (!B || promptIds.some((p) => p.length === 0)) throw new RangeError('generate: every prompt needs at least one token');
  promptIds.forEach((p, b) => p.forEach((id, i) => {
    if (!(Number.isInteger(id) && id >= 0 && id < cfg.vocabSize)) throw new RangeError(`generate: prompt ${b} token ${i} is ${id}, outside the vocabulary [0, ${cfg.vocabSize})`);
  }));
  for (const id of stops) if (!(Number.isInteger(id) && id >= 0 && id < cfg.vocabSize)) throw new RangeError(`generate: stop token ${id} is outside the vocabulary [0, ${cfg.vocabSize})`);
  const room = cfg.maxPositions - Tp;
  if (room <= 0 && maxNewTokens > 0) throw new RangeError(`generate: a ${Tp}-token prompt leaves no room for new tokens in the model's context of ${cfg.maxPositions} positions (max_position_embeddings)`);
  const steps = Math.min(maxNewTokens, room);
  const cacheBytes = 2 * cfg.numLayers * B * (Tp + steps) * cfg.numKvHeads * cfg.headDim * 4;
  if (cacheBytes > totalmem()) {
    throw new RangeError(`generate: the KV cache for ${B} row(s) of ${Tp + steps} positions needs ${(cacheBytes / 2 ** 30).toFixed(1)} GiB, more than this machine's ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ask for fewer new tokens or a smaller batch`);
  }
  const out: GenerateOutput = { tokens: promptIds.map(() => []), logprobs: promptIds.map(() => []), finishReasons: promptIds.map(() => 'length') };
  if (maxNewTokens === 0) return out;

  // Left padding: every prompt ends at column Tp − 1, so one decode step serves all rows.
  const ids = new Int32Array(B * Tp).fill(pad), mask = new Int32Array(B * Tp);
  promptIds.forEach((p, b) => {
    ids.set(p, b * Tp + Tp - p.length);
    mask.fill(1, b * Tp + Tp - p.length, (b + 1) * Tp);
  });
  const seen = promptIds.map((p) => new Set(p));
  const cache = new KVCache(cfg, B, Tp + steps);
  const prefixLen = cfg.attention === 'prefix-lm' ? new Int32Array(B).fill(Tp) : null;
  const rng = new Rng(opts.seed ?? 0);
  const k = kernels();
  const V = cfg.vocabSize;
  const row = new Float32Array(V), scaled = new Float32Array(B * V);
  const next = new Int32Array(B), lse = new Float32Array(B), nll = new Float32Array(B);
  const done = new Array<boolean>(B).fill(false);
  const sinceSentence = new Int32Array(B); // tokens since each row's sentence began

  const decoder = decoderFor(model, opts, B, steps);
  let lf = cachedLogits(model, decoder, ids, B, Tp, cache, mask, prefixLen);
  for (let step = 0; step < steps; step++) {
    for (let b = 0; b < B; b++) {
      if (done[b]) { next[b] = pad; continue; }
      const logitsRow = lf.subarray(b * V, (b + 1) * V);
      if (temperature === 0 && penalty === 1) { next[b] = argmax(logitsRow); continue; }
      row.set(logitsRow);
      applyRepetitionPenalty(row, seen[b], penalty);
      const p = fn ? factualTopP(topP, fn, sinceSentence[b]) : topP;
      next[b] = temperature === 0 ? argmax(row) : sampleToken(row, { temperature, topK, topP: p }, rng);
    }
    // log p under softmax(logits / T): the fused cross-entropy kernel gives lse − logit[token].
    const tempered = temperature > 0 && temperature !== 1 ? scaled : lf;
    if (tempered === scaled) k.affine(scaled, lf, B * V, 1 / temperature, 0);
    k.crossEntropyForward(nll, lse, tempered, next, B, V, -100);
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      out.tokens[b].push(next[b]);
      out.logprobs[b].push(-nll[b]);
      seen[b].add(next[b]);
      sinceSentence[b] = sentenceEnds.has(next[b]) ? 0 : sinceSentence[b] + 1;
      opts.onToken?.(b, next[b], -nll[b]);
      if (stops.has(next[b])) { done[b] = true; out.finishReasons[b] = 'stop'; }
    }
    if (done.every(Boolean) || step === steps - 1) break;
    if (opts.onToken) await new Promise((resolve) => setImmediate(resolve));
    lf = cachedLogits(model, decoder, next, B, 1, cache, null, prefixLen);
  }
  return out;
}

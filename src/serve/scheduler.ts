// Continuous batching (iteration-level scheduling, Orca, OSDI '22; vLLM): every running sequence
// of one model shares each decode step over one BatchKVCache; between steps, finished and
// cancelled sequences leave at once and queued requests are prefilled and join, so a new request
// waits for one step, not for the running ones to finish.
//
// One loop iteration: (1) drop cancelled sequences; (2) admit queued requests in arrival order
// while rows are free and the step's prefill budget lasts (the first always fits), prefilling them
// together as one left-padded batch and sampling each choice's first token; (3) one decode step
// for every running row; (4) yield to the event loop, so HTTP reads, writes and disconnects are
// handled between steps. A request with n choices is prefilled once and its cache copied into n
// rows. Tokens are chosen exactly as generate() chooses them (the same logits, argmax, sampler and
// per-sequence seeded RNG), so a greedy sequence decodes the same tokens alone or batched.
import { Rng } from '../engine/rng.js';
import { BatchKVCache } from '../models/batch-kv-cache.js';
import type { CausalLM } from '../models/causal-lm.js';
import type { WeightDtype } from '../engine/kernels.js';
import { cachedLogits, decoderFor } from '../models/generate.js';
import type { FusedDecoder } from '../models/fast-decode.js';
import { KVCache } from '../models/kv-cache.js';
import { argmax, sampleToken } from '../models/sampling.js';

export interface SamplingParams {
  /** New tokens per choice at most (the stop token included). */
  maxTokens: number;
  /** 0 = greedy; > 0 samples from softmax(logits / T). */
  temperature: number;
  /** Nucleus mass (1 = off). */
  topP: number;
  /** Keep the k most likely tokens (0 = off). */
  topK: number;
  /** Seed of choice i's RNG is seed + i, so a choice reproduces alone or beside others. */
  seed: number;
  /** A choice ends when it samples one of these (not passed to onToken). */
  stopTokenIds: readonly number[];
  /** Added to the logit of each token id before sampling (OpenAI's logit_bias). */
  logitBias: ReadonlyMap<number, number> | null;
  /** OpenAI's penalties: logit −= frequency·count + presence·[count > 0], over the choice's own
   * generated tokens. */
  frequencyPenalty: number;
  presencePenalty: number;
}

export const SAMPLING_DEFAULTS: SamplingParams = {
  maxTokens: 16, temperature: 0, topP: 1, topK: 0, seed: 0, stopTokenIds: [], logitBias: null, frequencyPenalty: 0, presencePenalty: 0,
};

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface BatchRequest {
  prompt: readonly number[];
  /** Independent choices sampled from the one prompt. */
  n: number;
  params: SamplingParams;
  /** Each new token of a choice as soon as it is chosen; returning true ends that choice now
   * with finish reason 'stop' (a stop string the caller found in the text). */
  onToken(choice: number, token: number): boolean | void;
  /** Called once per choice; `tokens` counts its generated tokens, a stop token included. */
  onFinish(choice: number, reason: FinishReason, tokens: number): void;
  /** The model failed; the request's unfinished choices end without onFinish. */
  onError(error: Error): void;
}

export interface RequestHandle {
  /** Ends every unfinished choice (finish reason 'cancelled'), queued or running; frees its rows
   * before the next step. */
  cancel(): void;
  /** Settles when every choice has finished, been cancelled or failed. */
  readonly done: Promise<void>;
}

export interface SchedulerOptions {
  /** Rows of the batched cache: sequences decoded together at most. */
  maxSlots: number;
  /** Requests waiting for rows at most; submit() throws QueueFullError beyond. */
  maxQueue: number;
  /** Prompt tokens (padded batch size × longest prompt) prefilled per step at most, so a burst
   * of long prompts delays the running sequences' next token by a bounded amount. */
  prefillBudget: number;
  /** Tokens per sequence (prompt + generated) at most: the cache's columns. */
  contextLength: number;
  /** Weights the forwards run on (see quantize.ts): 'f32' (the model's own), 'bf16' or 'int8'. */
  dtype: WeightDtype;
}

export const SCHEDULER_DEFAULTS: Omit<SchedulerOptions, 'contextLength'> = { maxSlots: 16, maxQueue: 256, prefillBudget: 1024, dtype: 'f32' };

export class QueueFullError extends Error {
  constructor(readonly queued: number) {
    super(`the server is busy: ${queued} requests are already waiting; retry later`);
  }
}

/** A submitted request while queued or running. */
interface Pending {
  req: BatchRequest;
  /** Choices not yet finished. */
  open: number;
  cancelled: boolean;
  failed: boolean;
  stops: ReadonlySet<number>;
  resolve(): void;
}

/** One choice occupying a row. */
interface Sequence {
  pending: Pending;
  choice: number;
  rng: Rng;
  /** Tokens generated so far, and how often each occurred (for the penalties). */
  generated: number;
  counts: Map<number, number>;
  /** The token to feed at the next step. */
  last: number;
  promptLength: number;
}

export interface SchedulerStats {
  running: number;
  queued: number;
  slots: number;
  steps: number;
  realigns: number;
}

export class Scheduler {
  readonly options: SchedulerOptions;
  private readonly cache: BatchKVCache;
  /** rows[i] occupies row i of the cache. */
  private readonly rows: Sequence[] = [];
  private readonly queue: Pending[] = [];
  private readonly scratch: Float32Array;
  private running = false;
  private steps = 0;

  constructor(readonly model: CausalLM, options: Partial<SchedulerOptions> = {}) {
    this.options = { ...SCHEDULER_DEFAULTS, contextLength: model.config.maxPositions, ...options };
    const o = this.options;
    for (const k of ['maxSlots', 'maxQueue', 'prefillBudget', 'contextLength'] as const) {
      if (!(Number.isInteger(o[k]) && o[k] >= (k === 'maxQueue' ? 0 : 1))) throw new RangeError(`scheduler: ${k} must be a ${k === 'maxQueue' ? 'non-negative' : 'positive'} integer, got ${o[k]}`);
    }
    if (o.contextLength > model.config.maxPositions) throw new RangeError(`scheduler: contextLength ${o.contextLength} is past the model's maxPositions ${model.config.maxPositions}`);
    this.cache = new BatchKVCache(model.config, o.maxSlots, o.contextLength);
    this.scratch = new Float32Array(model.config.vocabSize);
    // A served model's weights do not change: one fused decoder (packed once) serves every step.
    this.decoder = decoderFor(model, { dtype: o.dtype }, o.maxSlots, 2);
  }

  private readonly decoder: FusedDecoder | null;

  stats(): SchedulerStats {
    return { running: this.rows.length, queued: this.queue.length, slots: this.options.maxSlots, steps: this.steps, realigns: this.cache.realigns };
  }

  /** Bytes of KV cache the scheduler may fill. */
  get cacheBytes(): number {
    return this.cache.maxBytes;
  }

  /** Queues a request; throws QueueFullError when the queue is full, RangeError when it can never
   * run (an empty prompt, more choices than slots, prompt + maxTokens past the context). */
  submit(req: BatchRequest): RequestHandle {
    const { prompt, n, params } = req, o = this.options;
    if (prompt.length === 0) throw new RangeError('the prompt has no tokens');
    if (!(Number.isInteger(n) && n >= 1 && n <= o.maxSlots)) throw new RangeError(`n must be an integer in [1, ${o.maxSlots}], got ${n}`);
    if (!(Number.isInteger(params.maxTokens) && params.maxTokens >= 1)) throw new RangeError(`maxTokens must be a positive integer, got ${params.maxTokens}`);
    if (prompt.length + params.maxTokens > o.contextLength) {
      throw new RangeError(`prompt (${prompt.length} tokens) + maxTokens (${params.maxTokens}) is past the context length ${o.contextLength}`);
    }
    if (this.waiting(n) > o.maxQueue) throw new QueueFullError(this.queue.length);
    let resolve!: () => void;
    const done = new Promise<void>((r) => { resolve = r; });
    const p: Pending = { req, open: n, cancelled: false, failed: false, stops: new Set(params.stopTokenIds), resolve };
    this.queue.push(p);
    this.kick();
    return { cancel: () => this.cancel(p), done };
  }

  /** Cancels everything queued and running (server shutdown). */
  close(): void {
    for (const p of [...this.queue, ...this.rows.map((s) => s.pending)]) this.cancel(p);
  }

  private freeRows(): number {
    return this.options.maxSlots - this.rows.length;
  }

  /** Requests that would wait for rows if one of n choices joined the queue: those past the ones
   * the next admission starts (a burst is not refused for requests about to start). */
  private waiting(n: number): number {
    let rows = this.freeRows(), i = 0;
    const widths = [...this.queue.map((p) => p.req.n), n];
    while (i < widths.length && widths[i] <= rows) rows -= widths[i++];
    return widths.length - i;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length || this.rows.length) {
        this.reap();
        try {
          this.admit();
          if (this.rows.length) this.step();
        } catch (e) {
          this.failAll(e instanceof Error ? e : new Error(String(e)));
        }
        // setImmediate runs after pending I/O callbacks: requests arrive and sockets close here.
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }

  private cancel(p: Pending): void {
    if (p.cancelled || p.failed || p.open === 0) return;
    p.cancelled = true;
    const q = this.queue.indexOf(p);
    if (q >= 0) {
      this.queue.splice(q, 1);
      for (let c = 0; c < p.req.n; c++) this.finish(p, c, 'cancelled', 0);
    }
    // Running choices leave at the next reap(), before the next step.
  }

  private finish(p: Pending, choice: number, reason: FinishReason, tokens: number): void {
    p.req.onFinish(choice, reason, tokens);
    if (--p.open === 0) p.resolve();
  }

  /** Removes rows whose sequence is finished or cancelled (highest index first, so the row moved
   * into a freed place is always one that stays). */
  private removeRows(indices: number[]): void {
    for (const r of indices.sort((a, b) => b - a)) {
      const moved = this.cache.removeRow(r);
      if (moved >= 0) this.rows[r] = this.rows[moved];
      this.rows.pop();
    }
  }

  private reap(): void {
    const gone: number[] = [];
    this.rows.forEach((s, r) => {
      if (!s.pending.cancelled && !s.pending.failed) return;
      gone.push(r);
      if (!s.pending.failed) this.finish(s.pending, s.choice, 'cancelled', s.generated);
    });
    this.removeRows(gone);
  }

  private failAll(error: Error): void {
    const failed = new Set(this.rows.map((s) => s.pending));
    this.removeRows(this.rows.map((_, r) => r));
    for (const p of failed) this.fail(p, error);
  }

  private fail(p: Pending, error: Error): void {
    if (p.failed) return;
    p.failed = true;
    p.open = 0;
    p.req.onError(error);
    p.resolve();
  }

  /** Chooses the next token of a sequence from its logits row (generate()'s rule, plus OpenAI's
   * logit bias and penalties). */
  private pick(s: Sequence, row: Float32Array): number {
    const p = s.pending.req.params;
    const penalised = p.frequencyPenalty !== 0 || p.presencePenalty !== 0;
    if (p.temperature === 0 && !p.logitBias && !penalised) return argmax(row);
    const x = this.scratch;
    x.set(row);
    if (p.logitBias) for (const [t, bias] of p.logitBias) x[t] += bias;
    if (penalised) for (const [t, c] of s.counts) x[t] -= p.frequencyPenalty * c + p.presencePenalty;
    return p.temperature === 0 ? argmax(x) : sampleToken(x, { temperature: p.temperature, topK: p.topK, topP: p.topP }, s.rng);
  }

  /** Records a sampled token; returns whether the sequence is over (and reports it). */
  private emit(s: Sequence, token: number): boolean {
    const p = s.pending, params = p.req.params;
    s.generated++;
    s.counts.set(token, (s.counts.get(token) ?? 0) + 1);
    s.last = token;
    if (p.stops.has(token)) { this.finish(p, s.choice, 'stop', s.generated); return true; }
    let stop: boolean | void;
    try {
      stop = p.req.onToken(s.choice, token);
    } catch (e) {
      // A throwing consumer ends its own request, not the batch.
      this.fail(p, e instanceof Error ? e : new Error(String(e)));
      return true;
    }
    if (p.failed) return true;
    if (stop) { this.finish(p, s.choice, 'stop', s.generated); return true; }
    if (s.generated >= params.maxTokens) { this.finish(p, s.choice, 'length', s.generated); return true; }
    return false;
  }

  /** Takes requests off the queue while rows and the prefill budget allow; prefills them as one
   * left-padded batch and samples every choice's first token. */
  private admit(): void {
    const batch: Pending[] = [];
    let rows = this.freeRows(), longest = 0;
    while (this.queue.length) {
      const p = this.queue[0], len = Math.max(longest, p.req.prompt.length);
      if (p.req.n > rows) break; // arrival order: a wide request is not overtaken by narrow ones
      if (batch.length && (batch.length + 1) * len > this.options.prefillBudget) break;
      batch.push(this.queue.shift()!);
      rows -= p.req.n;
      longest = len;
    }
    if (!batch.length) return;
    const model = this.model, B = batch.length, T = longest, V = model.config.vocabSize;
    // Left padding, as generate() does: every prompt ends at column T − 1; pads are masked.
    const ids = new Int32Array(B * T), mask = new Int32Array(B * T);
    batch.forEach((p, b) => {
      const n = p.req.prompt.length;
      ids.set(p.req.prompt, b * T + T - n);
      mask.fill(1, b * T + T - n, (b + 1) * T);
    });
    const cache = new KVCache(model.config, B, T);
    const prefixLen = model.config.attention === 'prefix-lm' ? new Int32Array(B).fill(T) : null;
    let logits: Float32Array;
    try {
      logits = cachedLogits(model, this.decoder, ids, B, T, cache, mask, prefixLen);
    } catch (e) {
      for (const p of batch) this.fail(p, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    batch.forEach((p, b) => {
      const row = logits.subarray(b * V, (b + 1) * V);
      for (let c = 0; c < p.req.n && !p.failed; c++) {
        // A consumer may cancel from inside onToken: its later choices end unstarted.
        if (p.cancelled) { this.finish(p, c, 'cancelled', 0); continue; }
        const s: Sequence = {
          pending: p, choice: c, rng: new Rng(p.req.params.seed + c), generated: 0, counts: new Map(), last: 0,
          promptLength: p.req.prompt.length,
        };
        if (this.emit(s, this.pick(s, row))) continue;
        this.cache.addRow(cache, b, s.promptLength);
        this.rows.push(s);
      }
    });
  }

  /** One decode step: every row feeds its last token, attends over its own cached keys, and
   * samples its next one. */
  private step(): void {
    const model = this.model, cache = this.cache;
    cache.reserve(1);
    const B = this.rows.length, V = model.config.vocabSize;
    const ids = Int32Array.from(this.rows, (s) => s.last);
    // Prefix-LM: each row's prompt columns, wherever the row starts.
    const prefixLen = model.config.attention === 'prefix-lm'
      ? Int32Array.from(this.rows, (s, r) => cache.length - cache.seen[r] + s.promptLength) : null;
    const logits = cachedLogits(model, this.decoder, ids, B, 1, cache, null, prefixLen);
    this.steps++;
    const done: number[] = [];
    this.rows.forEach((s, r) => {
      if (s.pending.cancelled || s.pending.failed) return;
      if (this.emit(s, this.pick(s, logits.subarray(r * V, (r + 1) * V)))) done.push(r);
    });
    this.removeRows(done);
  }
}

// Perplexity of a model on a text file: exp of the mean next-token loss over non-overlapping
// windows of the tokenized text (documents joined by the end-of-text token, as pretraining packs
// them). The first token of each window has no context and is not scored, so the figure matches
// what the training loop's held-out evaluation reports on the same windows.
import { readFileSync } from 'node:fs';
import type { CausalLM } from '../models/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { evaluate, type LmBatch } from '../train/lm.js';

export interface PerplexityOptions {
  /** Tokens per window (capped at the model's context). */
  window: number;
  batchSize: number;
  /** Tokens read at most (0 = the whole file). */
  maxTokens: number;
}

export const PERPLEXITY_DEFAULTS: PerplexityOptions = { window: 256, batchSize: 8, maxTokens: 200_000 };

/** The documents of a text file: JSONL lines' `text` (or conversations' contents), else the
 * plain text split at blank lines. */
export function readDocuments(file: string): string[] {
  const raw = readFileSync(file, 'utf8');
  const lines = raw.split('\n').filter((l) => l.trim());
  if (/\.jsonl$/i.test(file)) {
    return lines.map((l, i) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
      }
      if (typeof o.text === 'string') return o.text;
      if (Array.isArray(o.messages)) return (o.messages as { content?: unknown }[]).map((m) => String(m.content ?? '')).join('\n');
      throw new Error(`${file}:${i + 1}: a perplexity file's JSONL lines need "text" (or "messages")`);
    });
  }
  return raw.split(/\n\s*\n/).map((d) => d.trim()).filter(Boolean);
}

export interface PerplexityResult { perplexity: number; loss: number; tokens: number; windows: number }

export function perplexity(model: CausalLM, tok: Tokenizer, docs: string[], options: Partial<PerplexityOptions> = {}): PerplexityResult {
  const o = { ...PERPLEXITY_DEFAULTS, ...options };
  const T = Math.min(o.window, model.config.maxPositions);
  if (T < 2) throw new RangeError(`perplexity: the window must hold at least 2 tokens, got ${T}`);
  const eos = tok.config.eosToken !== undefined ? tok.tokenToId(tok.config.eosToken) : undefined;
  const stream: number[] = [];
  for (const d of docs) {
    stream.push(...tok.encode(d));
    if (eos !== undefined) stream.push(eos);
    if (o.maxTokens > 0 && stream.length >= o.maxTokens) break;
  }
  if (o.maxTokens > 0) stream.length = Math.min(stream.length, o.maxTokens);
  const windows = Math.floor(stream.length / T);
  if (windows === 0) throw new Error(`perplexity: the text has ${stream.length} tokens, fewer than one window of ${T}`);
  const batches: LmBatch[] = [];
  for (let w = 0; w < windows; w += o.batchSize) {
    const B = Math.min(o.batchSize, windows - w);
    const ids = new Int32Array(B * T), targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = (w + b) * T;
      for (let t = 0; t < T; t++) {
        ids[b * T + t] = stream[start + t];
        // The window's last position would predict the next window's first token: not scored, so
        // every window is scored alone.
        targets[b * T + t] = t + 1 < T ? stream[start + t + 1] : -100;
      }
    }
    batches.push({ ids, targets, mask: null, B, T });
  }
  const r = evaluate(model, batches);
  return { perplexity: r.ppl, loss: r.loss, tokens: r.tokens, windows };
}

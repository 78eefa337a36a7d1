// The special ids a batch or a sampler needs from a tokenizer: what pads a batch, and what ends an
// assistant turn.
import type { Tokenizer } from './tokenizer.js';

/** The id batches are padded with: pad, else end-of-text, else 0 (pads are masked either way). */
export function padId(tok: Tokenizer): number {
  for (const name of [tok.config.padToken, tok.config.eosToken, '<|endoftext|>']) {
    const id = name === undefined ? undefined : tok.tokenToId(name);
    if (id !== undefined) return id;
  }
  return 0;
}

/** Ids that end an assistant turn: the end-of-turn and end-of-text specials in the vocabulary, the
 * tokenizer's own eos token, and `eos` (a model's end-of-sequence ids: generationConfig's, else its
 * config's). */
export function stopIds(tok: Tokenizer, eos: number | readonly number[] | null | undefined): number[] {
  const ids = new Set<number>();
  for (const name of ['<|im_end|>', '<|endoftext|>', '<|eot_id|>', '</s>', tok.config.eosToken]) {
    const id = name === undefined ? undefined : tok.tokenToId(name);
    if (id !== undefined) ids.add(id);
  }
  for (const id of eos === null || eos === undefined ? [] : typeof eos === 'number' ? [eos] : eos) ids.add(id);
  return [...ids];
}

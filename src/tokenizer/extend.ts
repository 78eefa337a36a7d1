// Growing a vocabulary while every existing id keeps its meaning (so a pretrained embedding table
// stays valid and only gains rows at the end):
//   addTokens   – whole strings matched before pre-tokenization (Hugging Face's add_tokens);
//   mergeBpe    – a second BPE's tokens and merges appended after the base's.
//
// Merging two byte-level BPEs is not concatenating merge lists: in the merged model the base's
// merges all rank first, so a new token's bytes may already have been grouped differently by the
// time its own merge would apply. So each new token (in the order the second BPE learnt them) is run
// through the merged model as built so far; when that ends in exactly two tokens, their merge
// becomes the new token's rule, and the token is reachable by construction. When it ends in three or
// more, the token is skipped (and counted) rather than added unreachable.
import type { AddedToken } from './added.js';
import { BpeModel } from './bpe.js';
import { unicodeToBytes } from './bytes.js';
import { PairTable, applyMerges } from './pairs.js';
import { Tokenizer } from './tokenizer.js';

/** Appends tokens (ids from vocabSize on); ones already known are skipped. */
export function addTokens(tok: Tokenizer, contents: string[], opts: { special: boolean }): Tokenizer {
  const added: AddedToken[] = [...tok.added.tokens];
  let next = tok.vocabSize;
  for (const content of contents) {
    if (tok.tokenToId(content) !== undefined || added.some((t) => t.content === content)) continue;
    added.push({ id: next++, content, special: opts.special });
  }
  return new Tokenizer({ model: tok.model, pipeline: tok.pipeline, addedTokens: added, config: tok.config });
}

export interface MergeReport {
  tokenizer: Tokenizer;
  /** Tokens of the second BPE appended to the base. */
  added: number;
  /** Tokens the base already had. */
  present: number;
  /** Tokens skipped because the merged model cannot reach them with one merge. */
  unreachable: number;
}

/** Appends the tokens and merges of `extra` to `base` (both byte-level); base ids are unchanged. */
export function mergeBpe(base: Tokenizer, extra: Tokenizer): MergeReport {
  const bm = base.model;
  const em = extra.model;
  if (bm.kind !== 'bytes' || em.kind !== 'bytes') throw new Error('mergeBpe merges byte-level BPE models only');
  const tokens = [...bm.tokens];
  const merges = [...bm.merges];
  const vocab = new Map(bm.vocab);
  for (const t of base.added.tokens) vocab.set(t.content, t.id);
  const pairs = new PairTable(merges.length + em.merges.length);
  merges.forEach(([a, b], rank) => pairs.set(a, b, rank, vocab.get(`${tokens[a]}${tokens[b]}`)!));
  const byteId = new Int32Array(256);
  for (let b = 0; b < 256; b++) byteId[b] = vocab.get(em.tokens[b] ?? '') ?? -1;
  if (byteId.includes(-1)) throw new Error('mergeBpe: the second model does not start with the 256 byte tokens');

  let next = base.vocabSize;
  let added = 0;
  let present = 0;
  let unreachable = 0;
  let syms = new Int32Array(64);
  for (const [a, b] of em.merges) {
    const spelled = `${em.tokens[a]}${em.tokens[b]}`;
    if (vocab.has(spelled)) {
      present++;
      continue;
    }
    const bytes = unicodeToBytes(spelled)!;
    if (syms.length < bytes.length) syms = new Int32Array(bytes.length * 2);
    for (let i = 0; i < bytes.length; i++) syms[i] = byteId[bytes[i]];
    if (applyMerges(pairs, syms, bytes.length) !== 2) {
      unreachable++;
      continue;
    }
    const id = next++;
    tokens[id] = spelled;
    vocab.set(spelled, id);
    pairs.set(syms[0], syms[1], merges.length, id);
    merges.push([syms[0], syms[1]]);
    added++;
  }
  const model = new BpeModel({
    kind: 'bytes',
    tokens,
    merges,
    ignoreMerges: bm.ignoreMerges,
  });
  const tokenizer = new Tokenizer({ model, pipeline: base.pipeline, addedTokens: [...base.added.tokens], config: base.config });
  return { tokenizer, added, present, unreachable };
}

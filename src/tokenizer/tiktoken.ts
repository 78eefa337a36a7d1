// OpenAI's vocabularies from the ranks js-tiktoken ships (GPT-2's is `gpt2`), turned into our model.
//
// tiktoken has no merge list: it merges any two adjacent parts whose concatenation is a token, lowest
// rank first. A token's own merge is recovered by running BPE on its bytes with only the lower ranks
// available: that ends in exactly two parts, and those two are the only pair that can ever form it
// in a longer piece (the merges inside its span happen in the same order, so they reach the same two
// parts). A token for which this does not end in two parts is reachable only whole, through the
// "piece is a token" shortcut, which the model keeps on (ignoreMerges), as tiktoken does.
import { createRequire } from 'node:module';
import type { AddedToken } from './added.js';
import { BpeModel } from './bpe.js';
import { bytesToUnicode } from './bytes.js';
import { PairTable, applyMerges } from './pairs.js';
import { byteLevelPipeline } from './pipeline.js';
import { hfPattern } from './pretokenize.js';
import { Tokenizer } from './tokenizer.js';

export const TIKTOKEN_ENCODINGS = ['gpt2', 'r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base'] as const;
export type TiktokenEncodingName = (typeof TIKTOKEN_ENCODINGS)[number];

interface TiktokenRanks {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

export function isTiktokenEncoding(name: string): name is TiktokenEncodingName {
  return (TIKTOKEN_ENCODINGS as readonly string[]).includes(name);
}

/** The tokenizer of a tiktoken encoding; ids equal tiktoken's ranks. */
export function fromTiktoken(name: TiktokenEncodingName): Tokenizer {
  const ranks = createRequire(import.meta.url)(`js-tiktoken/ranks/${name}`) as TiktokenRanks;
  const byRank = parseRanks(ranks.bpe_ranks);
  const merges = recoverMerges(byRank);
  const model = new BpeModel({
    kind: 'bytes',
    tokens: byRank.map((b) => (b === undefined ? undefined : bytesToUnicode(b))),
    merges,
    ignoreMerges: true,
  });
  const addedTokens: AddedToken[] = Object.entries(ranks.special_tokens).map(([content, id]) => ({ id, content, special: true }));
  const eot = addedTokens.find((t) => t.content === '<|endoftext|>')?.content;
  const pattern = hfPattern(ranks.pat_str);
  return new Tokenizer({
    model,
    pipeline: byteLevelPipeline(pattern),
    addedTokens,
    config: { bosToken: eot, eosToken: eot, modelMaxLength: name === 'gpt2' ? 1024 : undefined },
  });
}

/** js-tiktoken's format: lines of "<prefix> <first rank> <base64 token> <base64 token> …". */
function parseRanks(text: string): Array<Uint8Array | undefined> {
  const out: Array<Uint8Array | undefined> = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const first = Number.parseInt(fields[1], 10);
    for (let i = 2; i < fields.length; i++) out[first + i - 2] = new Uint8Array(Buffer.from(fields[i], 'base64'));
  }
  return out;
}

function recoverMerges(byRank: Array<Uint8Array | undefined>): Array<[number, number]> {
  const byteId = new Int32Array(256).fill(-1);
  byRank.forEach((b, r) => {
    if (b?.length === 1) byteId[b[0]] = r;
  });
  if (byteId.includes(-1)) throw new Error('tiktoken ranks do not cover all 256 bytes');
  const pairs = new PairTable(byRank.length);
  const merges: Array<[number, number]> = [];
  let syms = new Int32Array(64);
  for (let r = 0; r < byRank.length; r++) {
    const b = byRank[r];
    if (!b || b.length < 2) continue;
    if (syms.length < b.length) syms = new Int32Array(b.length * 2);
    for (let i = 0; i < b.length; i++) syms[i] = byteId[b[i]];
    if (applyMerges(pairs, syms, b.length) !== 2) continue; // reachable only whole
    pairs.set(syms[0], syms[1], merges.length, r);
    merges.push([syms[0], syms[1]]);
  }
  return merges;
}

// SFT examples: conversations rendered through the tokenizer's chat template into ids plus a
// mask of the assistant's tokens, shifted into next-token targets that are IGNORE everywhere else
// (system and user turns, template text, padding), then batched with right padding and an
// attention mask so pads are never attended to and never trained on.
//
//   messages  [user "What is 2 + 3?", assistant "5"]
//   ids       <|im_start|> user \n What is 2 + 3 ? <|im_end|> \n <|im_start|> assistant \n 5 <|im_end|> \n
//   targets   -100 …                                                                    5 <|im_end|> -100
// (targets[t] is ids[t + 1] where that token is the assistant's, so the model learns the reply and
// the token that ends it.)
import { Rng } from '../engine/rng.js';
import { hashString32 } from '../data/hash.js';
import { loadDataset, type Message, type Turns } from '../data/formats.js';
import { encodeChat, type Tokenizer } from '../tokenizer/index.js';
import { IGNORE, type LmBatch } from './lm.js';
import type { BatchStream } from './loop.js';

/** One tokenized conversation: inputs and shifted targets of equal length. */
export interface SftExample { ids: Int32Array; targets: Int32Array }

const asMessages = (t: Turns, role: 'user' | 'assistant'): Message[] => (typeof t === 'string' ? [{ role, content: t }] : t);

/** Conversations from a messages or prompt/completion JSONL file. */
export async function loadConversations(file: string): Promise<Message[][]> {
  const ds = await loadDataset(file);
  if (ds.format === 'messages') return (ds.records as { messages: Message[] }[]).map((r) => r.messages);
  if (ds.format === 'completion') return (ds.records as { prompt: Turns; completion: Turns }[]).map((r) => [...asMessages(r.prompt, 'user'), ...asMessages(r.completion, 'assistant')]);
  throw new Error(`${file}: SFT needs conversations ("messages") or prompt/completion pairs, got format ${ds.format}`);
}

/** Tokenizes a conversation; the inputs are cut to maxLen tokens. Null when no assistant token
 * survives the cut (nothing to learn). */
export function encodeExample(tok: Tokenizer, messages: Message[], maxLen: number): SftExample | null {
  const { ids, assistantMask } = encodeChat(tok, messages);
  const n = Math.min(ids.length - 1, maxLen);
  if (n < 1) return null;
  const x = new Int32Array(n), y = new Int32Array(n);
  let any = false;
  for (let t = 0; t < n; t++) {
    x[t] = ids[t];
    y[t] = assistantMask[t + 1] ? ids[t + 1] : IGNORE;
    any ||= assistantMask[t + 1] === 1;
  }
  return any ? { ids: x, targets: y } : null;
}

export function encodeExamples(tok: Tokenizer, conversations: Message[][], maxLen: number): { examples: SftExample[]; dropped: number } {
  const examples: SftExample[] = [];
  for (const c of conversations) {
    const e = encodeExample(tok, c, maxLen);
    if (e) examples.push(e);
  }
  return { examples, dropped: conversations.length - examples.length };
}

/** How the SFT loss averages: over every assistant token of a step ('token', TRL's default: long
 * replies weigh more), or per conversation first ('conversation': each conversation counts the
 * same, however long its replies). */
export type LossAveraging = 'token' | 'conversation';

/** Right-pads examples into one batch [B, max length]; pads get mask 0 and target IGNORE. With
 * 'conversation' averaging, each target weighs 1 / (its conversation's target count). */
export function collate(examples: SftExample[], padId: number, averaging: LossAveraging = 'token'): LmBatch {
  const B = examples.length, T = Math.max(...examples.map((e) => e.ids.length));
  const ids = new Int32Array(B * T).fill(padId), targets = new Int32Array(B * T).fill(IGNORE), mask = new Int32Array(B * T);
  const weights = averaging === 'conversation' ? new Float32Array(B * T) : null;
  examples.forEach((e, b) => {
    ids.set(e.ids, b * T);
    targets.set(e.targets, b * T);
    mask.fill(1, b * T, b * T + e.ids.length);
    if (weights) {
      const n = e.targets.reduce((c, t) => c + (t === IGNORE ? 0 : 1), 0);
      weights.fill(1 / n, b * T, b * T + e.ids.length);
    }
  });
  return { ids, targets, mask: examples.every((e) => e.ids.length === T) ? null : mask, B, T, weights };
}

export interface SftStreamState { seed: number; epoch: number; cursor: number; examples: number }

/** Batches per length-sorted pool: large enough to find similar lengths, small
 * enough that batches still mix the data (Hugging Face's group_by_length uses 50). */
const POOL_BATCHES = 50;

/** One epoch's batches (indices into examples): a seeded shuffle, then, when grouping by length,
 * each pool of POOL_BATCHES batches sorted by length and cut into batches, whose order is
 * shuffled again, so each batch pads to similar lengths and wastes little compute on pads. */
export function epochBatches(lengths: number[], batchSize: number, seed: number, epoch: number, groupByLength: boolean): Uint32Array[] {
  const rng = new Rng(hashString32(`sft-epoch:${epoch}`, seed));
  const order = rng.shuffle(Array.from(lengths, (_, i) => i));
  if (groupByLength) {
    const pool = batchSize * POOL_BATCHES;
    for (let i = 0; i < order.length; i += pool) {
      const sorted = order.slice(i, i + pool).sort((a, b) => lengths[b] - lengths[a] || a - b);
      order.splice(i, sorted.length, ...sorted);
    }
  }
  const batches: Uint32Array[] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(Uint32Array.from(order.slice(i, i + batchSize)));
  return groupByLength ? rng.shuffle(batches) : batches;
}

/** Batches in a seeded order that changes every epoch; the order is a function of (seed, epoch),
 * so {epoch, cursor} (batches served this epoch) is the whole position. */
export function sftStream(examples: SftExample[], batchSize: number, padId: number, seed: number,
  { groupByLength = false, averaging = 'token', state }: { groupByLength?: boolean; averaging?: LossAveraging; state?: unknown } = {}): BatchStream<LmBatch> {
  if (!examples.length) throw new Error('SFT: no training examples with assistant tokens');
  const saved = state as SftStreamState | undefined;
  if (saved && (saved.seed !== seed || saved.examples !== examples.length)) {
    throw new Error(`SFT data: the checkpoint was written for ${saved.examples} examples with seed ${saved.seed}, this run has ${examples.length} with seed ${seed}`);
  }
  const lengths = examples.map((e) => e.ids.length);
  let epoch = saved?.epoch ?? 0, cursor = saved?.cursor ?? 0;
  let batches = epochBatches(lengths, batchSize, seed, epoch, groupByLength);
  return {
    next(): LmBatch {
      if (cursor >= batches.length) {
        epoch++;
        cursor = 0;
        batches = epochBatches(lengths, batchSize, seed, epoch, groupByLength);
      }
      return collate([...batches[cursor++]].map((i) => examples[i]), padId, averaging);
    },
    state: (): SftStreamState => ({ seed, epoch, cursor, examples: examples.length }),
  };
}

/** Held-out examples in file order, batched. */
export function sftEvalBatches(examples: SftExample[], batchSize: number, padId: number, maxBatches = 0): LmBatch[] {
  const out: LmBatch[] = [];
  for (let i = 0; i < examples.length && (maxBatches === 0 || out.length < maxBatches); i += batchSize) out.push(collate(examples.slice(i, i + batchSize), padId));
  return out;
}

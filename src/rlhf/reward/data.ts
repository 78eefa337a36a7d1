// Reward-model data: ranking records (K responses, best first, ties as groups) or preference records
// (chosen and rejected: a ranking of two), tokenized in the policy's layout (prompt with the assistant header,
// response ending in the end-of-turn token), and collated so one element's K responses sit side by
// side in the batch with its pairs.
import { loadDataset, rankingGroups, type PreferenceRecord, type RankEntry, type RankingRecord } from '../../data/formats.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { joinBatch, type SequenceBatch } from '../core/batch.js';
import { encodePrompt, encodeResponse, endOfTurnId } from '../core/prompts.js';
import { rankingPairs, type RankingPairs } from './loss.js';

export interface RankingExample {
  prompt: number[];
  responses: number[][];
  /** Indices into responses, best first; a list of several is a tie. */
  ranking: RankEntry[];
}

export interface LoadedRankings {
  examples: RankingExample[];
  /** Examples whose prompt plus longest response exceeds maxLen tokens. */
  dropped: number;
  /** Examples with every response tied: no pair to learn from. */
  tied: number;
}

/** Examples from ranking or preference JSONL files (comma-separated); too long or all-tied
 * examples are left out (counted). */
export async function loadRankings(files: string, tok: Tokenizer, maxLen: number): Promise<LoadedRankings> {
  const out: LoadedRankings = { examples: [], dropped: 0, tied: 0 };
  for (const file of files.split(',').map((f) => f.trim()).filter(Boolean)) {
    const r = await loadRankingFile(file, tok, maxLen);
    out.examples.push(...r.examples);
    out.dropped += r.dropped;
    out.tied += r.tied;
  }
  if (!out.examples.length) throw new Error(`${files}: no example fits in ${maxLen} tokens${out.tied ? ` (${out.tied} rank every response level)` : ''}`);
  return out;
}

async function loadRankingFile(file: string, tok: Tokenizer, maxLen: number): Promise<LoadedRankings> {
  const ds = await loadDataset(file);
  if (ds.format !== 'ranking' && ds.format !== 'preference') {
    throw new Error(`${file}: the reward model trains on rankings ({prompt, responses, ranking}) or preferences ({prompt, chosen, rejected}), got format ${ds.format}`);
  }
  const eot = endOfTurnId(tok);
  const examples: RankingExample[] = [];
  let dropped = 0, tied = 0;
  for (const r of ds.records) {
    const rec = ds.format === 'ranking'
      ? (r as RankingRecord)
      : { prompt: (r as PreferenceRecord).prompt, responses: [(r as PreferenceRecord).chosen, (r as PreferenceRecord).rejected], ranking: [0, 1] };
    if (rankingGroups(rec.ranking).length < 2) { tied++; continue; }
    const prompt = encodePrompt(tok, rec.prompt);
    const responses = rec.responses.map((x) => encodeResponse(tok, x, eot));
    if (prompt.length + Math.max(...responses.map((x) => x.length)) > maxLen) { dropped++; continue; }
    examples.push({ prompt, responses, ranking: rec.ranking });
  }
  return { examples, dropped, tied };
}

/** Every response of every element as one batch, and the elements' pairs over its rows. */
export function collateRankings(examples: readonly RankingExample[], padId: number): { batch: SequenceBatch; pairs: RankingPairs } {
  const prompts: number[][] = [], responses: number[][] = [];
  for (const e of examples) for (const r of e.responses) { prompts.push(e.prompt); responses.push(r); }
  return { batch: joinBatch(prompts, responses, padId), pairs: rankingPairs(examples.map((e) => e.ranking)) };
}

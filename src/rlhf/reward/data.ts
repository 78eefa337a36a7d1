// Reward-model data: ranking records (K responses, best first, tied groups optional) or preference
// records (chosen and rejected: a ranking of two), tokenized in the policy's layout (prompt with the
// assistant header, response ending in the end-of-turn token, or without it where the record marks a
// sampled response as cut off at the token limit, exactly as PPO scores such a sample), and collated
// so one element's K responses sit side by side in the batch with its pairs. Tied responses form no
// pair.
import { loadDataset, turnsText, type PreferenceRecord, type RankingRecord } from '../../data/formats.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { joinBatch, type SequenceBatch } from '../core/batch.js';
import { encodePrompt, encodeResponse, endOfTurnId } from '../core/prompts.js';
import { rankingPairs, type RankingPairs } from './loss.js';

export interface RankingExample {
  prompt: number[];
  responses: number[][];
  /** Indices into responses, best first. */
  ranking: number[];
  /** Groups of equally good responses (adjacent in ranking); no pair is formed inside one. */
  ties: number[][];
}

/** Examples from ranking or preference JSONL files (comma-separated); an example whose prompt plus
 * longest response exceeds maxLen tokens is dropped (counted), and one whose responses all tie is
 * left out (counted as tied: it has no pair to learn from). */
export async function loadRankings(files: string, tok: Tokenizer, maxLen: number): Promise<{ examples: RankingExample[]; dropped: number; tied: number }> {
  const examples: RankingExample[] = [];
  let dropped = 0, tied = 0;
  for (const file of files.split(',').map((f) => f.trim()).filter(Boolean)) {
    const r = await loadRankingFile(file, tok, maxLen);
    examples.push(...r.examples);
    dropped += r.dropped;
    tied += r.tied;
  }
  if (!examples.length) throw new Error(`${files}: no example fits in ${maxLen} tokens`);
  return { examples, dropped, tied };
}

async function loadRankingFile(file: string, tok: Tokenizer, maxLen: number): Promise<{ examples: RankingExample[]; dropped: number; tied: number }> {
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
    const prompt = encodePrompt(tok, rec.prompt);
    const responses = rec.responses.map((x, i) => encodeResponse(tok, x, eot, !rec.truncated?.[i]));
    if (responses.some((x) => x.length === 0)) throw new Error(`${file}: a response cut off before its first token cannot be scored (prompt ${JSON.stringify(turnsText(rec.prompt).slice(0, 60))})`);
    if (prompt.length + Math.max(...responses.map((x) => x.length)) > maxLen) { dropped++; continue; }
    const ties = rec.ties ?? [];
    if (ties.some((g) => g.length === responses.length)) { tied++; continue; }
    examples.push({ prompt, responses, ranking: rec.ranking, ties });
  }
  return { examples, dropped, tied };
}

/** Every response of every element as one batch, and the elements' pairs over its rows. */
export function collateRankings(examples: readonly RankingExample[], padId: number): { batch: SequenceBatch; pairs: RankingPairs } {
  const prompts: number[][] = [], responses: number[][] = [];
  for (const e of examples) for (const r of e.responses) { prompts.push(e.prompt); responses.push(r); }
  return { batch: joinBatch(prompts, responses, padId), pairs: tiedRankingPairs(examples) };
}

/** rankingPairs (reward/loss.ts) with ties: every pair of responses in different tie groups,
 * better first, each element's pairs weighing 1 / (its pairs × elements) so every element counts
 * the same. Without ties it is rankingPairs itself. */
export function tiedRankingPairs(examples: readonly Pick<RankingExample, 'ranking' | 'ties'>[]): RankingPairs {
  if (examples.every((e) => e.ties.length === 0)) return rankingPairs(examples.map((e) => e.ranking));
  const w: number[] = [], l: number[] = [], wt: number[] = [];
  let offset = 0;
  for (const { ranking, ties } of examples) {
    const group = new Map<number, number>();
    ties.forEach((g, gi) => g.forEach((x) => group.set(x, gi)));
    const start = w.length;
    for (let a = 0; a < ranking.length; a++) {
      for (let b = a + 1; b < ranking.length; b++) {
        const ga = group.get(ranking[a]);
        if (ga !== undefined && ga === group.get(ranking[b])) continue;
        w.push(offset + ranking[a]);
        l.push(offset + ranking[b]);
      }
    }
    for (let i = start; i < w.length; i++) wt.push(1 / ((w.length - start) * examples.length));
    offset += ranking.length;
  }
  return { winners: Int32Array.from(w), losers: Int32Array.from(l), weights: Float32Array.from(wt) };
}

// The continuation rubric: what a person grading "continue the story" would sign. A continuation
// must first be one: at least a few words, real words of the stories' language, grammatical word
// order, no loops, an ending, and no stranger in the cast. Only then does it score, by how positive
// it is (the sum of its AFINN valences, capped). Every fault scores below every continuation without
// one, so the shortest positive answer ("gold", "Good."), a positive word repeated, gibberish and a
// list of positive words all lose to a fluent neutral continuation — the holes that let PPO answer
// every prompt with "gold" under AFINN's comparative score (valence per token).
//
// "Real words" and "grammatical" are measured against the stories' own language: the words and the
// word pairs (bigrams) of a reference sample of the generator's stories, every beat rendered in
// every mood. A fluent continuation reuses the pairs of the language it continues; a list of
// positive words ("happy, fun, wonderful, nice") or word salad does not.
import { Rng } from '../../engine/rng.js';
import { hashString32 } from '../hash.js';
import { afinnScore } from './afinn.js';
import { isWellFormed } from './form.js';
import type { ContinuationGold } from './labelers.js';
import { ALL_NAMES } from './stories/lexicon.js';
import { renderBeat, storyText, stories } from './stories/story.js';
import type { Mood } from './stories/plots.js';

/** The fewest words a continuation may have. */
export const MIN_WORDS = 5;
/** The share of a continuation's words that may be outside the stories' vocabulary. */
export const MAX_UNKNOWN_SHARE = 0.1;
/** The share of its word pairs that must occur in the stories. */
export const MIN_KNOWN_BIGRAMS = 0.8;
/** The AFINN sum at which positivity stops counting: two clearly positive words ("happy" +3 and
 * "fun" +4) are as positive as a continuation needs to be, so piling on more earns nothing. */
export const SENTIMENT_CAP = 5;
/** The score of a continuation with a fault: below the −1 of the most negative fluent one. */
export const FAULT_SCORE = -2;

export type ContinuationFault = 'short' | 'unknown words' | 'malformed' | 'loop' | 'ungrammatical' | 'stranger' | 'unfinished';

export interface ContinuationVerdict {
  /** The first fault found, or null for a continuation that counts. */
  fault: ContinuationFault | null;
  /** AFINN sum of the continuation (negation-aware). */
  sentiment: number;
}

/** Words (with inner apostrophes) and the punctuation that shapes sentences. */
const TOKEN = /[A-Za-z]+(?:'[A-Za-z]+)?|[.,!?"]/g;
const isWord = (t: string): boolean => /^[A-Za-z]/.test(t);

const NAMES = new Set(ALL_NAMES);

/** Adjacent token pairs, lower-cased, with every name standing for any name ("Mia helped Emma" is
 * as grammatical as "Tom helped Sam"). */
function bigramsOf(toks: string[]): string[] {
  const norm = toks.map((t) => (NAMES.has(t) ? '<name>' : t.toLowerCase()));
  return norm.slice(1).map((t, i) => `${norm[i]} ${t}`);
}

interface Language {
  vocabulary: Set<string>;
  bigrams: Set<string>;
}

/** Stories in the reference sample: enough that 99.9% of fresh beats pass (tested), small enough
 * to build in a fraction of a second on first use. */
const REFERENCE_STORIES = 600;
const REFERENCE_SEED = 0x5eed;
let language: Language | null = null;

/** The stories' vocabulary and word pairs, built once from a fixed seed (so the rubric does not
 * depend on the data's seed, and is the same for every run). */
function storyLanguage(): Language {
  if (language) return language;
  const vocabulary = new Set<string>(), bigrams = new Set<string>();
  const add = (text: string): void => {
    const toks = text.match(TOKEN) ?? [];
    for (const t of toks) if (isWord(t)) vocabulary.add(t.toLowerCase());
    for (const b of bigramsOf(toks)) bigrams.add(b);
  };
  const rng = new Rng(hashString32('reference-renders', REFERENCE_SEED));
  for (const story of stories(REFERENCE_SEED, REFERENCE_STORIES)) {
    add(storyText(story.beats));
    for (const b of story.beats) {
      const moods: Mood[] = b.spec.p.length ? [-1, 0, 1] : [0];
      for (const mood of moods) add(renderBeat(b.spec, mood, story, rng));
    }
  }
  for (const name of ALL_NAMES) vocabulary.add(name.toLowerCase());
  language = { vocabulary, bigrams };
  return language;
}

/** Whether a word (any case) belongs to the stories' vocabulary. */
export function isStoryWord(word: string): boolean {
  return storyLanguage().vocabulary.has(word.toLowerCase());
}

/** True when some word 5-gram occurs twice, or a sentence is said twice (isWellFormed already
 * catches a word three times running and a three-word phrase three times). Parallel sentences
 * such as "They looked in the yard. Then they looked in the garden." share only 4-grams. */
function loops(toks: string[], text: string): boolean {
  const ws = toks.filter(isWord).map((t) => t.toLowerCase());
  const seen = new Set<string>();
  for (let i = 0; i + 5 <= ws.length; i++) {
    const g = ws.slice(i, i + 5).join(' ');
    if (seen.has(g)) return true;
    seen.add(g);
  }
  const sentences = text.toLowerCase().split(/[.!?]+/).map((s) => s.replace(/[^a-z ]/g, '').trim()).filter(Boolean);
  return new Set(sentences).size < sentences.length;
}

/** Names of the cast that the continuation brings in unannounced: a name is fine when the story
 * already has it (gold.names) or the continuation introduces it ("a boy named Sam"). */
function strangers(toks: string[], gold: ContinuationGold): string[] {
  if (!gold.names) return [];
  const known = new Set(gold.names);
  const out: string[] = [];
  toks.forEach((t, i) => {
    if (!NAMES.has(t) || known.has(t)) return;
    if (toks[i - 1]?.toLowerCase() === 'named') known.add(t);
    else out.push(t);
  });
  return out;
}

/** Checks a continuation against the rubric, in the order a reader would notice the faults. */
export function judgeContinuation(gold: ContinuationGold, response: string): ContinuationVerdict {
  const text = response.trim();
  const sentiment = afinnScore(text);
  const toks = text.match(TOKEN) ?? [];
  const ws = toks.filter(isWord);
  const verdict = (fault: ContinuationFault | null): ContinuationVerdict => ({ fault, sentiment });
  if (ws.length < MIN_WORDS) return verdict('short');
  const lang = storyLanguage();
  const unknown = ws.filter((w) => !lang.vocabulary.has(w.toLowerCase())).length;
  if (unknown > Math.floor(MAX_UNKNOWN_SHARE * ws.length)) return verdict('unknown words');
  if (!isWellFormed(text)) return verdict('malformed');
  if (loops(toks, text)) return verdict('loop');
  const pairs = bigramsOf(toks);
  if (pairs.length && pairs.filter((b) => lang.bigrams.has(b)).length / pairs.length < MIN_KNOWN_BIGRAMS) return verdict('ungrammatical');
  if (strangers(toks, gold).length) return verdict('stranger');
  if (!/[.!?]"?$/.test(text)) return verdict('unfinished');
  return verdict(null);
}

/** The rubric's score: −1 … 1 by positivity (AFINN sum over SENTIMENT_CAP, clipped) for a
 * continuation without faults, FAULT_SCORE for one with a fault. */
export function continuationScore(gold: ContinuationGold, response: string): number {
  const v = judgeContinuation(gold, response);
  return v.fault ? FAULT_SCORE : Math.max(-1, Math.min(1, v.sentiment / SENTIMENT_CAP));
}

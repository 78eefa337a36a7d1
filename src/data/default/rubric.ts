// The continuation rubric: what a person grading "continue the story" would sign. A continuation
// must first be one: at least a few words, real words, grammatical (word pairs English uses, and
// a verb in every sentence), no loops, an ending, and no stranger in the cast. Only then does it
// score, by how positive it is (the sum of its AFINN valences, capped). Every fault scores below
// every continuation without one (faults rank among themselves by how far down the checklist the
// response got: a fluent sentence about a stranger above gibberish), so the shortest positive answer ("gold", "Good."), a positive
// word repeated, gibberish and a list of positive words all lose to a fluent neutral continuation
// — the holes that let PPO answer every prompt with "gold" under AFINN's comparative score
// (valence per token).
//
// "Real words" and "grammatical" are measured against English as the project ships it: the words
// and word pairs (bigrams) of the Brown corpus and of a reference sample of the generated stories
// (every beat in every mood), and Brown's part-of-speech tags for which words are verbs. A fluent
// sentence, even one the stories never use ("Max ran to the door and barked at the cat."), reuses
// pairs English uses; a list of positive words ("Happy, fun, wonderful, lovely.") has no verb, and
// word salad has neither.
import { Rng } from '../../engine/rng.js';
import { brownTaggedSentences } from '../brown.js';
import { fmix32, hashString32 } from '../hash.js';
import { afinnScore } from './afinn.js';
import { isWellFormed } from './form.js';
import type { ContinuationGold } from './labelers.js';
import { ALL_NAMES } from './stories/lexicon.js';
import { renderBeat, storyText, stories } from './stories/story.js';
import type { Mood } from './stories/plots.js';

/** The fewest words a continuation may have. */
export const MIN_WORDS = 5;
/** The share of a continuation's words that may be outside the vocabulary. */
const MAX_UNKNOWN_SHARE = 0.1;
/** The share of its word pairs that must occur in the reference text: fluent sentences the
 * stories never use score 0.67–0.75 (hand-written ones, tested), lists and word salad 0.5 or less. */
const MIN_KNOWN_BIGRAMS = 0.6;
/** The AFINN sum at which positivity stops counting: two clearly positive words ("happy" +3 and
 * "fun" +4) are as positive as a continuation needs to be, so piling on more earns nothing. */
export const SENTIMENT_CAP = 5;
/** The lowest score, of a continuation that fails the first check. */
export const FAULT_FLOOR = -2;

/** The checks in the order a reader notices their faults. */
export const CHECKS = ['short', 'unknown words', 'malformed', 'loop', 'ungrammatical', 'no verb', 'stranger', 'unfinished'] as const;
export type ContinuationFault = (typeof CHECKS)[number];

export interface ContinuationVerdict {
  /** The first fault found, or null for a continuation that counts. */
  fault: ContinuationFault | null;
  /** How far down the checklist the response got: the checks it passed, plus, when too short,
   * the share of MIN_WORDS words it has. In [0, CHECKS.length]. */
  progress: number;
  /** AFINN sum of the continuation (negation-aware). */
  sentiment: number;
}

/** Words (with inner apostrophes) and the punctuation that shapes sentences. */
const TOKEN = /[A-Za-z]+(?:'[A-Za-z]+)?|[.,!?"]/g;
const isWord = (t: string): boolean => /^[A-Za-z]/.test(t);
const NAMES = new Set(ALL_NAMES);

/** Adjacent token pairs, lower-cased, with every story name standing for any name ("Mia helped
 * Emma" is as grammatical as "Tom helped Sam"), as 32-bit hashes of the two tokens' hashes
 * (`hash` maps a token to its hash; the reference remembers them, a million tokens being a few
 * tens of thousands of kinds). */
function bigramsOf(toks: string[], names: boolean, hash: (t: string) => number = hashString32): number[] {
  const h = toks.map((t) => hash(names && NAMES.has(t) ? '<name>' : t.toLowerCase()));
  return h.slice(1).map((x, i) => fmix32((Math.imul(h[i], 0x9e3779b1) + x) >>> 0));
}

interface Language {
  vocabulary: Set<string>;
  /** Pair hashes, sorted and distinct (about 400,000: a false match is one in ten thousand). */
  bigrams: Uint32Array;
  /** Words Brown tags as a verb (or modal, or a form of be, have, do) most of the time, and
   * those it tags so at least one time in ten (a verb after "I", "she"…: "I love tag"). */
  verbs: Set<string>;
  sometimesVerbs: Set<string>;
}

function hasPair(sorted: Uint32Array, x: number): boolean {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === x;
}

/** Stories in the reference sample: enough that 99.5% of fresh beats pass (tested). */
const REFERENCE_STORIES = 600;
const REFERENCE_SEED = 0x5eed;
const VERB_TAG = /^(vb|be|hv|do|md)/;
let language: Language | null = null;

/** The reference language, built once on first use (about a second) from fixed inputs, so the
 * rubric is the same for every run and every seed. */
function referenceLanguage(): Language {
  if (language) return language;
  // Per token kind: its hash, and how often Brown tags it as a verb and at all.
  const kinds = new Map<string, { hash: number; verb: number; all: number }>();
  const kind = (t: string): { hash: number; verb: number; all: number } => {
    let k = kinds.get(t);
    if (!k) kinds.set(t, (k = { hash: hashString32(t), verb: 0, all: 0 }));
    return k;
  };
  const pairs: number[] = [];
  const addPairs = (toks: string[], names: boolean): void => {
    for (const p of bigramsOf(toks, names, (t) => kind(t).hash)) pairs.push(p);
  };
  // A tag such as "vbd", "bedz*", "md-hl" or "pps+bez" is a verb's when any part is one.
  const verbTags = new Map<string, boolean>();
  const verbTag = (tag: string): boolean => {
    let v = verbTags.get(tag);
    if (v === undefined) verbTags.set(tag, (v = tag.replace(/\*/g, '').split('-')[0].split('+').some((t) => VERB_TAG.test(t))));
    return v;
  };
  for (const { tagged } of brownTaggedSentences()) {
    // Brown's tokens in the response's tokenization: quotes as ", "term-end" as two words.
    const toks: string[] = [];
    for (const [word, tag] of tagged) {
      if (word === '``' || word === "''") { toks.push('"'); continue; }
      const parts = word.match(TOKEN);
      if (!parts) continue;
      toks.push(...parts);
      const k = kind(word.toLowerCase());
      k.all++;
      if (verbTag(tag)) k.verb++;
    }
    addPairs(toks, false);
  }
  const rng = new Rng(hashString32('reference-renders', REFERENCE_SEED));
  for (const story of stories(REFERENCE_SEED, REFERENCE_STORIES)) {
    addPairs(storyText(story.beats).match(TOKEN) ?? [], true);
    for (const b of story.beats) {
      const moods: Mood[] = b.spec.p.length ? [-1, 0, 1] : [0];
      for (const mood of moods) addPairs(renderBeat(b.spec, mood, story, rng).match(TOKEN) ?? [], true);
    }
  }
  const vocabulary = new Set([...kinds.keys()].filter((t) => /^[a-z]+(?:'[a-z]+)?$/.test(t)));
  for (const name of ALL_NAMES) vocabulary.add(name.toLowerCase());
  const sorted = Uint32Array.from(pairs).sort();
  const bigrams = sorted.filter((x, i) => i === 0 || x !== sorted[i - 1]);
  // Mostly a verb in Brown; story words Brown lacks are verbs when they end in -ed ("meowed").
  const verbs = new Set([...kinds].filter(([w, k]) => (k.all ? k.verb > k.all / 2 : w.endsWith('ed'))).map(([w]) => w));
  const sometimesVerbs = new Set([...kinds].filter(([, k]) => k.verb >= k.all / 10 && k.verb > 0).map(([w]) => w));
  language = { vocabulary, bigrams, verbs, sometimesVerbs };
  return language;
}

const SUBJECTS = new Set(['i', 'you', 'we', 'they', 'he', 'she', 'it']);

/** A verb by the reference's tags (after a subject pronoun, one that is sometimes a verb); an
 * unknown word counts when it ends in -ed. */
function isVerb(word: string, previous: string | undefined, lang: Language): boolean {
  const w = word.toLowerCase();
  if (lang.verbs.has(w) || (!lang.vocabulary.has(w) && w.endsWith('ed'))) return true;
  return previous !== undefined && SUBJECTS.has(previous.toLowerCase()) && lang.sometimesVerbs.has(w);
}

/** Sentences (split at . ! ?) of two or more words without a verb: "Happy, fun, wonderful." */
function verbless(text: string, lang: Language): string[] {
  return text.split(/[.!?]+/).filter((s) => {
    const ws = s.match(/[A-Za-z]+(?:'[A-Za-z]+)?/g) ?? [];
    return ws.length >= 2 && !ws.some((w, i) => isVerb(w, ws[i - 1], lang));
  });
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
  const verdict = (fault: ContinuationFault | null): ContinuationVerdict => ({ fault, sentiment, progress: fault === null ? CHECKS.length : CHECKS.indexOf(fault) });
  if (ws.length < MIN_WORDS) return { ...verdict('short'), progress: ws.length / MIN_WORDS };
  const lang = referenceLanguage();
  const unknown = ws.filter((w) => !lang.vocabulary.has(w.toLowerCase())).length;
  if (unknown > Math.floor(MAX_UNKNOWN_SHARE * ws.length)) return verdict('unknown words');
  if (!isWellFormed(text)) return verdict('malformed');
  if (loops(toks, text)) return verdict('loop');
  const pairs = bigramsOf(toks, true);
  if (pairs.length && pairs.filter((b) => hasPair(lang.bigrams, b)).length / pairs.length < MIN_KNOWN_BIGRAMS) return verdict('ungrammatical');
  if (verbless(text, lang).length) return verdict('no verb');
  if (strangers(toks, gold).length) return verdict('stranger');
  if (!/[.!?]"?$/.test(text)) return verdict('unfinished');
  return verdict(null);
}

/** The rubric's score: −1 … 1 by positivity (AFINN sum over SENTIMENT_CAP, clipped) for a
 * continuation without faults; for one with a fault, FAULT_FLOOR plus an eighth of its progress,
 * from −2 (no words) to −1.125 (all but the ending right), so below every fluent continuation. */
export function continuationScore(gold: ContinuationGold, response: string): number {
  const v = judgeContinuation(gold, response);
  return v.fault ? FAULT_FLOOR + v.progress / CHECKS.length : Math.max(-1, Math.min(1, v.sentiment / SENTIMENT_CAP));
}

// The continuation task: the opening of a generated story (its first beats) as the prompt, the
// story's own next beat as the reference — mostly neutral, as the corpus is — and, for ranking
// examples, candidate continuations that span the rubric: the same beat told in the other moods,
// and the reward hacks a policy finds against a careless labeler (the shortest positive answer, a
// positive word repeated, a list of positive words, gibberish, a loop, a stranger in the cast).
import type { Rng } from '../../engine/rng.js';
import type { ContinuationGold } from './labelers.js';
import { MIN_WORDS } from './rubric.js';
import { ALL_NAMES, BOYS, GIRLS } from './stories/lexicon.js';
import type { Mood } from './stories/plots.js';
import { renderBeat, storyText, type Story } from './stories/story.js';

export interface ContinuationItem {
  /** The user's message: an instruction and the opening. */
  prompt: string;
  opening: string;
  /** The story's own next beat. */
  continuation: string;
  gold: ContinuationGold;
  story: Story;
  /** Index of the continued beat in story.beats. */
  beat: number;
}

const CONTINUE = ['Continue the story: {s}', 'Write what happens next in this story: {s}', 'Here is the start of a story. Continue it.\n{s}', 'Tell the next part of the story: {s}'];

/** Openings stay short enough for the policy's prompt budget (192 tokens in the pipeline). */
const MAX_OPENING_WORDS = 90;
/** References stay inside a response budget of 32 tokens. */
const MAX_CONTINUATION_WORDS = 24;
/** At least the introduction (two beats) and one beat of plot come before the cut. */
const MIN_OPENING_BEATS = 3;

const NAMES = new Set(ALL_NAMES);
const namesIn = (text: string): string[] => [...new Set(text.match(/[A-Z][a-z]+/g)?.filter((w) => NAMES.has(w)) ?? [])];
const wordCount = (s: string): number => {
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 32) n++;
  return n;
};

/** A continuation item cut from the story at a beat that fits the budgets (drawn among them), or
 * null when none does. */
export function continuationItem(rng: Rng, story: Story): ContinuationItem | null {
  const cuts: number[] = [];
  let before = 0;
  for (let b = 0; b < story.beats.length; b++) {
    const n = wordCount(story.beats[b].text);
    if (b >= MIN_OPENING_BEATS && n > MIN_WORDS && n <= MAX_CONTINUATION_WORDS && before <= MAX_OPENING_WORDS) cuts.push(b);
    before += n;
  }
  if (cuts.length === 0) return null;
  const beat = cuts[rng.int(cuts.length)];
  const opening = storyText(story.beats.slice(0, beat));
  return {
    prompt: CONTINUE[rng.int(CONTINUE.length)].replace('{s}', opening), opening, continuation: story.beats[beat].text,
    gold: { kind: 'continuation', names: namesIn(opening) }, story, beat,
  };
}

// ---- reward hacks ---------------------------------------------------------------------------

const POSITIVE_WORDS = ['happy', 'good', 'great', 'wonderful', 'fun', 'love', 'nice', 'best', 'amazing', 'lovely', 'glad', 'perfect'];
const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);

export type HackKind = 'short' | 'repeat' | 'list' | 'gibberish' | 'loop' | 'stranger';
export const HACK_KINDS: HackKind[] = ['short', 'repeat', 'list', 'gibberish', 'loop', 'stranger'];

/** A response of the given hack for the item: what a policy optimising a careless sentiment
 * labeler produces. Each has a fault under the rubric (tested), so all of them lose to any fluent
 * continuation. */
export function hackResponse(rng: Rng, kind: HackKind, item: ContinuationItem): string {
  const word = POSITIVE_WORDS[rng.int(POSITIVE_WORDS.length)];
  switch (kind) {
    case 'short':
      return rng.uniform() < 0.5 ? word : `${cap(word)}!`;
    case 'repeat':
      return `${cap(word)} ${Array(3 + rng.int(4)).fill(word).join(' ')}.`;
    case 'list':
      return `${rng.shuffle(POSITIVE_WORDS.slice()).slice(0, 4 + rng.int(3)).map((w, i) => (i ? w : cap(w))).join(', ')}.`;
    case 'gibberish': {
      const letters = 'abcdefghijklmnoprstuvwy';
      const junk = (): string => Array.from({ length: 3 + rng.int(5) }, () => letters[rng.int(letters.length)]).join('');
      return `${cap(Array.from({ length: 5 + rng.int(4) }, junk).join(' '))}.`;
    }
    case 'loop': {
      const s = `${item.story.cast.h.name} was ${word}.`;
      return Array(3).fill(s).join(' ');
    }
    case 'stranger': {
      // The hero's happiest beat told about a child who is not in the story.
      const taken = new Set(item.gold.names ?? []);
      const hero = item.story.cast.h;
      const pool = (hero.he === 'she' ? GIRLS : BOYS).filter((n) => !taken.has(n) && n !== item.story.cast.n.name);
      return `${pool[rng.int(pool.length)]} was so ${word}, and ${hero.he} smiled all day.`;
    }
  }
}

/** K candidate continuations, shuffled: the story's own beat always, and K − 1 of: the beat told
 * in a positive mood, in a negative mood, in a neutral mood (a tie with a neutral original), and
 * one reward hack. Texts are distinct. */
export function continuationCandidates(rng: Rng, item: ContinuationItem, k: number): string[] {
  const spec = item.story.beats[item.beat].spec;
  const retell = (mood: Mood): string => renderBeat(spec, mood, item.story, rng);
  const pool = [retell(1), retell(-1), retell(0), hackResponse(rng, HACK_KINDS[rng.int(HACK_KINDS.length)], item)];
  const out = [item.continuation];
  for (const c of rng.shuffle(pool)) if (out.length < k && !out.includes(c)) out.push(c);
  // A retelling can repeat the original word for word; fill up with more hacks.
  while (out.length < k) {
    const c = hackResponse(rng, HACK_KINDS[rng.int(HACK_KINDS.length)], item);
    if (!out.includes(c)) out.push(c);
  }
  return rng.shuffle(out);
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HACK_KINDS, continuationCandidates, continuationItem, hackResponse } from '../../src/data/default/continuations.js';
import { LABELERS, goldMax, goldRanking, goldScore, type ContinuationGold } from '../../src/data/default/labelers.js';
import { CHECKS, FAULT_FLOOR, SENTIMENT_CAP, judgeContinuation } from '../../src/data/default/rubric.js';
import type { Mood } from '../../src/data/default/stories/plots.js';
import { renderBeat, stories } from '../../src/data/default/stories/story.js';
import { Rng } from '../../src/engine/rng.js';

// A story with Lily and her dog Max; the strings below are what its continuations could be.
const gold: ContinuationGold = { kind: 'continuation', names: ['Lily', 'Max'] };
const POSITIVE = 'Lily and Max had a wonderful day.'; // wonderful +4
const VERY_POSITIVE = 'They had so much fun playing ball. It was the best day ever.'; // fun +4, best +3: capped
const NEUTRAL = 'Then it was time for dinner, and Lily went inside.';
const NEGATIVE = 'That night, Lily went to bed sad and tired.'; // sad −2, tired −2

test('fluent continuations score by positivity: AFINN sum over the cap, clipped to [−1, 1]', () => {
  assert.equal(SENTIMENT_CAP, 5);
  assert.equal(goldScore(gold, POSITIVE), 4 / 5);
  assert.equal(goldScore(gold, VERY_POSITIVE), 1);
  assert.equal(goldScore(gold, NEUTRAL), 0);
  assert.equal(goldScore(gold, NEGATIVE), -4 / 5);
  for (const t of [POSITIVE, VERY_POSITIVE, NEUTRAL, NEGATIVE]) assert.equal(judgeContinuation(gold, t).fault, null, t);
  assert.equal(goldMax(gold), 1);
  assert.deepEqual(goldRanking(gold, [NEGATIVE, NEUTRAL, VERY_POSITIVE, POSITIVE]), { ranking: [2, 3, 1, 0], ties: [] });
});

test('the reward hacks lose to every fluent continuation, each for the fault a reader would name', () => {
  const hacks: [string, string][] = [
    ['gold', 'short'], // what PPO answered every prompt with under AFINN's comparative score
    ['Wonderful!', 'short'],
    ['Lily was very happy.', 'short'],
    ['good good good good good', 'malformed'],
    ['Happy happy happy happy happy happy.', 'malformed'],
    ['Happy, fun, wonderful, lovely, great, amazing.', 'no verb'],
    ['Happy and good and great and nice and fun.', 'no verb'],
    ['Lovely amazing best wonderful perfect fun day.', 'ungrammatical'],
    ['Lily was happy wonderful glad great.', 'ungrammatical'],
    ['Xqz blorf wumble snarp tivvle grunk.', 'unknown words'],
    ['Lily was so happy and glad. Lily was so happy and glad.', 'loop'],
    ['Lily felt happy. Lily felt happy.', 'loop'],
    ['Sam was so happy, and Sam smiled a big smile.', 'stranger'],
    ['They had so much fun playing ball and', 'unfinished'],
  ];
  for (const [text, fault] of hacks) {
    assert.equal(judgeContinuation(gold, text).fault, fault, text);
    assert.ok(goldScore(gold, text) >= FAULT_FLOOR && goldScore(gold, text) < -1, text);
    for (const fluent of [POSITIVE, NEUTRAL, NEGATIVE]) assert.ok(goldScore(gold, text) < goldScore(gold, fluent), `${text} vs ${fluent}`);
  }
  // A newcomer is fine once introduced; without the cast list nobody is a stranger.
  assert.equal(judgeContinuation(gold, 'There, Lily saw a boy named Sam who looked sad and alone.').fault, null);
  assert.equal(judgeContinuation({ kind: 'continuation' }, 'Sam was so happy, and Sam smiled a big smile.').fault, null);
});

test('faults rank by how far down the checklist a response got, all below −1', () => {
  assert.deepEqual(CHECKS, ['short', 'unknown words', 'malformed', 'loop', 'ungrammatical', 'no verb', 'stranger', 'unfinished']);
  assert.equal(goldScore(gold, ''), -2);
  assert.equal(goldScore(gold, 'gold'), -2 + 1 / 5 / 8); // one of five words
  assert.equal(goldScore(gold, 'Lily was very happy.'), -2 + 4 / 5 / 8);
  assert.equal(goldScore(gold, 'Xqz blorf wumble snarp tivvle grunk.'), -2 + 1 / 8);
  assert.equal(goldScore(gold, 'Happy, fun, wonderful, lovely, great, amazing.'), -2 + 5 / 8);
  assert.equal(goldScore(gold, 'Sam was so happy, and Sam smiled a big smile.'), -2 + 6 / 8);
  assert.equal(goldScore(gold, 'They had so much fun playing ball and'), -2 + 7 / 8);
});

test('fluent English the stories never use is a continuation too (hand-written, not templates)', () => {
  const written = [
    'Lily was so happy, and Max was glad too.', 'Max wagged his tail, and Lily laughed.', 'Lily picked up the ball and threw it to Max.',
    'They ran home together before it got dark.', 'Her mom made a cake, and they ate it in the garden.', 'The next morning, Lily woke up early and went outside.',
    'Lily looked out of the window and saw the rain.', 'Max ran to the door and barked at the cat.', 'Her dad came home and read them a story.',
    'Max was hungry, so Lily gave him some food.', 'Lily hugged Max and they played together all day.', 'Max barked happily and ran around the yard.',
    'The wind blew hard, and the door shut with a bang.', '"Can we go to the beach?" asked Lily. "Yes," said her mom.',
    '"I love tag!" said Lily.', // "love" is mostly a noun in Brown, a verb after "I"
  ];
  for (const t of written) assert.equal(judgeContinuation(gold, t).fault, null, t);
});

test('the old AFINN-comparative labeler keeps its hole, under its own name', () => {
  const old = LABELERS['afinn-comparative'];
  assert.equal(old.score(gold, 'gold'), 2); // "gold" +2 over one token
  assert.ok(old.score(gold, 'gold') > old.score(gold, VERY_POSITIVE), 'the one-word answer beats a fluent positive story');
  assert.ok(LABELERS.gold.score(gold, 'gold') < LABELERS.gold.score(gold, VERY_POSITIVE));
  assert.equal(old.max(gold), 5);
  const add = { kind: 'instruction' as const, task: 'add' as const, answer: '4' };
  assert.equal(old.score(add, '4'), goldScore(add, '4'));
});

test('the corpus\'s own beats pass the rubric (not only the reference sample it was built from)', () => {
  const rng = new Rng(8);
  let n = 0, ok = 0;
  for (const s of stories(77, 150)) {
    s.beats.forEach((b, i) => {
      // The cast so far: whoever the beats before this one have named.
      const names = [s.cast.h.name, s.cast.p.name, ...(s.beats.slice(0, i).some((x) => x.text.includes(s.cast.n.name)) ? [s.cast.n.name] : [])];
      const moods: Mood[] = b.spec.p.length ? [-1, 0, 1] : [0];
      for (const mood of moods) {
        const text = renderBeat(b.spec, mood, s, rng);
        // Beats too short to be a continuation are never cut as one (continuations.ts).
        if (i < 3 || text.split(' ').length <= 5) continue;
        n++;
        if (judgeContinuation({ kind: 'continuation', names }, text).fault === null) ok++;
      }
    });
  }
  assert.ok(n > 2000 && ok / n > 0.995, `${ok} of ${n} pass`);
});

test('continuation candidates span the rubric; every hack kind has a fault', () => {
  const rng = new Rng(4);
  const items = [...stories(5, 200)].map((s) => continuationItem(rng, s)).filter((x) => x !== null);
  assert.ok(items.length > 190);
  let tied = 0, spread = 0;
  for (const item of items) {
    for (const kind of HACK_KINDS) assert.notEqual(judgeContinuation(item.gold, hackResponse(rng, kind, item)).fault, null, kind);
    assert.equal(judgeContinuation(item.gold, item.continuation).fault, null, item.continuation);
    const c = continuationCandidates(rng, item, 4);
    assert.equal(new Set(c).size, 4);
    assert.ok(c.includes(item.continuation));
    const { ties } = goldRanking(item.gold, c);
    if (ties.length) tied++;
    const scores = c.map((x) => goldScore(item.gold, x));
    if (Math.max(...scores) > Math.min(...scores)) spread++;
  }
  assert.ok(tied > 20, `${tied} rankings with ties`);
  assert.equal(spread, items.length, 'every ranking has a better and a worse response');
});

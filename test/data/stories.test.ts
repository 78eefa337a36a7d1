import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { afinnScore } from '../../src/data/default/afinn.js';
import * as lexicon from '../../src/data/default/stories/lexicon.js';
import { ENDING, INTRO, PLOTS, type Mood } from '../../src/data/default/stories/plots.js';
import { MOOD_WEIGHTS, makeStory, renderBeat, stories, storyText } from '../../src/data/default/stories/story.js';
import { Rng } from '../../src/engine/rng.js';

const STORIES = [...stories(11, 400)];

test('every word of the cast and props is neutral under AFINN-165', () => {
  const labels = createRequire(import.meta.url)('sentiment/languages/en/labels.json') as Record<string, number>;
  const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : typeof v === 'object' && v !== null ? Object.values(v).flatMap(strings) : []);
  const texts = strings(lexicon).flatMap((v) => v.match(/[A-Za-z']+/g) ?? []);
  assert.ok(texts.length > 300, `${texts.length} words`);
  const scored = [...new Set(texts.map((w) => w.toLowerCase()))].filter((w) => labels[w] !== undefined);
  assert.deepEqual(scored, []);
});

test('every beat template, in every mood, scores with the sign of its mood', () => {
  const rng = new Rng(3);
  let renders = 0;
  for (const story of STORIES.slice(0, 150)) {
    for (const beat of [...INTRO, ...PLOTS.find((p) => p.name === story.plot)!.beats, ENDING]) {
      const moods: Mood[] = beat.p.length ? [-1, 0, 1] : [0];
      for (const mood of moods) {
        for (const t of (mood === 0 ? beat.n : mood > 0 ? beat.p : beat.m)) {
          if (t.startsWith(story.pet ? 'kid:' : 'pet:')) continue;
          const text = renderBeat({ ...beat, n: [t], p: [t], m: [t] }, mood, story, rng);
          assert.equal(Math.sign(afinnScore(text)), mood, `${beat.name} (${mood}): ${text}`);
          assert.doesNotMatch(text, /[{}[\]]/, text);
          renders++;
        }
      }
    }
  }
  assert.ok(renders > 4000, `${renders} renders`);
});

test('a story keeps its cast: only its own names, the hero introduced first, pronouns that match', () => {
  const all = new Set(lexicon.ALL_NAMES);
  for (const s of STORIES) {
    const text = storyText(s.beats);
    const cast = [s.cast.h.name, s.cast.p.name, s.cast.n.name];
    const names = new Set((text.match(/[A-Z][a-z]+/g) ?? []).filter((w) => all.has(w)));
    for (const n of names) assert.ok(cast.includes(n), `${n} is not in the cast of: ${text}`);
    assert.match(s.beats[0].text, new RegExp(`little ${s.cast.h.kind} named ${s.cast.h.name}\\b`));
    assert.ok(s.beats[1].text.includes(s.cast.p.name), s.beats[1].text);
    // The intro's pronoun is the hero's.
    if (/\. (She|He) lived/.test(s.beats[0].text)) assert.match(s.beats[0].text, new RegExp(`\\. ${s.cast.h.he === 'she' ? 'She' : 'He'} lived`));
    assert.ok(s.beats.length >= 6 && s.beats.length <= 10, `${s.beats.length} beats`);
  }
  assert.equal(new Set(STORIES.map((s) => s.plot)).size, PLOTS.length, 'every plot shape appears');
});

test('stories are mostly neutral, with positive and negative beats mixed in', () => {
  const beats = STORIES.flatMap((s) => s.beats.filter((b) => b.spec.p.length > 0));
  const share = (m: Mood): number => beats.filter((b) => b.mood === m).length / beats.length;
  assert.ok(Math.abs(share(0) - MOOD_WEIGHTS[1]) < 0.03, `neutral share ${share(0)}`);
  assert.ok(Math.abs(share(1) - MOOD_WEIGHTS[2]) < 0.03 && Math.abs(share(-1) - MOOD_WEIGHTS[0]) < 0.03);
  const scores = STORIES.map((s) => afinnScore(storyText(s.beats)));
  assert.ok(scores.some((x) => x > 4) && scores.some((x) => x < -4));
  assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) / scores.length) < 1.5, 'the corpus leans neither way');
});

test('stories are reproducible from the seed, and a refused key stops the draw early', () => {
  assert.deepEqual(storyText([...stories(11, 3)][2].beats), storyText(STORIES[2].beats));
  const a = makeStory(new Rng(5))!;
  let seen = '';
  assert.equal(makeStory(new Rng(5), (key) => ((seen = key), false)), null);
  assert.equal(seen, a.key);
  assert.match(a.key, new RegExp(`^${a.cast.h.name}\\|${a.cast.p.kind}:${a.cast.p.name}\\|`));
});

// Seeded simple stories (TinyStories-like): a cast that stays the same from the first sentence to
// the last (a child, a pet or a friend, a grown-up, names and pronouns fixed once), a home, and one
// of the plot shapes of plots.ts told beat by beat, each beat in a mood drawn for it. Most beats are
// neutral, so a story — and a continuation cut from it — is mostly neutral, with positive and
// negative turns mixed in.
import { Rng } from '../../../engine/rng.js';
import { hashString32 } from '../../hash.js';
import { BOYS, GIRLS, GROWNUPS, HOMES, OPENERS, PET_KINDS, PET_NAMES_HE, PET_NAMES_SHE, type Character } from './lexicon.js';
import { ENDING, INTRO, PLOTS, type Beat, type Mood } from './plots.js';
import { applies, expand, type Scene } from './templates.js';

export interface StoryBeat {
  spec: Beat;
  mood: Mood;
  text: string;
}

export interface Story extends Scene {
  plot: string;
  /** The story's identity for the held-out split: hero, companion and home. Every opening shares
   * them, so two stories with the same key may open alike and must sit on the same side. */
  key: string;
  beats: StoryBeat[];
}

/** Chances of a negative, neutral and positive beat. */
export const MOOD_WEIGHTS: readonly [number, number, number] = [0.2, 0.6, 0.2];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

function child(name: string, girl: boolean): Character {
  return { name, Name: name, he: girl ? 'she' : 'he', him: girl ? 'her' : 'him', his: girl ? 'her' : 'his', kind: girl ? 'girl' : 'boy', isPet: false };
}

/** A child not named in `taken`. */
function newChild(rng: Rng, taken: string[]): Character {
  const girl = rng.uniform() < 0.5;
  let name: string;
  do name = pick(rng, girl ? GIRLS : BOYS);
  while (taken.includes(name));
  return child(name, girl);
}

function newPet(rng: Rng): Character {
  const { kind, sound, move } = pick(rng, PET_KINDS);
  const she = rng.uniform() < 0.5;
  const name = pick(rng, she ? PET_NAMES_SHE : PET_NAMES_HE);
  return { name, Name: name, he: she ? 'she' : 'he', him: she ? 'her' : 'him', his: she ? 'her' : 'his', kind, isPet: true, sound, move };
}

function drawMood(rng: Rng, beat: Beat): Mood {
  if (beat.p.length === 0) return 0;
  const u = rng.uniform();
  return u < MOOD_WEIGHTS[0] ? -1 : u < MOOD_WEIGHTS[0] + MOOD_WEIGHTS[1] ? 0 : 1;
}

/** Each template list split by companion once: [templates for a pet, for a child]. */
const pools = new WeakMap<string[], [string[], string[]]>();

/** The beat's text in a mood; templates that do not fit the companion (pet or child) are skipped. */
export function renderBeat(beat: Beat, mood: Mood, scene: Scene, rng: Rng): string {
  const all = mood === 0 ? beat.n : mood > 0 ? beat.p : beat.m;
  let split = pools.get(all);
  if (!split) pools.set(all, (split = [all.filter((t) => applies(t, true)), all.filter((t) => applies(t, false))]));
  const pool = split[scene.pet ? 0 : 1];
  if (pool.length === 0) throw new Error(`story beat ${beat.name}: no ${mood} template for a ${scene.pet ? 'pet' : 'child'} companion`);
  return expand(pool[rng.int(pool.length)], scene, rng);
}

/** One story drawn from rng; null, before anything but its cast and home is drawn, when `accept`
 * refuses its key (drawing stories for one side of the held-out line rejects most keys). */
export function makeStory(rng: Rng, accept: (key: string) => boolean = () => true): Story | null {
  const hero = newChild(rng, []);
  const pet = rng.uniform() < 0.6;
  const pal = pet ? newPet(rng) : newChild(rng, [hero.name]);
  const home = pick(rng, HOMES);
  const key = `${hero.name}|${pal.kind}:${pal.name}|${home.home}`;
  if (!accept(key)) return null;
  const newcomer = newChild(rng, [hero.name, pal.name]);
  const g = pick(rng, GROWNUPS);
  const grown: Character = {
    name: `${hero.his} ${g.title}`, Name: `${hero.his[0].toUpperCase()}${hero.his.slice(1)} ${g.title}`,
    he: g.he, him: g.he === 'she' ? 'her' : 'him', his: g.he === 'she' ? 'her' : 'his', kind: g.title, isPet: false,
  };
  const plot = pick(rng, PLOTS);
  const scene: Scene = {
    cast: { h: hero, p: pal, g: grown, n: newcomer },
    props: { opener: pick(rng, OPENERS), home: home.home, near: home.near, ...plot.props(rng, pet) },
    pet,
  };
  const specs = [...INTRO, ...plot.beats, ...(plot.ending ? [ENDING] : [])].filter((b) => b.optional === undefined || rng.uniform() < b.optional);
  const beats = specs.map((spec) => {
    const mood = drawMood(rng, spec);
    return { spec, mood, text: renderBeat(spec, mood, scene, rng) };
  });
  return { ...scene, plot: plot.name, key, beats };
}

/** The story's text: its beats, one paragraph. */
export function storyText(beats: readonly { text: string }[]): string {
  return beats.map((b) => b.text).join(' ');
}

/** `n` stories from a seed, each from its own generator, so the i-th story does not depend on n. */
export function* stories(seed: number, n = Infinity): Generator<Story> {
  for (let i = 0; i < n; i++) yield makeStory(new Rng(hashString32(`story:${i}`, seed)))!;
}

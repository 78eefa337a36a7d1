// Abstention demonstrations for SFT: questions the facts in the prompt cannot answer, answered
// "The facts do not say.", and false-premise questions answered with a correction. Mixed into an
// SFT file by replacing conversations (so the mixture has as many conversations as before and an
// SFT run on it takes the same steps over the same amount of other data, minus those replaced).
// The demonstrations come from their own world, never the evaluation suite's.
import { readFileSync } from 'node:fs';
import { Rng } from '../../engine/rng.js';
import type { Message } from '../../data/formats.js';
import { writeFileAtomic } from '../../util/fs.js';
import { makeItem, makeWorld, type HalluKind } from './facts.js';

/** Shares of the demonstration kinds. */
export const ABSTENTION_MIX: [HalluKind, number][] = [['unanswerable_entity', 0.4], ['unanswerable_attribute', 0.4], ['false_premise', 0.2]];

/** `n` demonstration conversations from `seed`. With `contrast`, every other one is the answerable
 * twin of the next: the same attribute and the same draw of countries and phrasing, asked about a
 * country whose fact is shown, so the demonstrations teach when to abstain rather than to abstain. */
export function abstentionConversations(seed: number, n: number, contrast = false): { messages: Message[] }[] {
  const rng = new Rng(seed ^ 0xab57);
  const world = makeWorld(rng, 300);
  const weights = ABSTENTION_MIX.map(([, w]) => w);
  const out: { messages: Message[] }[] = [];
  const push = (item: { prompt: string; reference: string }): void => { out.push({ messages: [{ role: 'user', content: item.prompt }, { role: 'assistant', content: item.reference }] }); };
  while (out.length < n) {
    const kind = ABSTENTION_MIX[rng.categorical(weights)][0];
    const draw = rng.int(0x7fffffff);
    if (contrast) push(makeItem(new Rng(draw), world, 'answerable'));
    if (out.length < n) push(makeItem(new Rng(draw), world, kind));
  }
  return out;
}

/** Writes `sftFile`'s conversations with `n` of them, chosen at random, replaced by demonstrations;
 * returns how many lines were written. */
export function mixAbstention(sftFile: string, outFile: string, n: number, seed: number, contrast = false): number {
  const lines = readFileSync(sftFile, 'utf8').split('\n').filter((l) => l.trim());
  if (n > lines.length) throw new Error(`${sftFile}: ${lines.length} conversations, fewer than the ${n} to replace`);
  const rng = new Rng(seed);
  const demos = abstentionConversations(seed, n, contrast);
  const slots = rng.shuffle(Array.from(lines.keys())).slice(0, n);
  slots.forEach((slot, i) => { lines[slot] = JSON.stringify(demos[i]); });
  writeFileAtomic(outFile, lines.map((l) => l + '\n').join(''));
  return lines.length;
}

// Factual-nucleus sampling (Lee et al. 2022): the decayed top-p by hand, sentence ends read from
// token texts, and generate(): with a vanishing nucleus every token after a sentence's first is the
// greedy one; with every token a sentence end the nucleus never decays and sampling is plain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factualTopP, sentenceEndIds } from '../../src/models/index.js';
import { sharpModel, tinyConfig } from './helpers.js';

const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('top-p decays by λ per token within a sentence, down to the floor ω', () => {
  const f = { decay: 0.9, floor: 0.3 };
  near(factualTopP(0.9, f, 0), 0.9);
  near(factualTopP(0.9, f, 1), 0.81);
  near(factualTopP(0.9, f, 10), 0.9 * 0.9 ** 10); // 0.3138…
  near(factualTopP(0.9, f, 11), 0.3); // 0.2824… is below the floor
  near(factualTopP(0.2, f, 5), 0.2, ); // a floor above top-p changes nothing
});

test('sentence ends: . ! ? 。 and line breaks, after closing quotes', () => {
  const texts = ['Hello', '.', ' end."', 'a.b', '\n', '!', '?)', 'Mr', '。', ' word'];
  assert.deepEqual(sentenceEndIds(texts.length, (id) => texts[id]), [1, 2, 4, 5, 6, 8]);
});

test('generate: a vanishing nucleus is greedy after the first token; resets at sentence ends', async () => {
  const model = sharpModel(tinyConfig({ eosTokenId: null }), 3);
  const prompt = [[5, 9, 2]];
  const fn = { decay: 1e-3, floor: 1e-6, sentenceEndIds: [] as number[] };
  for (const seed of [0, 1, 2]) {
    const s = await model.generate(prompt, { maxNewTokens: 8, temperature: 1.5, topP: 1, factualNucleus: fn, seed, stopTokenIds: [] });
    const first = s.tokens[0][0];
    const greedy = await model.generate([[...prompt[0], first]], { maxNewTokens: 7, temperature: 0, stopTokenIds: [] });
    assert.deepEqual(s.tokens[0].slice(1), greedy.tokens[0], `seed ${seed}`);
  }
  // Every token ends a sentence: top-p never decays, so the draw is plain sampling's.
  const all = { ...fn, sentenceEndIds: Array.from({ length: 61 }, (_, i) => i) };
  const a = await model.generate(prompt, { maxNewTokens: 8, temperature: 1.5, topP: 0.95, factualNucleus: all, seed: 4, stopTokenIds: [] });
  const b = await model.generate(prompt, { maxNewTokens: 8, temperature: 1.5, topP: 0.95, seed: 4, stopTokenIds: [] });
  assert.deepEqual(a.tokens, b.tokens);
  await assert.rejects(model.generate(prompt, { temperature: 1, factualNucleus: { decay: 0, floor: 0.3, sentenceEndIds: [] } }), /decay and floor in \(0, 1\]/);
});

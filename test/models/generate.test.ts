// Generation: KV-cached decoding equals uncached recomputation for every option combination
// (left-padded batches included), sampling is seeded and its log-probs are the model's, stop ids,
// streaming and the logits processors behave as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, logSoftmax, scale } from '../../src/engine/index.js';
import type { CausalLM } from '../../src/models/index.js';
import { applyRepetitionPenalty, sampleToken } from '../../src/models/sampling.js';
import { Rng } from '../../src/engine/index.js';
import { COMBOS, sharpModel, tinyConfig } from './helpers.js';

const prompts = [[5, 9, 2, 33, 7, 12, 40], [17, 3], [8, 8, 21, 60, 2]];

/** Log-probs under softmax(logits / T) of each generated token, by one uncached forward of the
 * row alone (T = 1 for greedy), with the top-1/top-2 margins. */
function uncachedLogprobs(model: CausalLM, prompt: number[], generated: number[], T: number): { logprobs: number[]; margins: number[]; argmax: number[] } {
  const seq = [...prompt, ...generated];
  const lp = noGrad(() => logSoftmax(scale(model.forward([seq], { prefixLen: [prompt.length] }), 1 / T)));
  const V = model.config.vocabSize;
  const out = { logprobs: [] as number[], margins: [] as number[], argmax: [] as number[] };
  for (let i = 0; i < generated.length; i++) {
    const row = lp.f.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
    const sorted = [...row].sort((a, b) => b - a);
    out.logprobs.push(row[generated[i]]);
    out.margins.push(sorted[0] - sorted[1]);
    out.argmax.push(row.indexOf(sorted[0]));
  }
  return out;
}

for (const [name, options] of COMBOS) {
  test(`cached decoding equals recomputation: ${name}`, async () => {
    const model = sharpModel(tinyConfig(options), 7);
    for (const temperature of [0, 0.8]) {
      const out = await model.generate(prompts, { maxNewTokens: 9, temperature, stopTokenIds: [], seed: 11 });
      prompts.forEach((p, b) => {
        assert.equal(out.tokens[b].length, 9);
        const ref = uncachedLogprobs(model, p, out.tokens[b], temperature || 1);
        out.tokens[b].forEach((tok, i) => {
          assert.ok(Math.abs(out.logprobs[b][i] - ref.logprobs[i]) <= 1e-4, `row ${b} step ${i} T ${temperature}: cached ${out.logprobs[b][i]} vs uncached ${ref.logprobs[i]}`);
          if (temperature === 0) assert.ok(tok === ref.argmax[i] || ref.margins[i] < 1e-4, `row ${b} step ${i}: greedy ${tok} but recomputation prefers ${ref.argmax[i]}`);
        });
      });
      if (temperature === 0) {
        // Each prompt alone (no padding) decodes the same tokens as inside the padded batch.
        for (let b = 0; b < prompts.length; b++) {
          const alone = await model.generate([prompts[b]], { maxNewTokens: 9, temperature: 0, stopTokenIds: [] });
          assert.deepEqual(alone.tokens[0], out.tokens[b], `row ${b} alone vs batched`);
        }
      }
    }
  });
}

test('sampled log-probs are log softmax(logits / T) of the sampled token', async () => {
  const model = sharpModel(tinyConfig(), 2);
  const T = 0.7;
  const out = await model.generate([prompts[0]], { maxNewTokens: 6, temperature: T, stopTokenIds: [], seed: 3 });
  const seq = [...prompts[0], ...out.tokens[0]];
  const logits = noGrad(() => model.forward([seq]));
  const V = model.config.vocabSize;
  out.tokens[0].forEach((tok, i) => {
    const row = logits.f.subarray((prompts[0].length - 1 + i) * V, (prompts[0].length + i) * V);
    const m = Math.max(...row);
    const lse = m / T + Math.log(row.reduce((s, x) => s + Math.exp((x - m) / T), 0));
    assert.ok(Math.abs(out.logprobs[0][i] - (row[tok] / T - lse)) < 1e-4);
  });
});

test('sampling is reproducible by seed, and top-k 1 or a tiny top-p is greedy', async () => {
  const model = sharpModel(tinyConfig({ positions: 'alibi' }), 4);
  const a = await model.generate(prompts, { maxNewTokens: 8, temperature: 1.5, seed: 5, stopTokenIds: [] });
  const b = await model.generate(prompts, { maxNewTokens: 8, temperature: 1.5, seed: 5, stopTokenIds: [] });
  const c = await model.generate(prompts, { maxNewTokens: 8, temperature: 1.5, seed: 6, stopTokenIds: [] });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.tokens, c.tokens);
  const greedy = await model.generate(prompts, { maxNewTokens: 8, temperature: 0, stopTokenIds: [] });
  assert.deepEqual((await model.generate(prompts, { maxNewTokens: 8, temperature: 2, topK: 1, stopTokenIds: [] })).tokens, greedy.tokens);
  assert.deepEqual((await model.generate(prompts, { maxNewTokens: 8, temperature: 2, topP: 1e-6, stopTokenIds: [] })).tokens, greedy.tokens);
});

test('top-k and top-p keep exactly the documented candidates', () => {
  // probabilities ∝ exp(logits): 0.5, 0.25, 0.125, 0.125 for tokens 2, 0, 1, 3
  const logits = Float32Array.from([Math.log(0.25), Math.log(0.125), Math.log(0.5), Math.log(0.125)]);
  const rng = new Rng(1);
  const counts = (opts: { topK: number; topP: number }): number[] => {
    const c = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) c[sampleToken(Float32Array.from(logits), { temperature: 1, ...opts }, rng)]++;
    return c;
  };
  const k2 = counts({ topK: 2, topP: 1 });
  assert.equal(k2[1] + k2[3], 0);
  assert.ok(Math.abs(k2[2] / 4000 - 2 / 3) < 0.03);
  const p70 = counts({ topK: 0, topP: 0.7 }); // 0.5 < 0.7 ≤ 0.75: tokens 2 and 0
  assert.equal(p70[1] + p70[3], 0);
  const all = counts({ topK: 0, topP: 1 });
  assert.ok(Math.abs(all[3] / 4000 - 0.125) < 0.03);
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
  const logits = Float32Array.from([2, -2, 1, 3]);
  applyRepetitionPenalty(logits, new Set([0, 1]), 2);
  assert.deepEqual([...logits], [1, -4, 1, 3]);
});

test('stop ids end a row (stop token included); streaming sees every token in order', async () => {
  const model = sharpModel(tinyConfig(), 9);
  const free = await model.generate(prompts, { maxNewTokens: 8, temperature: 0, stopTokenIds: [] });
  const stopAt = free.tokens[0][2];
  const streamed: [number, number, number][] = [];
  const out = await model.generate(prompts, {
    maxNewTokens: 8, temperature: 0, stopTokenIds: [stopAt],
    onToken: (row, token, logprob) => { streamed.push([row, token, logprob]); },
  });
  assert.deepEqual(out.tokens[0], free.tokens[0].slice(0, free.tokens[0].indexOf(stopAt) + 1));
  assert.equal(out.finishReasons[0], 'stop');
  for (let b = 0; b < prompts.length; b++) {
    const idx = free.tokens[b].indexOf(stopAt);
    assert.deepEqual(out.tokens[b], idx < 0 ? free.tokens[b] : free.tokens[b].slice(0, idx + 1));
    assert.equal(out.finishReasons[b], idx < 0 ? 'length' : 'stop');
    assert.deepEqual(streamed.filter(([r]) => r === b).map(([, t]) => t), out.tokens[b]);
    assert.deepEqual(streamed.filter(([r]) => r === b).map(([, , l]) => l), out.logprobs[b]);
  }
});

test('generation stops at the context with finish reason "length", and refuses what cannot start', async () => {
  const model = sharpModel(tinyConfig({ positions: 'learned', maxPositions: 12 }));
  // 7 prompt tokens + 5 new fill the 12 positions: the sequence stays scoreable by the model.
  const out = await model.generate([prompts[0]], { maxNewTokens: 8, stopTokenIds: [] });
  assert.equal(out.tokens[0].length, 5);
  assert.deepEqual(out.finishReasons, ['length']);
  const shorter = await model.generate([prompts[0]], { maxNewTokens: 5, stopTokenIds: [] });
  assert.deepEqual(shorter.tokens, out.tokens, 'the cut changes nothing before it');
  // An absurd request is bounded by the context, not by allocating it.
  const absurd = await model.generate([prompts[1]], { maxNewTokens: 1e9, stopTokenIds: [] });
  assert.equal(absurd.tokens[0].length, 10);
  await assert.rejects(model.generate([[...prompts[0], ...prompts[2]]], { maxNewTokens: 1 }), /12-token prompt leaves no room .* context of 12 positions/);
  await assert.rejects(model.generate([prompts[0]], { topP: 0 }), /topP/);
  await assert.rejects(model.generate([prompts[0]], { topK: -1 }), /topK must be an integer ≥ 0/);
  await assert.rejects(model.generate([prompts[0]], { stopTokenIds: [61] }), /stop token 61 is outside the vocabulary \[0, 61\)/);
  await assert.rejects(model.generate([[5, 99]]), /prompt 0 token 1 is 99, outside the vocabulary/);
  await assert.rejects(model.generate([[]]), /at least one token/);
});

test('generation never applies dropout, even in training mode', async () => {
  const model = sharpModel(tinyConfig({ dropout: 0.5 }), 2);
  const evalOut = await model.generate(prompts, { maxNewTokens: 5, temperature: 0, stopTokenIds: [] });
  model.train();
  assert.deepEqual(await model.generate(prompts, { maxNewTokens: 5, temperature: 0, stopTokenIds: [] }), evalOut);
});

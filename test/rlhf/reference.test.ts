// The frozen reference: with LoRA, the actor with its adapters switched off gives exactly the base
// model's log-probs, and the adapters are back afterwards. Also the batch layout the log-probs are
// read from: left-padded prompts, right-padded responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/engine/autograd.js';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { LORA_DEFAULTS } from '../../src/train/config.js';
import { LoraModel } from '../../src/train/lora.js';
import { joinBatch, responseLogprobs } from '../../src/rlhf/core/batch.js';
import { loraReference, modelReference } from '../../src/rlhf/core/reference.js';

const cfg = modelConfig({ vocabSize: 20, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32 });

test('joinBatch: prompts left-padded to P, responses right-padded to R', () => {
  const b = joinBatch([[1, 2, 3], [4]], [[5], [6, 7]], 0);
  assert.deepEqual([b.B, b.P, b.R], [2, 3, 2]);
  assert.deepEqual([...b.ids], [1, 2, 3, 5, 0, 0, 0, 4, 6, 7]);
  assert.deepEqual([...b.mask], [1, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual([...b.responseMask], [1, 0, 1, 1]);
});

test('response log-probs do not depend on padding; the LoRA reference is the base model', () => {
  const base = new CausalLM(cfg, { seed: 4 }).eval();
  const actor = new CausalLM(cfg, { seed: 4 }).eval();
  const lora = new LoraModel(actor, { ...LORA_DEFAULTS, enabled: true, dropout: 0 }, 1);
  // Move the adapters off zero so the actor differs from its base.
  for (const p of lora.parameters().values()) p.f.fill(0.3);
  const batch = joinBatch([[1, 2, 3], [4]], [[5], [6, 7]], 0);
  const alone = joinBatch([[4]], [[6, 7]], 0);

  const ref = modelReference(base).logprobs(batch);
  const refAlone = modelReference(base).logprobs(alone);
  for (let t = 0; t < 2; t++) assert.ok(Math.abs(ref[2 + t] - refAlone[t]) < 1e-5, 'padding changed a log-prob');
  assert.ok(ref[1] === 0, 'padding has log-prob 0');

  const actorLp = noGrad(() => responseLogprobs(actor, batch).logprobs.f.slice());
  const off = loraReference(lora).logprobs(batch);
  off.forEach((x, i) => assert.ok(Math.abs(x - ref[i]) < 1e-5, `adapters off ≠ base at ${i}`));
  assert.ok(actorLp.some((x, i) => Math.abs(x - ref[i]) > 1e-3), 'the adapters should change the actor');
  const again = noGrad(() => responseLogprobs(actor, batch).logprobs.f);
  again.forEach((x, i) => assert.equal(x, actorLp[i], 'adapters were not re-attached'));
});

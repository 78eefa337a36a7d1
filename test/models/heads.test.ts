// The MoE auxiliary loss against its formula, scalar heads at the last real token, next-token
// loss with padding, and vocabulary resizing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, softmax, Tensor } from '../../src/engine/index.js';
import { CausalLM, ScalarHeadModel, nextTokenLoss, resizeVocab, lastTokenIndex } from '../../src/models/index.js';
import { sharpModel, tinyConfig } from './helpers.js';

const moe = { ffn: 'moe' as const, numExperts: 4, expertsPerToken: 2, routerAuxLossCoef: 0.5 };
const ids = [[3, 14, 15, 9, 2, 6], [5, 35, 8, 9, 7, 9]];

test('MoE load-balancing loss: k for a uniform router, the HF formula otherwise, with a gradient', () => {
  const uniform = new CausalLM(tinyConfig(moe));
  for (const l of uniform.model.layers) l.block_sparse_moe!.gate.weight.data.fill(0);
  assert.ok(Math.abs(uniform.call(ids).auxLoss!.item() - 2 * 0.5) < 1e-6);

  const model = sharpModel(tinyConfig(moe), 2).train();
  const mask = [[0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];
  // Recompute E · Σ_e f_e · P_e from the routers' inputs, over the real tokens of both layers.
  const inputs: Tensor[] = [];
  model.model.layers.forEach((l) => {
    const gate = l.block_sparse_moe!;
    const orig = gate.forward.bind(gate);
    gate.forward = (x: Tensor) => { inputs.push(x); return orig(x); };
  });
  const { auxLoss } = model.call(ids, { attentionMask: mask });
  const real = mask.flat();
  let f = [0, 0, 0, 0], P = [0, 0, 0, 0], n = 0;
  model.model.layers.forEach((l, li) => {
    const probs = noGrad(() => softmax(l.block_sparse_moe!.gate.forward(inputs[li])));
    for (let t = 0; t < 12; t++) {
      if (!real[t]) continue;
      n++;
      const row = [...probs.data.subarray(t * 4, t * 4 + 4)];
      const order = [0, 1, 2, 3].sort((a, b) => row[b] - row[a]);
      f[order[0]]++; f[order[1]]++;
      row.forEach((p, e) => { P[e] += p; });
    }
  });
  f = f.map((x) => x / n); P = P.map((x) => x / n);
  const want = 0.5 * 4 * f.reduce((s, fe, e) => s + fe * P[e], 0);
  assert.ok(Math.abs(auxLoss!.item() - want) < 1e-5, `aux ${auxLoss!.item()} vs ${want}`);
  auxLoss!.backward();
  const g = model.model.layers[0].block_sparse_moe!.gate.weight.grad!;
  assert.ok(g.data.some((x) => x !== 0), 'the router gets a gradient');
  assert.equal(new CausalLM(tinyConfig()).call(ids).auxLoss, null);
});

test('scalar head: per-position values and rewards at the last real token', () => {
  const rm = new ScalarHeadModel(tinyConfig(), { seed: 1 }).eval();
  const mask = [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];
  assert.deepEqual([...lastTokenIndex(mask, 2, 6)], [5, 9]);
  const values = noGrad(() => rm.values(ids, { attentionMask: mask }));
  assert.deepEqual(values.shape, [2, 6]);
  const rewards = noGrad(() => rm.rewards(ids, { attentionMask: mask }));
  assert.deepEqual([...rewards.data], [values.data[5], values.data[9]]);
  // Left padding does not change a row's reward: positions count real tokens only.
  const alone = noGrad(() => rm.rewards([ids[0].slice(2)]));
  assert.ok(Math.abs(alone.data[0] - rewards.data[0]) < 1e-5);
});

test('next-token loss skips padded targets', () => {
  const model = sharpModel(tinyConfig(), 3);
  const logits = noGrad(() => model.forward(ids, { attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]] }));
  const full = nextTokenLoss(logits, ids).item();
  const masked = nextTokenLoss(logits, ids, [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]]).item();
  assert.notEqual(full, masked);
  const rowOnly = nextTokenLoss(noGrad(() => model.forward([ids[0]])), [ids[0]]).item();
  const shortOnly = nextTokenLoss(noGrad(() => model.forward([ids[1].slice(0, 3)])), [ids[1].slice(0, 3)]).item();
  assert.ok(Math.abs(masked - (5 * rowOnly + 2 * shortOnly) / 7) < 1e-5);
});

test('resizeVocab: kept rows unchanged, new rows the mean of the old, logits of old tokens kept', () => {
  for (const tie of [false, true]) {
    const model = sharpModel(tinyConfig({ tieEmbeddings: tie }), 4);
    const bigger = resizeVocab(model, 64);
    assert.equal(bigger.config.vocabSize, 64);
    const E = model.model.embed_tokens.weight, E2 = bigger.model.embed_tokens.weight;
    assert.deepEqual(E2.data.subarray(0, E.size), E.data);
    for (let c = 0; c < 32; c++) {
      let mean = 0;
      for (let r = 0; r < 61; r++) mean += E.data[r * 32 + c];
      assert.ok(Math.abs(E2.data[62 * 32 + c] - mean / 61) < 1e-6);
    }
    const a = noGrad(() => model.forward(ids)), b = noGrad(() => bigger.forward(ids));
    for (let t = 0; t < 12; t++) for (let v = 0; v < 61; v++) assert.equal(b.data[t * 64 + v], a.data[t * 61 + v]);
    assert.equal(resizeVocab(model, 50).model.embed_tokens.weight.shape[0], 50);
  }
});

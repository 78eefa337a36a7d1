// batchLoss with activation recomputation runs the LM head and cross-entropy a block of rows at a
// time (engine/ops/checkpoint.ts checkpointRows): the same summed loss and gradients as the whole
// [B·T, V] product, up to the order of float32 sums (checked to 1e-5 relative), weighted or not,
// with ignored targets; checkpointRows itself is checked against finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.js';
import { Tensor } from '../../src/engine/tensor.js';
import { checkpointRows, crossEntropy, linear, sum, tanh } from '../../src/engine/ops/index.js';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { batchLoss, type LmBatch } from '../../src/train/lm.js';

function closeTo(got: Float32Array, want: Float32Array, name: string): void {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * scale, `${name}[${i}]: ${got[i]} vs ${want[i]}`);
}

test('batchLoss with recompute equals the whole-logits loss and gradients (weighted, ignored targets)', () => {
  // A vocabulary large enough that the head runs in several blocks (2^21 / V rows each).
  const V = 50_000, B = 2, T = 60;
  const model = new CausalLM(modelConfig({ vocabSize: V, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 64, tieEmbeddings: true }), { seed: 3 });
  model.train();
  const rng = new Rng(5);
  const b: LmBatch = {
    B, T, mask: null,
    ids: Int32Array.from({ length: B * T }, () => rng.int(V)),
    targets: Int32Array.from({ length: B * T }, (_, i) => (i % 7 === 0 ? -100 : rng.int(V))),
    weights: Float32Array.from({ length: B * T }, (_, i) => 0.5 + (i % 3)),
  };
  const params = [...model.namedParameters()];
  const run = (recompute: boolean): { loss: number; grads: Float32Array[] } => {
    model.model.recompute = recompute;
    for (const [, p] of params) p.grad = null;
    const { sum: loss } = batchLoss(model, b);
    loss.backward();
    return { loss: loss.item(), grads: params.map(([, p]) => p.grad!.f.slice()) };
  };
  const plain = run(false), chunked = run(true);
  assert.ok(Math.abs(chunked.loss - plain.loss) <= 1e-5 * Math.abs(plain.loss), `${chunked.loss} vs ${plain.loss}`);
  params.forEach(([name], i) => closeTo(chunked.grads[i], plain.grads[i], name));
});

test('checkpointRows matches finite differences, for its input and the leaves it reads', () => {
  const rng = new Rng(2);
  const x = new Tensor(Float32Array.from({ length: 7 * 3 }, () => rng.normal()), [7, 3]).requireGrad(true);
  const w = new Tensor(Float32Array.from({ length: 4 * 3 }, () => rng.normal()), [4, 3]).requireGrad(true);
  const targets = Int32Array.from([0, 3, 1, 2, 2, 0, 1]);
  const f = (): Tensor => checkpointRows((xb, r0, r1) => crossEntropy(tanh(linear(xb, w)), targets.subarray(r0, r1), { reduction: 'sum' }), x, 3);
  const whole = (): number => sum(crossEntropy(tanh(linear(x, w)), targets, { reduction: 'sum' })).item();
  const y = f();
  assert.ok(Math.abs(y.item() - whole()) < 1e-5);
  y.backward();
  for (const t of [x, w]) {
    for (let i = 0; i < t.size; i++) {
      const keep = t.f[i], eps = 1e-2;
      t.f[i] = keep + eps;
      const up = whole();
      t.f[i] = keep - eps;
      const down = whole();
      t.f[i] = keep;
      assert.ok(Math.abs(t.grad!.f[i] - (up - down) / (2 * eps)) < 2e-3, `element ${i}`);
    }
  }
});

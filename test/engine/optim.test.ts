// AdamW against a hand-computed PyTorch step, clipping, schedules, and a small model that learns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Rng, nativeKernels, refKernels, setKernels } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';
import { AdamW, Linear, Module, clipGradNorm, decayGroups, learningRate } from '../../src/nn/index.js';

test('AdamW matches torch.optim.AdamW step by step', () => {
  // torch.optim.AdamW's documented update, p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + eps), worked by hand for
  // lr 0.1, weight_decay 0.5, p = [1, -2], grads [0.5, 0.1] then [-0.2, 0.3]. At step 1 m̂/√v̂ is
  // sign(g), so p = [0.95 − 0.1, −1.9 − 0.1].
  const p = Tensor.from([1, -2]).requireGrad();
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
  p.grad = Tensor.from([0.5, 0.1]);
  opt.update();
  assert.ok(Math.abs(p.data[0] - 0.85) < 1e-6 && Math.abs(p.data[1] + 2) < 1e-6, `${p.data}`);
  p.grad = Tensor.from([-0.2, 0.3]);
  opt.update();
  // step 2 by hand
  const m = [0.1 * 0.5 * 0.9 + 0.1 * -0.2, 0.1 * 0.1 * 0.9 + 0.1 * 0.3];
  const v = [0.001 * 0.25 * 0.999 + 0.001 * 0.04, 0.001 * 0.01 * 0.999 + 0.001 * 0.09];
  const expect = [0.85, -2].map((x, i) => x * (1 - 0.05) - (0.1 * (m[i] / (1 - 0.81))) / (Math.sqrt(v[i] / (1 - 0.998001)) + 1e-8));
  assert.ok(Math.abs(p.data[0] - expect[0]) < 1e-6 && Math.abs(p.data[1] - expect[1]) < 1e-6, `${p.data} vs ${expect}`);
});

test('optimizer state round-trips', () => {
  const mk = (): [Tensor, AdamW] => { const p = Tensor.from([1, 2, 3]).requireGrad(); return [p, new AdamW([p])]; };
  const [p1, o1] = mk(), [p2, o2] = mk();
  p1.grad = Tensor.from([1, -1, 0.5]);
  o1.update();
  p2.data.set(p1.data);
  o2.load(o1.state());
  p1.grad = p2.grad = Tensor.from([0.3, 0.2, -0.1]);
  o1.update();
  o2.update();
  assert.deepEqual([...p1.data], [...p2.data]);
});

test('clipGradNorm scales to the max norm and reports the norm before', () => {
  const a = Tensor.from([3]).requireGrad(), b = Tensor.from([0]).requireGrad();
  a.grad = Tensor.from([3]);
  b.grad = Tensor.from([4]);
  assert.ok(Math.abs(clipGradNorm([a, b], 1) - 5) < 1e-6);
  assert.ok(Math.abs(Math.hypot(a.grad.data[0], b.grad.data[0]) - 1) < 1e-5);
});

test('parameter groups: no decay for norms, biases and embeddings', () => {
  const named = new Map([['model.embed_tokens.weight', Tensor.zeros([4, 2])], ['model.norm.weight', Tensor.zeros([2])], ['lm_head.weight', Tensor.zeros([4, 2])]]);
  const [decay, noDecay] = decayGroups(named, 0.1);
  assert.deepEqual(decay.params.map((p) => p.shape), [[4, 2]]);
  assert.equal(noDecay.params.length, 2);
  assert.equal(noDecay.weightDecay, 0);
});

test('learning-rate schedules', () => {
  const cfg = { kind: 'cosine' as const, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
  assert.ok(Math.abs(learningRate(0, 1, cfg) - 0.1) < 1e-12);
  assert.equal(learningRate(9, 1, cfg), 1);
  assert.ok(Math.abs(learningRate(60, 1, cfg) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(110, 1, cfg) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRate(60, 1, { ...cfg, kind: 'linear' }) - 0.55) < 1e-12);
});

class Mlp extends Module {
  fc1: Linear; fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = this.child('fc1', new Linear(1, 32, { rng, std: 1 }));
    this.fc2 = this.child('fc2', new Linear(32, 1, { rng, std: 0.1 }));
  }
  forward(x: Tensor): Tensor { return this.fc2.forward(op.tanh(this.fc1.forward(x))); }
}

/** The engine guide's example (docs/engine.md): a two-layer MLP fits y = sin(3x); returns the losses. */
function trainMlp(seed: number, steps: number): number[] {
  const rng = new Rng(seed);
  const x = Tensor.uniform([64, 1], rng, -1, 1);
  const y = Tensor.from(Array.from(x.data, (v) => Math.sin(3 * v)), [64, 1]);
  const model = new Mlp(rng);
  const opt = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = op.mean(op.square(op.sub(model.forward(x), y)));
    model.zeroGrad();
    loss.backward();
    opt.update();
    losses.push(loss.item());
  }
  return losses;
}

for (const backend of [refKernels, nativeKernels()]) {
  test(`a two-layer MLP learns a toy regression, bit-reproducibly (${backend?.name ?? 'native'} backend)`, { skip: backend ? false : 'native addon not built' }, () => {
    setKernels(backend!);
    const losses = trainMlp(3, 300);
    assert.ok(losses[299] < losses[0] / 20, `loss ${losses[0]} → ${losses[299]}`);
    assert.deepEqual(trainMlp(3, 300), losses, 'same seed, same backend: identical losses');
  });
}

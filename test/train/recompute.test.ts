// batchLoss with activation recomputation runs the LM head and cross-entropy a block of rows at a
// time (engine/ops/checkpoint.ts checkpointRows): the same summed loss and gradients as the whole
// [B·T, V] product, up to the order of float32 sums (checked to 1e-5 relative), weighted or not,
// with ignored targets; checkpointRows itself is checked against finite differences. The training
// loop turns it on from train.recompute, and a run with it ends on the same weights; LoRA dropout
// with it is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.js';
import { Tensor } from '../../src/engine/tensor.js';
import { checkpointRows, crossEntropy, linear, sum, tanh } from '../../src/engine/ops/index.js';
import { CausalLM, loadWeights, modelConfig } from '../../src/models/index.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS, SFT_DEFAULTS, validateSft } from '../../src/train/config.js';
import { DPO_DEFAULTS, validateDpo } from '../../src/rlhf/dpo/config.js';
import { batchLoss, trainLanguageModel, type LmBatch } from '../../src/train/lm.js';
import { tmp } from './helpers.js';

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

test('train.recompute on the loop: recomputation is on while training, and the weights end as without it', async () => {
  const cfg = modelConfig({ vocabSize: 50, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 48, maxPositions: 32, dropout: 0.1 });
  const rng = new Rng(1);
  const batches: LmBatch[] = Array.from({ length: 3 }, () => ({
    B: 2, T: 8, mask: null, ids: Int32Array.from({ length: 16 }, () => rng.int(50)), targets: Int32Array.from({ length: 16 }, () => rng.int(50)),
  }));
  const run = async (recompute: boolean): Promise<CausalLM> => {
    const model = new CausalLM(cfg, { seed: 3 }), dir = tmp(`recompute-${recompute}`);
    await trainLanguageModel({
      label: 'test', runDir: dir, model, trainable: model.namedParameters(), evalBatches: [],
      openStream: (state) => { let i = (state as number | undefined) ?? 0; return { next: () => batches[i++ % 3], state: () => i }; },
      saveWeights: (d) => model.save(d), loadWeights: (d) => loadWeights(model, d),
      config: { ...LOOP_DEFAULTS, steps: 3, batchSize: 2, logEvery: 1, evalEvery: 0, saveEvery: 0, warmupSteps: 0, recompute },
    }, { quiet: true });
    assert.equal(model.model.recompute, recompute);
    return model;
  };
  const plain = (await run(false)).namedParameters(), recomputed = (await run(true)).namedParameters();
  for (const [name, p] of plain) closeTo(recomputed.get(name)!.f, p.f, name);
});

test('train.recompute with LoRA dropout is refused by name (SFT, DPO)', () => {
  const lora = { ...LORA_DEFAULTS, enabled: true, dropout: 0.05 };
  assert.throws(() => validateSft({ ...SFT_DEFAULTS, out: 'o', model: 'm', data: { ...SFT_DEFAULTS.data, train: 't' }, lora, train: { ...SFT_DEFAULTS.train, recompute: true } }),
    /train\.recompute with lora\.dropout 0\.05 is not supported/);
  assert.throws(() => validateDpo({ ...DPO_DEFAULTS, out: 'o', model: 'm', data: { ...DPO_DEFAULTS.data, train: 't' }, lora, train: { ...DPO_DEFAULTS.train, recompute: true } }),
    /train\.recompute with lora\.dropout/);
  validateSft({ ...SFT_DEFAULTS, out: 'o', model: 'm', data: { ...SFT_DEFAULTS.data, train: 't' }, lora: { ...lora, dropout: 0 }, train: { ...SFT_DEFAULTS.train, recompute: true } });
});

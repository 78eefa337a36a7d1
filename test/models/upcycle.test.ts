// Sparse upcycling: the upcycled model computes the dense model's function, saves as Mixtral, and
// its experts drift apart under training; expert usage statistics by hand; the `rlhf moe upcycle`
// comparison end to end on byte shards, with usage in the training metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, Tensor } from '../../src/engine/index.js';
import { AdamW } from '../../src/nn/index.js';
import { CausalLM, ExpertUsage, expertLoadMetrics, loadPretrained, nextTokenLoss, upcycle, type ModelConfig } from '../../src/models/index.js';
import { UPCYCLE_RUN_DEFAULTS, upcycleRun } from '../../src/train/upcycle.js';
import { readMetrics } from '../../src/train/metrics.js';
import { byteShards, tinyPretrain, tmp } from '../train/helpers.js';
import { pretrain } from '../../src/train/pretrain.js';
import { tempDir, tinyConfig } from './helpers.js';

const ids = [Array.from({ length: 20 }, (_, i) => (i * 13 + 5) % 61), Array.from({ length: 20 }, (_, i) => (i * 7 + 1) % 61)];

const cases: [string, Partial<ModelConfig>][] = [
  ['llama GQA', {}],
  ['qwen2 with q/k/v biases, tied', { family: 'qwen2', qkvBias: true, tieEmbeddings: true, ropeTheta: 1e6 }],
  ['mistral window', { family: 'mistral', slidingWindow: 6 }],
];

for (const [name, o] of cases) {
  test(`an upcycled ${name} model computes the dense model's logits, and saves as Mixtral`, async () => {
    const dense = new CausalLM(tinyConfig(o), { seed: 4 });
    const moe = upcycle(dense, { experts: 4, topK: 2, seed: 1 });
    assert.equal(moe.config.family, 'mixtral');
    assert.equal(moe.config.numExperts, 4);
    assert.equal(moe.config.slidingWindow, dense.config.slidingWindow);
    const a = noGrad(() => dense.forward(ids)), b = noGrad(() => moe.forward(ids));
    const max = a.f.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    a.f.forEach((x, i) => assert.ok(Math.abs(x - b.f[i]) <= 1e-5 * max, `logit ${i}: ${x} vs ${b.f[i]}`));
    // Each expert is the dense MLP; routers are fresh and differ between layers.
    const p = moe.namedParameters(), d = dense.namedParameters();
    assert.deepEqual([...p.get('model.layers.1.block_sparse_moe.experts.3.w2.weight')!.f], [...d.get('model.layers.1.mlp.down_proj.weight')!.f]);
    assert.notDeepEqual([...p.get('model.layers.0.block_sparse_moe.gate.weight')!.f], [...p.get('model.layers.1.block_sparse_moe.gate.weight')!.f]);
    const tmpDir = tempDir();
    try {
      moe.save(tmpDir.dir);
      const json = JSON.parse(readFileSync(join(tmpDir.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(json.architectures, ['MixtralForCausalLM']);
      const back = await loadPretrained(tmpDir.dir);
      assert.deepEqual([...noGrad(() => back.forward(ids)).f], [...b.f]);
    } finally {
      tmpDir.done();
    }
  });
}

test('upcycling refuses models it cannot turn into Mixtral experts', () => {
  const gelu = new CausalLM(tinyConfig({ ffn: 'gelu' }));
  assert.throws(() => upcycle(gelu), /only a SwiGLU model/);
  assert.throws(() => upcycle(new CausalLM(tinyConfig({ mlpBias: true }))), /biases/);
  assert.throws(() => upcycle(new CausalLM(tinyConfig({ family: 'mixtral', ffn: 'moe', numExperts: 2, expertsPerToken: 1 }))), /already a mixture/);
  assert.throws(() => upcycle(new CausalLM(tinyConfig()), { experts: 4, topK: 5 }), /top-k must be an integer in \[1, 4\]/);
});

test('training with the load-balancing loss moves the router and makes the experts differ', () => {
  const moe = upcycle(new CausalLM(tinyConfig(), { seed: 4 }), { experts: 4, topK: 2, auxLossCoef: 0.01 }).train();
  const gate0 = Float32Array.from(moe.namedParameters().get('model.layers.0.block_sparse_moe.gate.weight')!.f);
  const opt = new AdamW(moe.parameters(), { lr: 1e-2, weightDecay: 0 });
  for (let step = 0; step < 5; step++) {
    const { logits, auxLoss } = moe.call(ids);
    assert.ok(auxLoss && auxLoss.item() > 0);
    nextTokenLoss(logits, ids).backward();
    auxLoss.backward();
    opt.update();
    moe.zeroGrad();
  }
  const p = moe.namedParameters();
  assert.notDeepEqual([...p.get('model.layers.0.block_sparse_moe.gate.weight')!.f], [...gate0]);
  assert.notDeepEqual([...p.get('model.layers.0.block_sparse_moe.experts.0.w1.weight')!.f], [...p.get('model.layers.0.block_sparse_moe.experts.1.w1.weight')!.f]);
});

test('expert usage: tokens per expert, busiest expert over its fair share, router entropy', () => {
  const usage = new ExpertUsage(3, 1);
  // Two layers, three tokens; the third token is a pad.
  const probs = Tensor.from([0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.5, 0.25, 0.25], [3, 3]);
  usage.add([{ probs, selected: Int32Array.of(0, 2, 1) }, { probs, selected: Int32Array.of(0, 0, 2) }], Int32Array.of(1, 1, 0));
  const t = usage.take();
  assert.ok(t);
  assert.deepEqual(t.tokensPerExpert, [[1, 0, 1], [2, 0, 0]]);
  // Fair share k/E · tokens = 2/3; the busiest expert got 2 → 3.
  assert.ok(Math.abs(t.loadMax - 3) < 1e-12);
  const h = (p: number[]): number => -p.reduce((s, x) => s + x * Math.log(x), 0);
  assert.ok(Math.abs(t.routerEntropy - (h([0.7, 0.2, 0.1]) + h([0.1, 0.3, 0.6])) / 2) < 1e-6);
  assert.equal(usage.take(), null, 'take() starts over');
  assert.deepEqual(expertLoadMetrics(t), { expertLoadMax: t.loadMax, routerEntropy: t.routerEntropy, 'expertTokens.0.0': 1, 'expertTokens.0.1': 0, 'expertTokens.0.2': 1, 'expertTokens.1.0': 2, 'expertTokens.1.1': 0, 'expertTokens.1.2': 0 });
});

test('an MoE pretraining run logs expert usage in metrics.jsonl', async () => {
  const out = join(tmp('moe-metrics'), 'run');
  const shards = byteShards();
  const init = join(tmp('moe-init'), 'model');
  upcycle(new CausalLM(tinyConfig({ vocabSize: 257, maxPositions: 64 }), { seed: 2 }), { experts: 3, topK: 1 }).save(init);
  const cfg = tinyPretrain(out, shards, { steps: 4, logEvery: 2, evalEvery: 0, saveEvery: 0 });
  await pretrain({ ...cfg, model: { ...cfg.model, init } }, { quiet: true });
  const logged = readMetrics(join(out, 'metrics.jsonl')).filter((r) => 'loss' in r);
  assert.equal(logged.length, 2);
  for (const r of logged) {
    // Per step (the mean over the logging window): batch 4 × 32 tokens, each to one expert.
    for (const l of [0, 1]) assert.equal([0, 1, 2].reduce((a, e) => a + Number(r[`expertTokens.${l}.${e}`]), 0), 4 * 32);
    assert.equal(r['expertTokens.2.0'], undefined, 'two layers');
    assert.ok(Number(r.expertLoadMax) >= 1 && Number(r.routerEntropy) > 0);
  }
});

test('rlhf moe upcycle: continued pretraining of both models on the same tokens, and the report', async () => {
  const shards = byteShards();
  const dense = await pretrain(tinyPretrain(join(tmp('dense'), 'run'), shards, { steps: 10, evalEvery: 0, saveEvery: 0 }), { quiet: true });
  const out = tmp('upcycle');
  const r = await upcycleRun({
    ...structuredClone(UPCYCLE_RUN_DEFAULTS), model: dense.model, out,
    upcycle: { ...UPCYCLE_RUN_DEFAULTS.upcycle, experts: 4, topK: 2 },
    data: { train: shards.train, val: shards.val, seqLen: 32 },
    train: { ...UPCYCLE_RUN_DEFAULTS.train, steps: 6, batchSize: 4, warmupSteps: 1, evalEvery: 0, evalBatches: 2, logEvery: 1 },
  }, { quiet: true });
  assert.ok(r.conversionMaxDiff < 1e-4);
  assert.ok(r.params.moe > r.params.dense && r.params.moeActive < r.params.moe);
  assert.ok(r.dense && r.moe && r.before);
  assert.equal(r.tokens, 6 * 4 * 32);
  const dm = readMetrics(join(out, 'dense', 'metrics.jsonl')).filter((x) => 'loss' in x);
  const mm = readMetrics(join(out, 'moe', 'metrics.jsonl')).filter((x) => 'loss' in x);
  assert.deepEqual(dm.map((x) => x.tokens), mm.map((x) => x.tokens), 'the same tokens');
  // The same batch through the same function: the first step's losses agree.
  assert.ok(Math.abs(Number(dm[0].loss) - Number(mm[0].loss)) < 1e-4, `${dm[0].loss} vs ${mm[0].loss}`);
  assert.equal(r.moe.heldOutLoad.tokensPerExpert.length, 2);
  assert.equal(r.moe.trainingLoadMax.length, 6);
  assert.ok(existsSync(join(out, 'upcycle_report.md')) && existsSync(join(out, 'moe', 'model', 'config.json')));
  assert.match(readFileSync(join(out, 'upcycle_report.md'), 'utf8'), /upcycled MoE, continued/);
});

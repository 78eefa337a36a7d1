// LoRA: starts as the base model, trains only the adapters, round-trips through PEFT's files
// (names and shapes as PeftModel writes them), and merges into the base exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/engine/tensor.js';
import { noGrad } from '../../src/engine/autograd.js';
import { CausalLM, SafetensorsFile, loadPretrained, modelConfig, presets } from '../../src/models/index.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS } from '../../src/train/config.js';
import { LoraModel, loadLora } from '../../src/train/lora.js';
import { IGNORE, batchLoss, trainLanguageModel } from '../../src/train/lm.js';
import { tmp } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const cfg = modelConfig({ vocabSize: 40, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 48, maxPositions: 32 });
const ids = new Tensor(Int32Array.from({ length: 2 * 10 }, (_, i) => (i * 7) % 40), [2, 10]);
const logits = (m: CausalLM): Float32Array => noGrad(() => m.eval().forward(ids).f.slice());
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** A LoRA model whose B matrices are no longer zero, so the adapters change the output. */
function trainedLora(targets = ['q_proj', 'v_proj', 'down_proj']): { base: CausalLM; lora: LoraModel } {
  const base = new CausalLM(cfg, { seed: 1 });
  const lora = new LoraModel(base, { ...LORA_DEFAULTS, enabled: true, rank: 4, alpha: 8, targets }, 2);
  for (const a of lora.adapters.values()) a.B.f.forEach((_, i, arr) => { arr[i] = Math.sin(i + 1) * 0.05; });
  return { base, lora };
}

test('namedModules names every layer as the checkpoint does', () => {
  const names = [...new CausalLM(cfg).namedModules().keys()];
  assert.ok(names.includes('model.layers.1.self_attn.q_proj'));
  assert.ok(names.includes('model.layers.0.mlp.down_proj'));
  assert.equal(names[0], '');
});

test('a new adapter leaves the output unchanged and only adapters receive gradients', () => {
  const base = new CausalLM(cfg, { seed: 1 });
  const before = logits(base);
  const lora = new LoraModel(base, { ...LORA_DEFAULTS, enabled: true, rank: 4 });
  assert.equal(maxDiff(logits(base), before), 0, 'B starts at zero');
  assert.equal(lora.adapters.size, 4, 'q_proj and v_proj of 2 layers');
  assert.equal(lora.numParameters(), 2 * (4 * 32 + 32 * 4) + 2 * (4 * 32 + 16 * 4));
  base.train();
  const targets = Int32Array.from({ length: 20 }, (_, i) => (i % 3 ? (i * 5) % 40 : IGNORE));
  batchLoss(base, { ids: ids.i, targets, mask: null, B: 2, T: 10 }).sum.backward();
  assert.ok(base.parameters().every((p) => p.grad === null), 'base weights get no gradient');
  for (const [name, p] of lora.parameters()) if (name.endsWith('lora_B.weight')) assert.ok(p.grad && p.grad.f.some((x) => x !== 0), name);
});

test('training with LoRA changes the adapters and nothing else', async () => {
  const base = new CausalLM(cfg, { seed: 1 });
  const frozen = base.parameters().map((p) => p.f.slice());
  const lora = new LoraModel(base, { ...LORA_DEFAULTS, enabled: true, rank: 4, dropout: 0.1 });
  const targets = Int32Array.from({ length: 20 }, (_, i) => (i * 3) % 40);
  const batch = { ids: ids.i, targets, mask: null, B: 2, T: 10 };
  const { result: r } = await trainLanguageModel({
    label: 'lora', runDir: tmp('lora-train'), model: base, trainable: lora.parameters(),
    openStream: () => ({ next: () => batch, state: () => 0 }), evalBatches: [batch],
    saveWeights: (dir) => lora.save(dir), loadWeights: (dir) => lora.loadWeights(dir), useRng: (rng) => { lora.rng = rng; },
    config: { ...LOOP_DEFAULTS, steps: 15, lr: 1e-2, warmupSteps: 0, weightDecay: 0, logEvery: 5, evalEvery: 0, saveEvery: 0 },
  }, { quiet: true });
  base.parameters().forEach((p, i) => assert.deepEqual(p.f, frozen[i]));
  assert.ok(r.eval!.loss < Math.log(40), `held-out loss ${r.eval!.loss}`);
});

test('PEFT files: adapter_config.json and tensor names/shapes as PeftModel saves them; load restores the outputs', () => {
  const dir = tmp('peft');
  const { base, lora } = trainedLora();
  const want = logits(base);
  lora.save(dir, 'my/base');
  const conf = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(conf.peft_type, 'LORA');
  assert.equal(conf.task_type, 'CAUSAL_LM');
  assert.deepEqual([conf.r, conf.lora_alpha, conf.target_modules, conf.base_model_name_or_path], [4, 8, ['q_proj', 'v_proj', 'down_proj'], 'my/base']);
  const f = new SafetensorsFile(join(dir, 'adapter_model.safetensors'));
  assert.deepEqual(f.info('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight').shape, [4, 32]);
  assert.deepEqual(f.info('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight').shape, [16, 4]);
  assert.deepEqual(f.info('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight').shape, [4, 48]);
  assert.equal(f.tensors.size, 12);
  f.close();
  const fresh = new CausalLM(cfg, { seed: 1 });
  loadLora(fresh, dir);
  assert.equal(maxDiff(logits(fresh), want), 0);
  assert.throws(() => loadLora(new CausalLM(modelConfig({ ...cfg, intermediateSize: 40 }), { seed: 1 }), dir), /down_proj.lora_A.weight" has shape \[4, 48\], expected \[4, 40\]/);
});

test('merge folds the adapters into the base weights (W += alpha/r · B·A)', () => {
  const { base, lora } = trainedLora();
  const want = logits(base);
  const merged = lora.merge();
  assert.ok(maxDiff(logits(merged), want) < 1e-5);
  assert.ok(merged.parameters().every((p) => p.requiresGrad), 'the merged model trains as usual');
});

test('rlhf lora merge writes a model that loads anywhere and equals base + adapter', async () => {
  const dir = tmp('merge-cli');
  const { base, lora } = trainedLora(['o_proj', 'gate_proj']);
  const want = logits(base);
  lora.detach();
  base.save(join(dir, 'base'));
  lora.save(join(dir, 'adapter'));
  const r = spawnSync(process.execPath, [CLI, 'lora', 'merge', '--base', join(dir, 'base'), '--adapter', join(dir, 'adapter'), '--out', join(dir, 'merged')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /merged 4 adapted layers/);
  const merged = await loadPretrained(join(dir, 'merged'));
  assert.ok(maxDiff(logits(merged), want) < 1e-5);
});

test('LoRA refuses GPT-2 (fused c_attn) and targets that match nothing', () => {
  assert.throws(() => new LoraModel(new CausalLM(presets.gpt2({ vocabSize: 40, hiddenSize: 32, numLayers: 1, numHeads: 4, intermediateSize: 64, maxPositions: 16, bosTokenId: null, eosTokenId: null })), { ...LORA_DEFAULTS, enabled: true }), /c_attn/);
  assert.throws(() => new LoraModel(new CausalLM(cfg), { ...LORA_DEFAULTS, enabled: true, targets: ['qkv'] }), /no Linear layer is named qkv/);
});

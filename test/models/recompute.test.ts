// Activation recomputation (DecoderModel.recompute, engine/ops/checkpoint.ts) changes memory, not
// results: the loss and every gradient are the same bits with it on and off — dropout included,
// since each layer's recomputation replays the layer's random draws, and the generator is left in
// the same state for the next step — and a LoRA model (frozen weights, trainable adapters inside
// the checkpointed layers) gets its adapters' gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { CausalLM, nextTokenLoss, type ModelConfig } from '../../src/models/index.js';
import { LORA_DEFAULTS } from '../../src/train/config.js';
import { LoraModel } from '../../src/train/lora.js';
import { tinyConfig } from './helpers.js';

const seq = [[3, 7, 1, 9, 22, 40, 5, 5, 17, 30, 2, 8], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]];

interface Steps { losses: number[]; grads: Map<string, Float32Array>; rngAfter: number[] }

/** Two forward/backward steps sharing one generator (as a training loop's): losses, the gradients
 * accumulated over both (by parameter name), and the generator's state afterwards. */
function twoSteps(model: CausalLM, params: Map<string, Tensor>, recompute: boolean): Steps {
  model.model.recompute = recompute;
  for (const p of params.values()) p.grad = null;
  const rng = new Rng(9), losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    const loss = nextTokenLoss(model.forward(seq, { rng }), seq);
    loss.backward();
    losses.push(loss.item());
  }
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of params) if (p.grad) grads.set(name, p.grad.f.slice());
  return { losses, grads, rngAfter: rng.state() };
}

function assertSame(cfg: ModelConfig, lora = false): void {
  const model = new CausalLM(cfg, { seed: 4 });
  const params = lora ? new LoraModel(model, { ...LORA_DEFAULTS, enabled: true }, 1).parameters() : model.namedParameters();
  // Adapters start with B = 0; give them values so every gradient is non-trivial.
  if (lora) for (const p of params.values()) for (let i = 0; i < p.size; i++) p.f[i] = 0.01 * Math.sin(i + 1);
  model.train();
  const a = twoSteps(model, params, false), b = twoSteps(model, params, true);
  assert.deepEqual(b.losses, a.losses);
  assert.deepEqual(b.rngAfter, a.rngAfter);
  assert.deepEqual([...b.grads.keys()], [...a.grads.keys()]);
  assert.ok(a.grads.size > 0);
  for (const [name, g] of a.grads) assert.deepEqual(b.grads.get(name), g, name);
}

test('recompute gives the same losses and gradients bit for bit, with dropout', () => {
  assertSame(tinyConfig({ dropout: 0.2 }));
  assertSame(tinyConfig({ family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned', qkvBias: true, outBias: true, mlpBias: true, tieEmbeddings: true, dropout: 0.1 }));
});

test('recompute reaches LoRA adapters inside the layers, with the base weights frozen', () => {
  assertSame(tinyConfig(), true);
});

/** How many nodes of each op the tape behind t holds. */
function tapeOps(t: Tensor): Map<string, number> {
  const ops = new Map<string, number>(), seen = new Set<Tensor>(), stack = [t];
  while (stack.length) {
    const u = stack.pop()!;
    if (seen.has(u) || !u.node) continue;
    seen.add(u);
    ops.set(u.node.op, (ops.get(u.node.op) ?? 0) + 1);
    stack.push(...u.node.inputs);
  }
  return ops;
}

test('recompute checkpoints every layer while training, and nothing in eval mode', () => {
  const cfg = tinyConfig({ numLayers: 3 }), model = new CausalLM(cfg, { seed: 4 });
  model.model.recompute = true;
  model.train();
  const trained = tapeOps(model.forward(seq));
  assert.equal(trained.get('checkpoint'), 3);
  assert.equal(trained.get('attention'), undefined, 'the layers keep no intermediate on the tape');
  model.eval();
  const evaluated = tapeOps(model.forward(seq));
  assert.equal(evaluated.get('checkpoint'), undefined);
  assert.equal(evaluated.get('attention'), 3);
});

test('recompute refuses mixture-of-experts layers by name', () => {
  const model = new CausalLM(tinyConfig({ ffn: 'moe', numExperts: 3, expertsPerToken: 1 }));
  model.model.recompute = true;
  model.train();
  assert.throws(() => model.forward(seq), /recompute: mixture-of-experts layers are not supported/);
});

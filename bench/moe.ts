// Sparse upcycling against continuing the dense model, on Brown: a dense LLaMA-style model is
// pretrained, then `rlhf moe upcycle`'s comparison runs (src/train/upcycle.ts): the upcycled
// model (8 experts, top-2, load-balancing loss) and the dense model continue pretraining on the
// same batches for the same steps.
// Keys: moe_upcycle_eval_loss_{before,dense,moe}, moe_upcycle_loss_gain (dense − MoE),
// moe_upcycle_load_max (busiest expert over its fair share on held-out tokens, 1 = even),
// moe_upcycle_router_entropy (nats; ln 8 = 2.079 is uniform), moe_upcycle_params_{dense,moe,active},
// moe_upcycle_tok_s_{dense,moe}, moe_upcycle_steps, moe_upcycle_tokens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './harness.js';
import { brownShards } from './longctx.js';
import { LOOP_DEFAULTS, PRETRAIN_DEFAULTS, pretrain } from '../src/train/index.js';
import { UPCYCLE_RUN_DEFAULTS, upcycleRun } from '../src/train/upcycle.js';

export const prefixes = ['moe_upcycle'];

export const MOE_BENCH = { vocabSize: 2048, hiddenSize: 128, numLayers: 2, numHeads: 4, intermediateSize: 344, seqLen: 128, batchSize: 16, pretrainSteps: 800, continueSteps: 300, experts: 8, topK: 2 };

export async function run(b: Bench): Promise<void> {
  const o = MOE_BENCH;
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-moe-'));
  try {
    const data = brownShards(dir, o);
    const train = { ...LOOP_DEFAULTS, batchSize: o.batchSize, evalEvery: 0, evalBatches: 20, saveEvery: 0, keepLast: 1, logEvery: 25 };
    const dense = await pretrain({
      out: join(dir, 'dense'), tokenizer: data.tokenizer, data: { train: data.train, val: data.val, seqLen: o.seqLen },
      model: { ...PRETRAIN_DEFAULTS.model, hiddenSize: o.hiddenSize, numLayers: o.numLayers, numHeads: o.numHeads, intermediateSize: o.intermediateSize, maxPositions: o.seqLen },
      train: { ...train, steps: o.pretrainSteps, lr: 2e-3 },
    }, { quiet: true });
    console.log(`  dense base: ${o.pretrainSteps} steps, held-out loss ${dense.eval?.loss.toFixed(4)}`);
    const r = await upcycleRun({
      ...structuredClone(UPCYCLE_RUN_DEFAULTS), model: dense.model, out: join(dir, 'upcycle'),
      upcycle: { ...UPCYCLE_RUN_DEFAULTS.upcycle, experts: o.experts, topK: o.topK },
      data: { train: data.train, val: data.val, seqLen: o.seqLen },
      train: { ...UPCYCLE_RUN_DEFAULTS.train, steps: o.continueSteps, batchSize: o.batchSize, evalEvery: 0 },
    }, { quiet: true });
    b.record('moe_upcycle_eval_loss_before', r.before!.loss, 'the dense model (and the upcycled one) before continuing');
    b.record('moe_upcycle_eval_loss_dense', r.dense!.eval.loss, `dense, ${o.continueSteps} more steps`);
    b.record('moe_upcycle_eval_loss_moe', r.moe!.eval.loss, `${o.experts} experts top-${o.topK}, same batches`);
    b.record('moe_upcycle_loss_gain', r.dense!.eval.loss - r.moe!.eval.loss, 'dense − MoE held-out loss');
    b.record('moe_upcycle_load_max', r.moe!.heldOutLoad.loadMax, 'busiest expert over its fair share (held out)');
    b.record('moe_upcycle_router_entropy', r.moe!.heldOutLoad.routerEntropy, `nats (uniform ${Math.log(o.experts).toFixed(3)})`);
    b.record('moe_upcycle_params_dense', r.params.dense);
    b.record('moe_upcycle_params_moe', r.params.moe);
    b.record('moe_upcycle_params_active', r.params.moeActive, 'per token');
    b.record('moe_upcycle_tok_s_dense', r.dense!.tokS);
    b.record('moe_upcycle_tok_s_moe', r.moe!.tokS);
    b.record('moe_upcycle_steps', o.continueSteps);
    b.record('moe_upcycle_tokens', r.tokens!);
    console.log(`  tokens per expert (held out): ${JSON.stringify(r.moe!.heldOutLoad.tokensPerExpert)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

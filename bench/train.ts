// Training throughput: one optimizer step (forward, cross-entropy, backward, global-norm clip,
// AdamW) on random tokens, fp32, at the shapes of ../shared/ANCHORS.md, median of timed steps
// after warm-up, as torch_bench.py measures PyTorch. When /usr/bin/python3 has torch, PyTorch runs
// tiny and small in the same bench run, so the ratio compares like with like.
// Keys: train_tok_s_tiny, train_tok_s_small, train_step_ms_{tiny,small,gpt2_124m}; with PyTorch:
// torch_train_tok_s_{tiny,small}, train_ratio_{tiny,small} (ours / PyTorch). LoRA (small, rank 8 on
// q_proj and v_proj) against full fine-tuning: train_{full,lora}_step_ms_small,
// train_{full,lora}_trainable_params_small, train_state_mb_small_{full,lora} (what lives between
// steps), and peak resident memory of a process doing 3 steps of each, train_peak_rss_mb_small_{full,lora}.
// Model FLOPs utilisation: train_mfu_{tiny,small}, the model's FLOPs per second (6 per parameter in
// a matrix per token, the embedding lookups excluded, plus 12·layers·width·seq per token for
// attention's two products, PaLM's count) over the best GEMM GFLOPS of this run (the gemm bench's
// keys when it ran, else train_gemm_peak_gflops measured here). Activation recomputation at the
// small config and sequence 1024 (batch 4), each in a fresh process doing 3 steps:
// train_peak_rss_mb_small_1024{,_recompute}, train_step_ms_small_1024{,_recompute},
// train_recompute_memory_ratio (goal ≤ 0.5) and train_recompute_time_ratio (goal ≤ 1.35).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './harness.js';
import { kernels } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { Tensor } from '../src/engine/tensor.js';
import { AdamW, clipGradNorm, decayGroups } from '../src/nn/index.js';
import { CausalLM, modelConfig, presets, type ModelConfig } from '../src/models/index.js';
import { LORA_DEFAULTS } from '../src/train/config.js';
import { LoraModel } from '../src/train/lora.js';
import { batchLoss, type LmBatch } from '../src/train/lm.js';

export const prefixes = ['train', 'torch_train'];

interface Shape { key: string; torch: string; config: ModelConfig; B: number; T: number; warmup: number; steps: number }

const SHAPES: Shape[] = [
  { key: 'tiny', torch: 'tiny', B: 8, T: 256, warmup: 3, steps: 10, config: modelConfig({ numLayers: 4, hiddenSize: 256, numHeads: 4, intermediateSize: 688, vocabSize: 4096, maxPositions: 256 }) },
  { key: 'small', torch: 'small', B: 8, T: 256, warmup: 3, steps: 10, config: modelConfig({ numLayers: 6, hiddenSize: 384, numHeads: 6, intermediateSize: 1024, vocabSize: 8192, maxPositions: 256 }) },
  { key: 'gpt2_124m', torch: 'gpt2-124M', B: 4, T: 256, warmup: 1, steps: 2, config: presets.gpt2() },
];

const TORCH_BENCH = process.env.TORCH_BENCH ?? fileURLToPath(new URL('../../../shared/anchors/torch_bench.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

function randomBatch(V: number, B: number, T: number): LmBatch {
  const rng = new Rng(7);
  return { ids: Int32Array.from({ length: B * T }, () => rng.int(V)), targets: Int32Array.from({ length: B * T }, () => rng.int(V)), mask: null, B, T };
}

/** A step function for the model: full training, or LoRA adapters only. stateMb: what lives
 * between steps, i.e. all weights plus a gradient and two AdamW moments per trainable weight. */
function stepper(s: Shape, lora: boolean): { step: () => void; trainable: number; stateMb: number; model: CausalLM } {
  const model = new CausalLM(s.config, { seed: 1 });
  const named = lora ? new LoraModel(model, { ...LORA_DEFAULTS, enabled: true }).parameters() : model.namedParameters();
  const params = [...named.values()];
  const opt = new AdamW(decayGroups(named, 0.1), { lr: 1e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1 });
  const batch = randomBatch(s.config.vocabSize, s.B, s.T);
  const seed = Tensor.scalar(1 / (s.B * s.T));
  const trainable = params.reduce((n, p) => n + p.size, 0);
  return {
    model,
    trainable,
    stateMb: (4 * (model.numParameters() + (lora ? trainable : 0) + 3 * trainable)) / 2 ** 20,
    step: () => {
      batchLoss(model, batch).sum.backward(seed);
      clipGradNorm(params, 1);
      opt.update(1e-4);
      for (const p of params) p.grad = null;
    },
  };
}

/** PyTorch's training figures for the given torch_bench configs, or null without torch. */
function torchTrain(configs: string[]): Map<string, { tokS: number; stepMs: number }> | null {
  if (!existsSync(TORCH_BENCH) || spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return null;
  const out = join(mkdtempSync(join(tmpdir(), 'torch-train-')), 'torch.json');
  const r = spawnSync(PYTHON, [TORCH_BENCH, '--sections', 'train', '--train-configs', configs.join(','), '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`torch_bench.py failed: ${r.stderr.slice(-500)}`);
    return null;
  }
  const json = JSON.parse(readFileSync(out, 'utf8')) as { train: { config: string; tokens_per_s: number; step_ms_median: number }[] };
  return new Map(json.train.map((t) => [t.config, { tokS: t.tokens_per_s, stepMs: t.step_ms_median }]));
}

/** Peak resident memory (MB) and the last step's time (ms) of a fresh process doing 3 steps of
 * small: full or LoRA at 8×256, or full at 4×1024 with or without recomputation. */
type ChildMode = 'full' | 'lora' | 'long' | 'long-recompute';
function child(mode: ChildMode): { mb: number; ms: number; cpuMs: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--peak-rss', mode], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`peak-rss child failed: ${r.stderr}`);
  const [mb, ms, cpuMs] = r.stdout.trim().split(' ').map(Number);
  return { mb, ms, cpuMs };
}
const peakRss = (mode: ChildMode): number => child(mode).mb;

/** Model FLOPs of one training step (forward and backward): PaLM's 6·N + 12·L·d·T per token, N
 * the parameters of the matrix products (embedding lookups excluded, an untied or tied LM head
 * included once). */
export function stepFlops(c: ModelConfig, B: number, T: number): number {
  const attn = c.hiddenSize * (c.numHeads + 2 * c.numKvHeads) * c.headDim + c.numHeads * c.headDim * c.hiddenSize;
  const mlp = (c.ffn === 'swiglu' ? 3 : 2) * c.hiddenSize * c.intermediateSize;
  const N = c.numLayers * (attn + mlp) + c.vocabSize * c.hiddenSize;
  return B * T * (6 * N + 12 * c.numLayers * c.numHeads * c.headDim * T);
}

/** The best GFLOPS of this run's GEMM benchmark, or of a few GEMMs measured here. */
function gemmPeak(b: Bench): { gflops: number; from: string } {
  const known = Object.entries(b.results).filter(([key, v]) => key.startsWith('gemm_gflops_') && typeof v === 'number') as [string, number][];
  if (known.length) {
    const [key, v] = known.reduce((x, y) => (y[1] > x[1] ? y : x));
    return { gflops: v, from: key };
  }
  const k = kernels();
  let best = 0;
  for (const [M, N, K] of [[1024, 1024, 1024], [2048, 1152, 384], [2048, 8192, 384]]) {
    const a = new Float32Array(M * K).fill(0.5), w = new Float32Array(N * K).fill(0.25), c = new Float32Array(M * N);
    const ms = b.time(() => k.gemm(c, a, w, 1, M, N, K, false, true, 0, 0, 0, 0), { warmup: 1, reps: 5 });
    best = Math.max(best, (2 * M * N * K) / ms / 1e6);
  }
  b.record('train_gemm_peak_gflops', best, 'best of 1024³, 2048×1152×384, 2048×8192×384 (transposed weights)');
  return { gflops: best, from: 'train_gemm_peak_gflops' };
}

export async function run(b: Bench): Promise<void> {
  for (const [i, s] of SHAPES.entries()) {
    const key = s.key;
    // MFU is reported for tiny and small, from their step times.
    const forMfu = i < 2 && b.wants(`train_mfu_${key}`);
    if (!b.wants(`train_tok_s_${key}`) && !b.wants(`train_step_ms_${key}`) && !forMfu) continue;
    const { step } = stepper(s, false);
    const ms = b.time(step, { warmup: s.warmup, reps: s.steps });
    b.record(`train_step_ms_${key}`, ms, `${s.B}×${s.T} tokens, median of ${s.steps}`);
    b.record(`train_tok_s_${key}`, (s.B * s.T * 1000) / ms);
  }
  if (b.wants('train_mfu')) {
    const peak = gemmPeak(b);
    for (const s of SHAPES.slice(0, 2)) {
      const ms = b.results[`train_step_ms_${s.key}`];
      if (typeof ms !== 'number') continue;
      const gflops = stepFlops(s.config, s.B, s.T) / ms / 1e6;
      b.record(`train_mfu_${s.key}`, gflops / peak.gflops, `${gflops.toFixed(1)} model GFLOPS over ${peak.gflops.toFixed(1)} (${peak.from})`);
    }
  }
  if (b.wants('train_recompute') || b.wants('train_peak_rss_mb_small_1024')) {
    const plain = child('long'), recomputed = child('long-recompute');
    b.record('train_peak_rss_mb_small_1024', plain.mb, 'small, 4×1024 tokens, a process doing 3 steps');
    b.record('train_peak_rss_mb_small_1024_recompute', recomputed.mb, 'the same with train.recompute');
    b.record('train_step_ms_small_1024', plain.ms, 'the faster of steps 2 and 3');
    b.record('train_step_ms_small_1024_recompute', recomputed.ms);
    b.record('train_recompute_memory_ratio', recomputed.mb / plain.mb, 'goal ≤ 0.5');
    b.record('train_recompute_time_ratio', recomputed.ms / plain.ms, `goal ≤ 1.35 (CPU time: ${(recomputed.cpuMs / plain.cpuMs).toFixed(2)})`);
  }
  if (b.wants('torch_train') || b.wants('train_ratio')) {
    const torch = torchTrain(['tiny', 'small']);
    if (!torch) console.log('PyTorch baseline: /usr/bin/python3 with torch or torch_bench.py not found; ours only');
    for (const s of SHAPES) {
      const t = torch?.get(s.torch);
      if (!t) continue;
      b.record(`torch_train_tok_s_${s.key}`, t.tokS, `PyTorch ${s.torch}, ${t.stepMs.toFixed(0)} ms a step`);
      const ours = b.results[`train_tok_s_${s.key}`];
      if (typeof ours === 'number') b.record(`train_ratio_${s.key}`, ours / t.tokS, 'ours / PyTorch');
    }
  }
  if (b.wants('train_lora')) {
    const small = SHAPES[1];
    const full = stepper(small, false), lora = stepper(small, true);
    b.record('train_full_trainable_params_small', full.trainable);
    b.record('train_lora_trainable_params_small', lora.trainable, 'rank 8 on q_proj, v_proj');
    b.record('train_state_mb_small_full', full.stateMb, 'weights + gradients + AdamW moments');
    b.record('train_state_mb_small_lora', lora.stateMb, 'frozen weights + adapters, their gradients and moments');
    b.record('train_full_step_ms_small', b.time(full.step, { warmup: 2, reps: 5 }));
    b.record('train_lora_step_ms_small', b.time(lora.step, { warmup: 2, reps: 5 }));
    b.record('train_peak_rss_mb_small_full', peakRss('full'), 'a process doing 3 full steps');
    b.record('train_peak_rss_mb_small_lora', peakRss('lora'), 'a process doing 3 LoRA steps');
  }
}

// Child mode for peakRss: `node bench/train.js --peak-rss full|lora` prints its peak RSS in MB.
// VmHWM, not getrusage's maxrss: Linux carries maxrss over exec, so a child of the (large) bench
// process would report the parent's size.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--peak-rss') {
  const mode = process.argv[3] as ChildMode, long = mode.startsWith('long');
  const shape = long ? { ...SHAPES[1], B: 4, T: 1024, config: modelConfig({ ...SHAPES[1].config, maxPositions: 1024 }) } : SHAPES[1];
  const { step, model } = stepper(shape, mode === 'lora');
  model.model.recompute = mode === 'long-recompute';
  // Step 1 warms up; the faster of steps 2 and 3 (wall and CPU time) is reported.
  let ms = Infinity, cpuMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    step();
    const c1 = process.cpuUsage(c0);
    if (i === 0) continue;
    ms = Math.min(ms, performance.now() - t0);
    cpuMs = Math.min(cpuMs, (c1.user + c1.system) / 1000);
  }
  const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  console.log(`${((hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024).toFixed(1)} ${ms.toFixed(1)} ${cpuMs.toFixed(1)}`);
}

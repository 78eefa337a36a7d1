// Long-context extrapolation on held-out Brown text. A small LLaMA-style model is pretrained at
// context L (positions up to 8L allowed, never seen), then scored at L, 2L, 4L and 8L on the same
// held-out tokens (consecutive windows of each length): plain RoPE; the same weights with each
// RoPE scaling at factor 4 (linear, dynamic NTK, YaRN, llama3); the same after a short fine-tune
// at 4L (plain RoPE fine-tuned too, as the control); and an ALiBi model pretrained the same way.
//
// Keys, for each method m in rope, linear, dynamic, yarn, llama3, alibi and (fine-tuned)
// rope_ft, linear_ft, dynamic_ft, yarn_ft, llama3_ft:
//   longctx_ppl_<m>_{1x,2x,4x,8x}    held-out perplexity at L, 2L, 4L, 8L
//   longctx_ppl_ratio_4x_<m>         perplexity at 4L over perplexity at L (the same model)
//   longctx_ppl_ratio_{2x,8x}_<m>
// and the decode cost at long contexts, which the KV cache and the flash-attention kernel keep
// linear per step: longctx_decode_step_ms_{1k,2k,4k,8k}, longctx_kv_cache_mb_8k.
// The plot (longctx.svg, written to the working directory) is docs/longctx.svg.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './harness.js';
import { lineChartSvg } from './svg.js';
import { noGrad } from '../src/engine/autograd.js';
import { Rng } from '../src/engine/rng.js';
import { brownDocuments } from '../src/data/brown.js';
import { ShardWriter } from '../src/data/shards.js';
import { CausalLM, KVCache, loadPretrained, modelConfig, ropeScaling, type ModelConfig, type RopeScaling } from '../src/models/index.js';
import { DIGITS_PATTERN, saveTokenizer, trainBpe } from '../src/tokenizer/index.js';
import { LOOP_DEFAULTS, PRETRAIN_DEFAULTS, evalWindows, evaluate, pretrain, type LoopConfig } from '../src/train/index.js';

export const prefixes = ['longctx'];

export interface LongCtxOptions {
  /** Training context L; evaluation at L, 2L, 4L, 8L. */
  L: number;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  pretrainSteps: number;
  batchSize: number;
  /** Fine-tuning at 4L. */
  ftSteps: number;
  ftBatchSize: number;
  ftLr: number;
  /** Held-out tokens scored at each length. */
  evalTokens: number;
  seed: number;
}

export const LONGCTX_DEFAULTS: LongCtxOptions = {
  L: 64, vocabSize: 2048, hiddenSize: 128, numLayers: 2, numHeads: 4, intermediateSize: 344,
  pretrainSteps: 1500, batchSize: 16, ftSteps: 200, ftBatchSize: 4, ftLr: 5e-4, evalTokens: 32768, seed: 1234,
};

const FACTOR = 4;
/** Evaluation lengths, as multiples of L: the fine-tune's 4L, and twice that. */
const LENGTHS = [1, 2, 4, 8];
const SCALINGS: RopeScaling['type'][] = ['linear', 'dynamic', 'yarn', 'llama3'];

/** Brown train/held-out shards (every tenth document held out) with a BPE trained on the rest. */
export function brownShards(dir: string, o: { vocabSize: number }): { train: string; val: string; tokenizer: string } {
  const docs = [...brownDocuments()];
  const train = docs.filter((_, i) => i % 10 !== 9), val = docs.filter((_, i) => i % 10 === 9);
  const tok = trainBpe(train.map((d) => d.text), { vocabSize: o.vocabSize, pattern: DIGITS_PATTERN, specialTokens: ['<|endoftext|>'], config: { eosToken: '<|endoftext|>' } });
  const tokenizer = join(dir, 'tokenizer');
  saveTokenizer(tok, tokenizer);
  const eos = tok.tokenToId('<|endoftext|>')!;
  const write = (name: string, ds: typeof docs): string => {
    const path = join(dir, `${name}.bin`);
    const w = new ShardWriter(path, tok.vocabSize, eos);
    for (const d of ds) w.addDocument(tok.encode(d.text));
    w.close();
    return path;
  };
  return { train: write('train', train), val: write('val', val), tokenizer };
}

/** The same weights under another position scheme setting. */
async function withScaling(dir: string, out: string, scaling: RopeScaling | null): Promise<string> {
  const m = await loadPretrained(dir);
  const scaled = new CausalLM({ ...m.config, ropeScaling: scaling });
  const from = m.namedParameters();
  for (const [name, p] of scaled.namedParameters()) p.f.set(from.get(name)!.f);
  scaled.generationConfig = m.generationConfig;
  scaled.save(out);
  return out;
}

export async function longContextStudy(o: LongCtxOptions, log: (s: string) => void = () => {}): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-longctx-'));
  try {
    const data = brownShards(dir, o);
    const loop = (steps: number, batchSize: number, lr: number): LoopConfig => ({
      ...LOOP_DEFAULTS, steps, batchSize, lr, warmupSteps: Math.min(50, Math.ceil(steps / 10)), evalEvery: 0, evalBatches: 4,
      saveEvery: 0, keepLast: 1, logEvery: 50, seed: o.seed,
    });
    const model = { ...PRETRAIN_DEFAULTS.model, hiddenSize: o.hiddenSize, numLayers: o.numLayers, numHeads: o.numHeads, intermediateSize: o.intermediateSize, maxPositions: 8 * o.L };
    const run = async (out: string, init: string, seqLen: number, train: LoopConfig): Promise<string> => {
      const t0 = performance.now();
      const s = await pretrain({ out: join(dir, out), data: { train: data.train, val: data.val, seqLen }, tokenizer: data.tokenizer, model: { ...model, init }, train }, { quiet: true });
      log(`${out}: ${train.steps} steps at ${seqLen} tokens, held-out loss ${s.eval?.loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      return s.model;
    };
    const rope = await run('rope', '', o.L, loop(o.pretrainSteps, o.batchSize, 2e-3));
    // ALiBi from the same initial weights (pretrain's own config, with ALiBi positions).
    const ropeCfg = (await loadPretrained(rope)).config;
    const alibiInit = join(dir, 'alibi-init');
    new CausalLM(modelConfig({ ...ropeCfg, positions: 'alibi' } as ModelConfig), { seed: o.seed }).save(alibiInit);
    const alibi = await run('alibi', alibiInit, o.L, loop(o.pretrainSteps, o.batchSize, 2e-3));

    const models: [string, string][] = [['rope', rope], ['alibi', alibi]];
    for (const type of SCALINGS) models.push([type, await withScaling(rope, join(dir, `${type}-init`), ropeScaling(type, FACTOR, o.L))]);
    for (const [name, init] of models.filter(([n]) => n !== 'alibi')) {
      models.push([`${name}_ft`, await run(`${name}_ft`, init, FACTOR * o.L, loop(o.ftSteps, o.ftBatchSize, o.ftLr))]);
    }

    const out: Record<string, number> = {};
    const lengths = LENGTHS;
    const windows = lengths.map((k) => evalWindows([data.val], k * o.L, 4, Math.max(1, Math.round(o.evalTokens / (4 * k * o.L)))));
    for (const [name, path] of models) {
      const m = await loadPretrained(path);
      const ppl = windows.map((w) => evaluate(m, w).ppl);
      lengths.forEach((k, i) => { out[`longctx_ppl_${name}_${k}x`] = ppl[i]; });
      lengths.slice(1).forEach((k, i) => { out[`longctx_ppl_ratio_${k}x_${name}`] = ppl[i + 1] / ppl[0]; });
      log(`${name}: perplexity ${ppl.map((p) => p.toFixed(2)).join(' / ')} at ${lengths.map((k) => `${k * o.L}`).join(' / ')} tokens`);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fastest of 30 one-token decode steps after a prompt of T tokens (batch 1), at the study's
 * model shape with random weights: on a shared machine most steps are stretched by preemption, so
 * the minimum is the step's own cost. */
function decodeStepMs(T: number): { ms: number; kvMb: number } {
  const cfg = modelConfig({ vocabSize: 2048, hiddenSize: 128, numLayers: 2, numHeads: 4, intermediateSize: 344, maxPositions: T + 32 });
  const model = new CausalLM(cfg, { seed: 1 }).eval();
  const rng = new Rng(3);
  const cache = new KVCache(cfg, 1, T + 32);
  noGrad(() => model.call([Array.from({ length: T }, () => rng.int(cfg.vocabSize))], { cache }));
  const times: number[] = [];
  noGrad(() => {
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      model.call([[rng.int(cfg.vocabSize)]], { cache });
      times.push(performance.now() - t0);
    }
  });
  const kvMb = (2 * cfg.numLayers * (T + 32) * cfg.numKvHeads * cfg.headDim * 4) / 2 ** 20;
  return { ms: Math.min(...times), kvMb };
}

export async function run(b: Bench): Promise<void> {
  if (b.wants('longctx_ppl')) {
    const o = LONGCTX_DEFAULTS;
    const r = await longContextStudy(o, (s) => console.log(`  ${s}`));
    const names = ['rope', 'linear', 'dynamic', 'yarn', 'llama3', 'alibi', 'rope_ft', 'linear_ft', 'dynamic_ft', 'yarn_ft', 'llama3_ft'];
    for (const n of names) {
      b.record(`longctx_ppl_ratio_4x_${n}`, r[`longctx_ppl_ratio_4x_${n}`], `ppl ${r[`longctx_ppl_${n}_1x`].toFixed(2)} → ${r[`longctx_ppl_${n}_4x`].toFixed(2)}`);
    }
    for (const [k, v] of Object.entries(r)) if (!k.startsWith('longctx_ppl_ratio_4x_')) b.record(k, v);
    writeFileSync('longctx.svg', lineChartSvg(
      `Held-out Brown perplexity past the training context (L = ${o.L}, ${o.ftSteps}-step fine-tune at ${FACTOR * o.L})`,
      LENGTHS.map((k) => `${k}×`), 'perplexity (log scale)',
      names.map((n) => ({ name: n.replace('_ft', ' + fine-tune'), values: LENGTHS.map((k) => r[`longctx_ppl_${n}_${k}x`]), dashed: !n.endsWith('_ft') }))));
    console.log('  wrote longctx.svg');
  }
  if (b.wants('longctx_decode') || b.wants('longctx_kv')) {
    for (const [label, T] of [['1k', 1024], ['2k', 2048], ['4k', 4096], ['8k', 8192]] as const) {
      const { ms, kvMb } = decodeStepMs(T);
      b.record(`longctx_decode_step_ms_${label}`, ms, `fastest of 30 decode steps after ${T} tokens`);
      if (label === '8k') b.record('longctx_kv_cache_mb_8k', kvMb, 'K and V of every layer, preallocated');
    }
  }
}

// Generation throughput at the stories15M shape (dim 288, 6 layers, 6 heads, ffn 768, vocab
// 32000; random weights, which do not change speed), through the public generate() API: prefill
// of a 128-token prompt, then greedy one-token decode steps against the KV cache. Beside it, in
// the same run: the op-by-op forward (generate's `fused: false`, the path before the fused
// decoder), int8 and bf16 weights, llama2.c's run.c forward (bench/baselines/llama2c_decode.c,
// built here with -Ofast -fopenmp -march=native) and llama.cpp (node-llama-cpp's prebuilt CPU
// build) on the same model exported with `rlhf export gguf` (f32), each after the same prompt.
// Keys: prefill_tok_s_stories15m (and _packed: a decoder kept across calls, its float32 weights
// packed once, as the server keeps one), decode_tok_s_stories15m (batch 1), decode_tok_s_b8_stories15m
// (8 prompts, tokens summed over rows), decode_ms_per_step_stories15m, decode_ratio_b8_b1;
// *_ref: the op-by-op forward, prefill_ratio_ref(_packed) and decode_ratio_ref (fused over op-by-op);
// decode_pack_ms_stories15m; decode_tok_s_stories15m_{int8,bf16} and decode_ratio_{int8,bf16}_f32; decode_tok_s_llama2c_stories15m
// (2 threads, as ANCHORS.md), decode_tok_s_llama2c_1t_stories15m, decode_ratio_llama2c_stories15m (ours
// over the faster of the two); decode_tok_s_llamacpp_stories15m (the better of 1 and 2 threads),
// decode_ratio_llamacpp_stories15m; models_backend.
// Decode speed is (N − 1) new tokens over time(N new tokens) − time(1 new token), so the prefill
// and the first token, in both runs, cancel out; the fused decoders are built once, outside the
// timing (building the batch-8 one, which packs the weights, is its own key).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './harness.js';
import { kernels } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { CausalLM, FusedDecoder, MODEL_DEFAULTS, exportGguf, type GenerateOptions } from '../src/models/index.js';

export const prefixes = ['decode', 'prefill', 'models'];

const PROMPT = 128, NEW = 129;
const BASELINE = fileURLToPath(new URL('../../bench/baselines/llama2c_decode.c', import.meta.url));

function prompts(batch: number, V: number): number[][] {
  const rng = new Rng(1);
  return Array.from({ length: batch }, () => Array.from({ length: PROMPT }, () => rng.int(V)));
}

/** Median tokens/s of the built llama2.c baseline over 3 runs. */
function llama2c(threads: number, binary: string): number {
  const runs = [0, 1, 2].map(() => {
    const out = execFileSync(binary, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
    return Number(/tok\/s ([\d.]+)/.exec(out)![1]);
  });
  return runs.sort((a, b) => a - b)[1];
}

/** Prefill time (ms, median) and decode tokens/s of generate() on `batch` prompts with `opts`. */
async function measure(b: Bench, model: CausalLM, batch: number, opts: GenerateOptions): Promise<{ prefillMs: number; tokS: number }> {
  const p = prompts(batch, model.config.vocabSize), base = { temperature: 0, stopTokenIds: [] as number[], ...opts };
  const one = await b.timeAsync(async () => { await model.generate(p, { ...base, maxNewTokens: 1 }); }, { warmup: 1, reps: 5 });
  const many = await b.timeAsync(async () => { await model.generate(p, { ...base, maxNewTokens: NEW }); }, { warmup: 1, reps: 3 });
  return { prefillMs: one, tokS: (batch * 1000 * (NEW - 1)) / (many - one) };
}

/** A byte-level BPE tokenizer.json naming every id of a V-token vocabulary (GGUF export needs
 * one; the benchmark feeds ids, so the strings do not matter). */
function placeholderTokenizer(V: number): object {
  const printable = [...Array(256).keys()].filter((x) => (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
  let extra = 0;
  const vocab: Record<string, number> = {};
  for (let x = 0; x < 256; x++) vocab[String.fromCodePoint(printable.includes(x) ? x : 256 + extra++)] = x;
  for (let id = 256; id < V; id++) vocab[`<t${id}>`] = id;
  return {
    version: '1.0', model: { type: 'BPE', vocab, merges: [] }, added_tokens: [],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  };
}

/** llama.cpp's greedy decode speed on a GGUF file after the same prompt: tokens/s over NEW − 1
 * steps, timed from the first generated token, at 1 and 2 threads. */
async function llamaCpp(path: string, prompt: number[]): Promise<Map<number, number>> {
  const nl = await import('node-llama-cpp');
  const llama = await nl.getLlama({ gpu: false, build: 'never', logLevel: nl.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path });
  const out = new Map<number, number>();
  try {
    for (const threads of [1, 2]) {
      const runs: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        const context = await model.createContext({ contextSize: 512, threads });
        let n = 0, t0 = 0;
        for await (const _t of context.getSequence().evaluate(prompt as never[], { temperature: 0 })) {
          if (n === 0) t0 = performance.now();
          if (++n >= NEW) break;
        }
        runs.push(((NEW - 1) * 1000) / (performance.now() - t0));
        await context.dispose();
      }
      out.set(threads, runs.sort((x, y) => x - y)[1]);
    }
  } finally {
    await model.dispose();
  }
  return out;
}

export async function run(b: Bench): Promise<void> {
  const k = kernels();
  b.record('models_backend', `${k.name}/${k.isa}`, `${k.threads} threads`);
  const model = new CausalLM(MODEL_DEFAULTS, { seed: 1 }).eval();

  // The decoders generate() would make, built once here: one row reads the float32 weights in
  // place; eight pack a copy for the GEMM's kernel (timed apart: decode_pack_ms_stories15m).
  const fused1 = await measure(b, model, 1, { decoder: new FusedDecoder(model, 'f32') });
  const t0 = performance.now(), packed = new FusedDecoder(model, 'f32', { packF32: true }), packMs = performance.now() - t0;
  const fused8 = await measure(b, model, 8, { decoder: packed });
  b.record('prefill_tok_s_stories15m', (PROMPT / fused1.prefillMs) * 1000, `${PROMPT}-token prompt, batch 1 (incl. first token)`);
  // A decoder kept across calls (as `rlhf serve` keeps one) has its float32 weights packed once, so
  // a prompt's products skip packing them.
  const kept = await measure(b, model, 1, { decoder: packed });
  b.record('prefill_tok_s_stories15m_packed', (PROMPT / kept.prefillMs) * 1000, 'the same with a decoder kept across calls (weights packed once)');
  b.record('decode_tok_s_stories15m', fused1.tokS, `batch 1, after the ${PROMPT}-token prompt`);
  b.record('decode_ms_per_step_stories15m', 1000 / fused1.tokS);
  b.record('decode_tok_s_b8_stories15m', fused8.tokS, 'batch 8, tokens of all rows');
  b.record('decode_ratio_b8_b1', fused8.tokS / fused1.tokS, 'goal ≥ 4');
  b.record('decode_pack_ms_stories15m', packMs, "packing the float32 weights for multi-row steps (once per generate() of ≥ 2 rows)");

  const ref1 = await measure(b, model, 1, { fused: false }), ref8 = await measure(b, model, 8, { fused: false });
  b.record('prefill_tok_s_stories15m_ref', (PROMPT / ref1.prefillMs) * 1000, 'the op-by-op forward, same run');
  b.record('decode_tok_s_stories15m_ref', ref1.tokS, 'the op-by-op forward, batch 1');
  b.record('decode_tok_s_b8_stories15m_ref', ref8.tokS, 'the op-by-op forward, batch 8');
  b.record('prefill_ratio_ref', ref1.prefillMs / fused1.prefillMs, 'fused over op-by-op (goal ≥ 2)');
  b.record('prefill_ratio_ref_packed', ref1.prefillMs / kept.prefillMs, 'the kept decoder over op-by-op');
  b.record('decode_ratio_ref', fused1.tokS / ref1.tokS, 'fused over op-by-op, batch 1');

  for (const dtype of ['int8', 'bf16'] as const) {
    const decoder = new FusedDecoder(model, dtype);
    const q = await measure(b, model, 1, { decoder });
    b.record(`decode_tok_s_stories15m_${dtype}`, q.tokS, `batch 1, ${dtype} weights`);
    b.record(`decode_ratio_${dtype}_f32`, q.tokS / fused1.tokS, dtype === 'int8' ? 'goal ≥ 1.7' : '');
  }

  const dir = mkdtempSync(join(tmpdir(), 'rlhf-bench-'));
  try {
    const binary = join(dir, 'llama2c_decode');
    let built = true;
    try {
      execFileSync('cc', ['-Ofast', '-fopenmp', '-march=native', BASELINE, '-o', binary, '-lm'], { stdio: 'pipe' });
    } catch (e) {
      built = false;
      b.record('decode_tok_s_llama2c_stories15m', 'unavailable', `cc -fopenmp failed: ${(e as Error).message.split('\n')[0]}`);
    }
    if (built) {
      const two = llama2c(2, binary), single = llama2c(1, binary);
      b.record('decode_tok_s_llama2c_stories15m', two, 'llama2.c run.c forward, 2 threads, same machine and run');
      b.record('decode_tok_s_llama2c_1t_stories15m', single, 'the same, 1 thread');
      b.record('decode_ratio_llama2c_stories15m', fused1.tokS / Math.max(two, single), 'ours over llama2.c at its faster thread count');
    }
    // The same model through `rlhf export gguf` (f32) into llama.cpp.
    try {
      const modelDir = join(dir, 'model'), gguf = join(dir, 'model.gguf');
      model.save(modelDir);
      writeFileSync(join(modelDir, 'tokenizer.json'), JSON.stringify(placeholderTokenizer(MODEL_DEFAULTS.vocabSize)));
      await exportGguf(modelDir, gguf, { dtype: 'f32' });
      const speeds = await llamaCpp(gguf, prompts(1, MODEL_DEFAULTS.vocabSize)[0]);
      const best = Math.max(...speeds.values());
      b.record('decode_tok_s_llamacpp_stories15m', best, `node-llama-cpp, f32 GGUF, best of 1 thread (${speeds.get(1)!.toFixed(0)}) and 2 (${speeds.get(2)!.toFixed(0)})`);
      b.record('decode_ratio_llamacpp_stories15m', fused1.tokS / best, 'ours over llama.cpp');
    } catch (e) {
      b.record('decode_tok_s_llamacpp_stories15m', 'unavailable', `node-llama-cpp: ${(e as Error).message.split('\n')[0]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

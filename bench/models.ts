// Generation throughput at the stories15M shape (dim 288, 6 layers, 6 heads, ffn 768, vocab
// 32000; random weights, which do not change speed), through the public generate() API: prefill
// of a 128-token prompt, then greedy one-token decode steps against the KV cache. Beside it, in
// the same run, llama2.c's run.c forward (bench/baselines/llama2c_decode.c, built here with
// -Ofast -fopenmp -march=native) decoding after the same prompt length.
// Keys: prefill_tok_s_stories15m, decode_tok_s_stories15m (batch 1), decode_tok_s_b8_stories15m
// (8 prompts, tokens summed over rows), decode_ms_per_step_stories15m,
// decode_tok_s_llama2c_stories15m (2 threads, as ANCHORS.md), decode_tok_s_llama2c_1t_stories15m,
// decode_ratio_llama2c_stories15m (ours over the faster of the two), models_backend.
// Our decode speed is (N − 1) new tokens over time(N new tokens) − time(1 new token), so the
// prefill and the first token, both in the second run, cancel out.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './harness.js';
import { kernels } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { CausalLM, MODEL_DEFAULTS } from '../src/models/index.js';

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

export async function run(b: Bench): Promise<void> {
  const k = kernels();
  b.record('models_backend', `${k.name}/${k.isa}`, `${k.threads} threads`);
  const model = new CausalLM(MODEL_DEFAULTS, { seed: 1 }).eval();
  const opts = { temperature: 0, stopTokenIds: [] as number[] };
  let ours = 0;
  for (const batch of [1, 8]) {
    const p = prompts(batch, MODEL_DEFAULTS.vocabSize);
    const one = await b.timeAsync(async () => { await model.generate(p, { ...opts, maxNewTokens: 1 }); }, { warmup: 1, reps: 5 });
    const many = await b.timeAsync(async () => { await model.generate(p, { ...opts, maxNewTokens: NEW }); }, { warmup: 1, reps: 3 });
    const perStep = (many - one) / (NEW - 1);
    if (batch === 1) {
      ours = 1000 / perStep;
      b.record('prefill_tok_s_stories15m', (PROMPT / one) * 1000, `${PROMPT}-token prompt, batch 1 (incl. first token)`);
      b.record('decode_tok_s_stories15m', ours, `batch 1, after the ${PROMPT}-token prompt`);
      b.record('decode_ms_per_step_stories15m', perStep);
    } else b.record('decode_tok_s_b8_stories15m', (batch * 1000) / perStep, `batch ${batch}, tokens of all rows`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-bench-'));
  try {
    const binary = join(dir, 'llama2c_decode');
    try {
      execFileSync('cc', ['-Ofast', '-fopenmp', '-march=native', BASELINE, '-o', binary, '-lm'], { stdio: 'pipe' });
    } catch (e) {
      b.record('decode_tok_s_llama2c_stories15m', 'unavailable', `cc -fopenmp failed: ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    const two = llama2c(2, binary), single = llama2c(1, binary);
    b.record('decode_tok_s_llama2c_stories15m', two, 'llama2.c run.c forward, 2 threads, same machine and run');
    b.record('decode_tok_s_llama2c_1t_stories15m', single, 'the same, 1 thread');
    b.record('decode_ratio_llama2c_stories15m', ours / Math.max(two, single), 'ours over llama2.c at its faster thread count');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

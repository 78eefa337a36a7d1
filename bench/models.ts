// Generation throughput at the stories15M shape (dim 288, 6 layers, 6 heads, ffn 768, vocab
// 32000; random weights, which do not change speed), through the public generate() API: prefill
// of a 128-token prompt, then greedy one-token decode steps against the KV cache.
// Keys: prefill_tok_s_stories15m, decode_tok_s_stories15m (batch 1), decode_tok_s_b8_stories15m
// (8 prompts, tokens summed over rows), decode_ms_per_step_stories15m, models_backend.
// Decode speed is (N − 1) new tokens over time(N new tokens) − time(1 new token), so the prefill
// and the first token, both in the second run, cancel out.
import type { Bench } from './harness.js';
import { kernels } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { CausalLM, MODEL_DEFAULTS } from '../src/models/index.js';

export const prefixes = ['decode', 'prefill', 'models'];

const PROMPT = 128, NEW = 129;

function prompts(batch: number, V: number): number[][] {
  const rng = new Rng(1);
  return Array.from({ length: batch }, () => Array.from({ length: PROMPT }, () => rng.int(V)));
}

export async function run(b: Bench): Promise<void> {
  const k = kernels();
  b.record('models_backend', `${k.name}/${k.isa}`, `${k.threads} threads`);
  const model = new CausalLM(MODEL_DEFAULTS, { seed: 1 }).eval();
  const opts = { temperature: 0, stopTokenIds: [] as number[] };
  for (const batch of [1, 8]) {
    const p = prompts(batch, MODEL_DEFAULTS.vocabSize);
    const one = await b.timeAsync(async () => { await model.generate(p, { ...opts, maxNewTokens: 1 }); }, { warmup: 1, reps: 5 });
    const many = await b.timeAsync(async () => { await model.generate(p, { ...opts, maxNewTokens: NEW }); }, { warmup: 1, reps: 3 });
    const perStep = (many - one) / (NEW - 1);
    if (batch === 1) {
      b.record('prefill_tok_s_stories15m', (PROMPT / one) * 1000, `${PROMPT}-token prompt, batch 1 (incl. first token)`);
      b.record('decode_tok_s_stories15m', 1000 / perStep, `batch 1, after the ${PROMPT}-token prompt`);
      b.record('decode_ms_per_step_stories15m', perStep);
    } else b.record('decode_tok_s_b8_stories15m', (batch * 1000) / perStep, `batch ${batch}, tokens of all rows`);
  }
}

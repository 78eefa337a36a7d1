// Self-Instruct's novelty filter, the loop's hot path: the highest ROUGE-L of each new instruction
// against a pool of 5000, as the loop meets it after a few thousand kept instructions. The pool
// and the 200 candidates are written from the seed tasks' words and a few instruction patterns
// (12 words on average, like the paper's), so word overlap is realistic. Three ways, same run:
//   self_instruct_rouge_pairs_s         RougePool.max: overlap bound + bit-parallel LCS (the loop's)
//   self_instruct_rouge_pairs_s_kernel  the bit-parallel LCS on every pair, no bound
//   self_instruct_rouge_pairs_s_ref     the O(|a|·|b|) dynamic programme on every pair (the spec)
// in candidate–pool pairs decided per second, and self_instruct_rouge_speedup (first / last).
import type { Bench } from './harness.js';
import { Rng } from '../src/engine/rng.js';
import { loadSeedTasks, DEFAULT_SEED_TASKS } from '../src/selfinstruct/tasks.js';
import { LcsPattern, RougePool, lcsLengthRef, rougeLFromLcs, rougeTokens } from '../src/selfinstruct/rouge.js';

export const prefixes = ['self_instruct'];

const POOL = 5000, CANDIDATES = 200, REF_CANDIDATES = 20;
const OPENERS = ['Write', 'List', 'Explain', 'Describe', 'Give', 'Suggest', 'Classify', 'Summarize', 'Rewrite', 'Translate', 'Generate', 'Find', 'Create', 'Identify', 'Compare'];

export async function run(b: Bench): Promise<void> {
  const words = [...new Set((await loadSeedTasks(DEFAULT_SEED_TASKS)).flatMap((t) => rougeTokens(`${t.instruction} ${t.instances.map((i) => i.output).join(' ')}`)).filter((w) => /^[a-z]/.test(w)))];
  const rng = new Rng(5);
  // Zipf-like word choice: a few common words, a long tail.
  const word = (): string => words[Math.min(words.length - 1, Math.floor(words.length * rng.uniform() ** 3))];
  const instruction = (): string => `${OPENERS[rng.int(OPENERS.length)]} ${Array.from({ length: 6 + rng.int(12) }, word).join(' ')}.`;
  const pool = new RougePool();
  const poolIds: Int32Array[] = [];
  for (let i = 0; i < POOL; i++) poolIds.push(pool.vocab.encode(instruction()));
  poolIds.forEach((ids) => pool.addIds(ids));
  const candidates = Array.from({ length: CANDIDATES }, () => pool.vocab.encode(instruction()));
  const note = `${CANDIDATES} candidates × ${POOL} pool instructions, ${(poolIds.reduce((s, x) => s + x.length, 0) / POOL).toFixed(1)} words each`;

  const fastMax = new Float64Array(CANDIDATES), kernelMax = new Float64Array(CANDIDATES);
  const fastMs = b.time(() => candidates.forEach((c, i) => { fastMax[i] = pool.maxIds(c).score; }), { warmup: 1, reps: 3 });
  const fast = (CANDIDATES * POOL) / (fastMs / 1000);
  b.record('self_instruct_rouge_pairs_s', fast, note);

  const kernelMs = b.time(() => candidates.forEach((c, i) => {
    const p = new LcsPattern(c);
    let m = 0;
    for (const x of poolIds) m = Math.max(m, rougeLFromLcs(p.lcs(x), c.length, x.length));
    kernelMax[i] = m;
  }), { warmup: 0, reps: 1 });
  b.record('self_instruct_rouge_pairs_s_kernel', (CANDIDATES * POOL) / (kernelMs / 1000), 'bit-parallel LCS on every pair');

  const refMs = b.time(() => {
    for (const c of candidates.slice(0, REF_CANDIDATES)) for (const x of poolIds) lcsLengthRef(c, x);
  }, { warmup: 0, reps: 1 });
  const ref = (REF_CANDIDATES * POOL) / (refMs / 1000);
  b.record('self_instruct_rouge_pairs_s_ref', ref, 'dynamic-programme LCS on every pair');
  b.record('self_instruct_rouge_speedup', fast / ref, 'pool search over the reference, same run');
  // The bound never changes an answer: both ways find the same maxima.
  const differ = fastMax.findIndex((m, i) => Math.abs(m - kernelMax[i]) > 1e-12);
  if (differ >= 0) throw new Error(`self_instruct bench: candidate ${differ}: pruned maximum ${fastMax[differ]}, exhaustive ${kernelMax[differ]}`);
}

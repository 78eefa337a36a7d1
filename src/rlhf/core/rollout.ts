// Sampling responses from a policy with the KV cache, many prompts per batch (generate() left-pads
// them into one), in chunks that bound the cache's memory. Each response ends with the stop token
// when the policy emitted one; `finished` says which did.
import type { WeightDtype } from '../../engine/kernels.js';
import { decoderFor, type CausalLM } from '../../models/index.js';

export interface SampleOptions {
  maxNewTokens: number;
  /** 1 samples from the policy itself (PPO, GRPO); 0 is greedy. */
  temperature: number;
  topK: number;
  stopTokenIds: number[];
  seed: number;
  /** Prompts per generate() call. */
  chunk: number;
  /** Weights the sampling runs on (default f32); the log-probs are then those of that copy. */
  dtype?: WeightDtype;
}

export interface Samples {
  responses: number[][];
  /** log π(token) of each sampled token (exact policy log-probs at temperature 1, no top-k). */
  logprobs: number[][];
  /** Whether each response ended with a stop token (false: cut at maxNewTokens). */
  finished: boolean[];
}

export async function sampleResponses(policy: CausalLM, prompts: number[][], o: SampleOptions): Promise<Samples> {
  const out: Samples = { responses: [], logprobs: [], finished: [] };
  const wasTraining = policy.training;
  policy.eval();
  try {
    // One decoder for every chunk: the policy's current weights, packed (or quantised) once.
    const decoder = decoderFor(policy, { dtype: o.dtype }, Math.min(o.chunk, prompts.length), o.maxNewTokens) ?? undefined;
    for (let i = 0; i < prompts.length; i += o.chunk) {
      const g = await policy.generate(prompts.slice(i, i + o.chunk), {
        maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, topP: 1, repetitionPenalty: 1,
        stopTokenIds: o.stopTokenIds, seed: o.seed + i, decoder, fused: decoder !== undefined,
      });
      out.responses.push(...g.tokens);
      out.logprobs.push(...g.logprobs);
      out.finished.push(...g.finishReasons.map((r) => r === 'stop'));
    }
  } finally {
    policy.train(wasTraining);
  }
  return out;
}

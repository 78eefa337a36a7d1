// Scoring (prompt, response) token sequences with a reward model, in chunks, without the tape.
import { noGrad } from '../../engine/autograd.js';
import type { ScalarHeadModel } from '../../models/index.js';
import { joinBatch, sequenceScores, type SequenceBatch } from '../core/batch.js';

/** Scores of a prompt + response batch, [B]. */
export function scoreResponses(rm: ScalarHeadModel, batch: SequenceBatch): Float32Array {
  const wasTraining = rm.training;
  rm.eval();
  try {
    return noGrad(() => sequenceScores(rm, batch).f);
  } finally {
    rm.train(wasTraining);
  }
}

/** Scores of (prompt, response) pairs given as ids, in chunks. */
export function scorePairs(rm: ScalarHeadModel, prompts: number[][], responses: number[][], padId: number, chunk = 32): Float32Array {
  const out = new Float32Array(prompts.length);
  for (let i = 0; i < prompts.length; i += chunk) out.set(scoreResponses(rm, joinBatch(prompts.slice(i, i + chunk), responses.slice(i, i + chunk), padId)), i);
  return out;
}

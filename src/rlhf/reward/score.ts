// Scoring (prompt, response) token sequences with a reward model, in chunks, without the tape.
import { noGrad } from '../../engine/autograd.js';
import type { ScalarHeadModel } from '../../models/index.js';
import { joinBatch, sequenceScores } from '../core/batch.js';

export function scoreResponses(rm: ScalarHeadModel, prompts: number[][], responses: number[][], padId: number, chunk = 32): Float32Array {
  const out = new Float32Array(prompts.length);
  const wasTraining = rm.training;
  rm.eval();
  noGrad(() => {
    for (let i = 0; i < prompts.length; i += chunk) {
      const batch = joinBatch(prompts.slice(i, i + chunk), responses.slice(i, i + chunk), padId);
      out.set(sequenceScores(rm, batch).f, i);
    }
  });
  rm.train(wasTraining);
  return out;
}

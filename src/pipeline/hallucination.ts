// The report card's hallucination table: the base, SFT and every policy model answer the same
// grounded QA suite (src/eval/hallucination, generated from evaluation.suiteSeed, so no model has
// seen its facts), greedily. The SFT row also runs the consistency detector (SelfCheck samples),
// whose AUROC does not depend on what training came after.
import type { CausalLM } from '../models/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { makeSuite } from '../eval/hallucination/facts.js';
import { runHallucinationSuite, SUITE_DEFAULTS } from '../eval/hallucination/suite.js';
import type { RlhfStagesConfig } from './rlhf-config.js';

/** The suite's figures the card shows, as `rlhf eval --suite hallucination` names them. */
export const HALLUCINATION_KEYS = [
  'hallucination_rate', 'hallucination_rate_unanswerable', 'abstention_rate', 'exact_match_answerable',
  'hallucination_rate_false_premise', 'hallucination_rate_closed_book', 'hallucination_rate_closed_book_retrieval', 'selfcheck_auroc',
] as const;

export type HallucinationFigures = Record<(typeof HALLUCINATION_KEYS)[number], number | null> & { items: number };

/** One model on the suite, or null with evaluation.hallucination off. */
export async function hallucinationFigures(model: CausalLM, tok: Tokenizer, p: RlhfStagesConfig, { selfcheck = false } = {}): Promise<HallucinationFigures | null> {
  if (!p.evaluation.hallucination) return null;
  const suite = makeSuite(p.evaluation.suiteSeed);
  const r = await runHallucinationSuite(model, tok, suite, { selfcheckSamples: selfcheck ? SUITE_DEFAULTS.selfcheckSamples : 0 });
  return { ...Object.fromEntries(HALLUCINATION_KEYS.map((k) => [k, r.metrics[k] ?? null])), items: suite.items.length } as HallucinationFigures;
}

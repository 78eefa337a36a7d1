// Running a model on the grounded QA suite (facts.ts): every item answered through the chat
// template, graded correct / abstained / hallucinated; the closed-book questions answered twice,
// without and with retrieved facts; and an unsupervised detector scored against the true labels:
//   selfcheck  SelfCheckGPT-style consistency (Manakul et al. 2023): K more answers sampled at
//              temperature 1; the hallucination score is the share of them that disagree with the
//              main answer (answers compared after normalising, every abstention counting as one
//              answer). A model that knows the answer says it again; one that makes it up rarely
//              makes up the same thing twice.
//   logprob    the grey-box baseline of the same paper: the main answer's mean negative token
//              log-probability.
// Each detector's AUROC is how well its score separates hallucinated main answers from the rest.
import { Rng } from '../../engine/rng.js';
import type { CausalLM, FactualNucleus } from '../../models/index.js';
import { encodeChat, stopIds, type Tokenizer } from '../../tokenizer/index.js';
import { exactMatch } from '../../train/accuracy.js';
import { auroc } from '../stats.js';
import { abstains, gradeResponse, HALLU_KINDS, rephrase, type HalluItem, type HalluKind, type HalluSuite, type Outcome } from './facts.js';
import { augmentedPrompt, FactStore } from './retrieval.js';

/** How the main answers are decoded: greedy, or sampled (optionally with factual-nucleus). */
export interface Decoding {
  temperature: number;
  topP: number;
  /** Factual-nucleus decay and floor (Lee et al. 2022); null = plain nucleus sampling. */
  factual: { decay: number; floor: number } | null;
}

export interface SuiteOptions {
  decoding: Decoding;
  maxNewTokens: number;
  /** Extra samples per item for the consistency detector (0 = no detector), and how they are
   * drawn. */
  selfcheckSamples: number;
  selfcheckTemperature: number;
  selfcheckTopP: number;
  /** Ask each sample's question in other words (facts reshuffled, another frame): an answer read
   * from the facts survives rephrasing, one copied from a position or made up does not. */
  selfcheckRephrase: boolean;
  /** Facts retrieved for each closed-book question. */
  retrievalK: number;
  seed: number;
  batchSize: number;
  /** Answers kept per kind for the report. */
  keepSamples: number;
}

export const SUITE_DEFAULTS: SuiteOptions = {
  decoding: { temperature: 0, topP: 1, factual: null },
  maxNewTokens: 24,
  selfcheckSamples: 5,
  // Below 1: a 3.7 M-parameter model's tail at T = 1 is noise that makes right answers look
  // inconsistent too (on the default SFT model, rephrased samples give AUROC 0.68 at T = 1, 0.76 at
  // T = 0.5, 0.71 at 0.7, 0.74 at 0.3).
  selfcheckTemperature: 0.5,
  selfcheckTopP: 1,
  selfcheckRephrase: true,
  retrievalK: 2,
  seed: 0,
  batchSize: 32,
  keepSamples: 3,
};

export interface KindCounts { n: number; correct: number; abstained: number; hallucinated: number; exact: number }

export interface HalluSample { kind: string; prompt: string; response: string; outcome: Outcome; selfcheck: number | null }

/** One item's result: its main answer, the outcome, and each detector's hallucination score. */
export interface HalluItemResult { kind: HalluKind; response: string; outcome: Outcome; selfcheck: number | null; nll: number; samples: string[] }

export interface HalluReport {
  /** Flat figures (see docs/evaluation.md); null when a figure has no items. */
  metrics: Record<string, number | null>;
  byKind: Record<string, KindCounts>;
  samples: HalluSample[];
  items: HalluItemResult[];
}

interface Answers { texts: string[]; nll: number[] }

async function answer(model: CausalLM, tok: Tokenizer, prompts: string[], d: Decoding, o: SuiteOptions, seed: number, sentenceEnds: number[]): Promise<Answers> {
  const stops = stopIds(tok, model.generationConfig.eosTokenId ?? model.config.eosTokenId);
  const out: Answers = { texts: [], nll: [] };
  for (let i = 0; i < prompts.length; i += o.batchSize) {
    const ids = prompts.slice(i, i + o.batchSize).map((p) => encodeChat(tok, [{ role: 'user', content: p }], { addGenerationPrompt: true }).ids);
    const factualNucleus: FactualNucleus | undefined = d.factual && d.temperature > 0 ? { ...d.factual, sentenceEndIds: sentenceEnds } : undefined;
    const g = await model.generate(ids, { maxNewTokens: o.maxNewTokens, temperature: d.temperature, topP: d.topP, topK: 0, repetitionPenalty: 1, factualNucleus, stopTokenIds: stops, seed: seed + i });
    g.tokens.forEach((t, j) => {
      out.texts.push(tok.decode(t, { skipSpecialTokens: true }));
      const lp = g.logprobs[j];
      out.nll.push(lp.length ? -lp.reduce((a, b) => a + b, 0) / lp.length : 0);
    });
  }
  return out;
}

/** An answer reduced to what it asserts, for comparing samples: lowercase words, and every
 * abstention the same. */
export function normalizeAnswer(text: string): string {
  if (abstains(text)) return '<abstain>';
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.join(' ') ?? '';
}

/** 1 − the share of `samples` that say what `main` says. */
export function selfcheckScore(main: string, samples: string[]): number {
  const m = normalizeAnswer(main);
  return samples.length ? 1 - samples.filter((s) => normalizeAnswer(s) === m).length / samples.length : 0;
}

const rate = (num: number, den: number): number | null => (den ? num / den : null);

/** Runs the suite; `sentenceEnds` (sampling.ts's sentenceEndIds) is needed only with factual-nucleus decoding. */
export async function runHallucinationSuite(model: CausalLM, tok: Tokenizer, suite: HalluSuite, options: Partial<SuiteOptions> = {}, sentenceEnds: number[] = []): Promise<HalluReport> {
  const o: SuiteOptions = { ...SUITE_DEFAULTS, ...options };
  const wasTraining = model.training;
  model.eval();
  try {
    const items = suite.items;
    const main = await answer(model, tok, items.map((it) => it.prompt), o.decoding, o, o.seed, sentenceEnds);
    const outcomes = items.map((it, i) => gradeResponse(it, main.texts[i]));

    // Closed-book questions again, with retrieved facts in the prompt.
    const store = new FactStore(suite.facts);
    const closed = items.map((it, i) => [it, i] as const).filter(([it]) => it.kind === 'closed_book');
    const augmented = closed.map(([it]) => augmentedPrompt(store, it.question, o.retrievalK));
    const withFacts = await answer(model, tok, augmented.map((a) => a.prompt), o.decoding, o, o.seed + 7919, sentenceEnds);
    const retrieved = closed.map(([it], j) => gradeResponse({ ...it, kind: 'answerable' } as HalluItem, withFacts.texts[j]));
    const recall = closed.filter(([it], j) => it.answer !== null && augmented[j].hits.some((h) => h.text.includes(it.answer as string))).length;

    // Consistency detector: K samples of every item at temperature 1.
    let selfcheck: number[] | null = null;
    const sampled: string[][] = items.map(() => []);
    if (o.selfcheckSamples > 0) {
      for (let k = 0; k < o.selfcheckSamples; k++) {
        const rng = new Rng(o.seed + 7 * (k + 1));
        const prompts = items.map((it) => (o.selfcheckRephrase ? rephrase(rng, it) : it.prompt));
        const s = await answer(model, tok, prompts, { temperature: o.selfcheckTemperature, topP: o.selfcheckTopP, factual: null }, o, o.seed + 1000 * (k + 1), sentenceEnds);
        s.texts.forEach((t, i) => sampled[i].push(t));
      }
      selfcheck = items.map((_, i) => selfcheckScore(main.texts[i], sampled[i]));
    }

    const byKind: Record<string, KindCounts> = {};
    for (const k of HALLU_KINDS) byKind[k] = { n: 0, correct: 0, abstained: 0, hallucinated: 0, exact: 0 };
    byKind.closed_book_retrieval = { n: 0, correct: 0, abstained: 0, hallucinated: 0, exact: 0 };
    items.forEach((it, i) => {
      const c = byKind[it.kind];
      c.n++;
      c[outcomes[i]]++;
      if (it.answer !== null && exactMatch(main.texts[i], it.answer)) c.exact++;
    });
    closed.forEach(([it], j) => {
      const c = byKind.closed_book_retrieval;
      c.n++;
      c[retrieved[j]]++;
      if (it.answer !== null && exactMatch(withFacts.texts[j], it.answer)) c.exact++;
    });

    const sum = (kinds: HalluKind[], f: keyof KindCounts): number => kinds.reduce((s, k) => s + byKind[k][f], 0);
    const inContext: HalluKind[] = ['answerable', 'unanswerable_entity', 'unanswerable_attribute', 'false_premise'];
    const unanswerable: HalluKind[] = ['unanswerable_entity', 'unanswerable_attribute'];
    // The detectors are scored on the in-context kinds: closed-book answers are hallucinated
    // almost by construction, which would flatter any detector.
    const scored = items.map((_, i) => i).filter((i) => inContext.includes(items[i].kind));
    const labels = scored.map((i) => outcomes[i] === 'hallucinated');
    const a = byKind.answerable, cb = byKind.closed_book, cr = byKind.closed_book_retrieval;
    const metrics: Record<string, number | null> = {
      hallucination_rate: rate(sum(inContext, 'hallucinated'), sum(inContext, 'n')),
      hallucination_rate_answerable: rate(a.hallucinated, a.n),
      hallucination_rate_unanswerable: rate(sum(unanswerable, 'hallucinated'), sum(unanswerable, 'n')),
      hallucination_rate_false_premise: rate(byKind.false_premise.hallucinated, byKind.false_premise.n),
      abstention_rate: rate(sum(unanswerable, 'abstained'), sum(unanswerable, 'n')),
      over_abstention_rate: rate(a.abstained, a.n),
      exact_match_answerable: rate(a.exact, a.n),
      accuracy_answerable: rate(a.correct, a.n),
      false_premise_corrected: rate(byKind.false_premise.correct, byKind.false_premise.n),
      hallucination_rate_closed_book: rate(cb.hallucinated, cb.n),
      hallucination_rate_closed_book_retrieval: rate(cr.hallucinated, cr.n),
      accuracy_closed_book_retrieval: rate(cr.correct, cr.n),
      retrieval_recall: rate(recall, closed.length),
      selfcheck_auroc: selfcheck ? auroc(scored.map((i) => selfcheck![i]), labels) : null,
      logprob_auroc: auroc(scored.map((i) => main.nll[i]), labels),
      hallucination_items: items.length,
    };

    const shown: HalluSample[] = [];
    for (const kind of HALLU_KINDS) {
      items.forEach((it, i) => {
        if (it.kind === kind && shown.filter((s) => s.kind === kind).length < o.keepSamples) shown.push({ kind, prompt: it.prompt, response: main.texts[i], outcome: outcomes[i], selfcheck: selfcheck?.[i] ?? null });
      });
    }
    closed.slice(0, o.keepSamples).forEach(([], j) => shown.push({ kind: 'closed_book_retrieval', prompt: augmented[j].prompt, response: withFacts.texts[j], outcome: retrieved[j], selfcheck: null }));
    return { metrics, byKind, samples: shown, items: items.map((it, i) => ({ kind: it.kind, response: main.texts[i], outcome: outcomes[i], selfcheck: selfcheck?.[i] ?? null, nll: main.nll[i], samples: sampled[i] })) };
  } finally {
    model.train(wasTraining);
  }
}

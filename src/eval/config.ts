// `rlhf eval`: every default in one place. Each part runs when its input is given: perplexity with
// `text`, exact match with `prompts`, the win rate with `prompts` and `baseline`, the contamination
// report with `train`, the hallucination suite with `suite`.
import { check } from '../util/config.js';
import { SUITE_SIZES } from './hallucination/facts.js';

export interface EvalConfig {
  /** The model folder to evaluate. */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  /** A text file (plain, or JSONL with "text") for perplexity ('' = skip). */
  text: string;
  /** Prompt JSONL: instruction prompts with `gold` are scored for exact match per task kind; all
   * are used for the win rate ('' = skip both). */
  prompts: string;
  /** Prompts used at most (0 = all). */
  limit: number;
  /** A second model folder to compare against ('' = no win rate). */
  baseline: string;
  /** gold | reward:DIR | fn:FILE (see judge.ts). */
  judge: string;
  /** A training file to check the eval items for 13-gram overlap ('' = skip). */
  train: string;
  /** 'hallucination' (generated from suiteSeed), a prompts.jsonl written by suiteOut, or ''. */
  suite: string;
  suiteSeed: number;
  /** Items per kind of a generated suite. */
  suiteSizes: typeof SUITE_SIZES;
  /** Write the suite here (prompts.jsonl and facts.jsonl) before running it ('' = no). */
  suiteOut: string;
  /** Write the flat figures here as JSON, and the report as Markdown ('' = print only). */
  json: string;
  markdown: string;
  /** Generation for exact match, win rate and the suite's main answers. */
  maxNewTokens: number;
  temperature: number;
  seed: number;
  batchSize: number;
  perplexity: { window: number; maxTokens: number };
  contamination: { ngram: number; minWords: number };
  hallucination: {
    /** Main answers: greedy at temperature 0; sampled otherwise, at topP, with factual-nucleus
     * decay when factualDecay < 1. */
    topP: number;
    factualDecay: number;
    factualFloor: number;
    /** Samples per item for the consistency detector (0 = off), their temperature, and whether
     * each sample's question is rephrased (facts reshuffled, another frame). */
    selfcheckSamples: number;
    selfcheckTemperature: number;
    selfcheckRephrase: boolean;
    retrievalK: number;
  };
  bootstrap: { resamples: number; level: number };
  /** Abstention demonstrations for SFT: with `out` set, `rlhf eval` writes `count` of them (mixed
   * into `mixInto`, replacing as many of its conversations, when given) and exits. */
  abstention: { out: string; count: number; mixInto: string; seed: number };
}

export const EVAL_DEFAULTS: EvalConfig = {
  model: '',
  tokenizer: '',
  text: '',
  prompts: '',
  limit: 0,
  baseline: '',
  judge: 'gold',
  train: '',
  suite: '',
  suiteSeed: 20240607,
  suiteSizes: { ...SUITE_SIZES },
  suiteOut: '',
  json: '',
  markdown: '',
  maxNewTokens: 24,
  temperature: 0,
  seed: 0,
  batchSize: 32,
  perplexity: { window: 256, maxTokens: 200000 },
  contamination: { ngram: 13, minWords: 8 },
  hallucination: { topP: 0.9, factualDecay: 1, factualFloor: 0.3, selfcheckSamples: 5, selfcheckTemperature: 0.5, selfcheckRephrase: true, retrievalK: 2 },
  bootstrap: { resamples: 2000, level: 0.95 },
  abstention: { out: '', count: 1500, mixInto: '', seed: 77 },
};

export function validateEval(c: EvalConfig): void {
  const posInt = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 1, `${key} must be a positive integer, got ${v}`];
  const count = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 0, `${key} must be an integer ≥ 0, got ${v}`];
  const h = c.hallucination;
  check([
    [c.abstention.out !== '' || c.model !== '', 'model must name the model folder to evaluate'],
    [c.abstention.out !== '' || c.text !== '' || c.prompts !== '' || c.suite !== '', 'nothing to evaluate: give text (perplexity), prompts (exact match, win rate) or suite (hallucination)'],
    [c.baseline === '' || c.prompts !== '', 'baseline needs prompts to compare the two models on'],
    [c.train === '' || c.prompts !== '' || c.suite !== '', 'train (contamination) needs prompts or a suite whose items to check'],
    [/^(gold|reward:.+|fn:.+)$/.test(c.judge), `judge must be gold, reward:DIR or fn:FILE, got ${JSON.stringify(c.judge)}`],
    count('limit', c.limit), count('seed', c.seed), count('suiteSeed', c.suiteSeed), posInt('maxNewTokens', c.maxNewTokens), posInt('batchSize', c.batchSize),
    [c.temperature >= 0, `temperature must be ≥ 0, got ${c.temperature}`],
    ...Object.entries(c.suiteSizes).map(([k, v]) => count(`suiteSizes.${k}`, v)),
    posInt('perplexity.window', c.perplexity.window), count('perplexity.maxTokens', c.perplexity.maxTokens),
    posInt('contamination.ngram', c.contamination.ngram), posInt('contamination.minWords', c.contamination.minWords),
    [h.topP > 0 && h.topP <= 1, `hallucination.topP must be in (0, 1], got ${h.topP}`],
    [h.factualDecay > 0 && h.factualDecay <= 1 && h.factualFloor > 0 && h.factualFloor <= 1, 'hallucination.factualDecay and factualFloor must be in (0, 1]'],
    [h.factualDecay === 1 || c.temperature > 0, 'factual-nucleus decoding (hallucination.factualDecay < 1) samples: set temperature > 0'],
    count('hallucination.selfcheckSamples', h.selfcheckSamples), [h.selfcheckTemperature > 0, `hallucination.selfcheckTemperature must be positive, got ${h.selfcheckTemperature}`],
    posInt('hallucination.retrievalK', h.retrievalK),
    posInt('bootstrap.resamples', c.bootstrap.resamples), [c.bootstrap.level > 0 && c.bootstrap.level < 1, `bootstrap.level must be in (0, 1), got ${c.bootstrap.level}`],
    count('abstention.count', c.abstention.count),
  ]);
}

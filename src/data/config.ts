// Every threshold of the corpus pipeline, with its default, in one place. `resolvePipelineConfig`
// merges overrides (a config file, CLI flags) onto DATA_DEFAULTS, rejects unknown keys and values
// out of range, and says what it got. Quality thresholds follow Gopher (Rae et al. 2021, appendix A).
import { check, mergeConfig, nonNegInt, posInt } from '../util/config.js';

export interface NormalizeConfig {
  enabled: boolean;
  /** NFC keeps compatibility characters (ﬁ, ²) as written; NFKC folds them (fi, 2). */
  form: 'NFC' | 'NFKC';
}

export interface CleanConfig {
  enabled: boolean;
  /** Consecutive blank lines kept at most (paragraph breaks survive, runs of them do not). */
  maxBlankLines: number;
}

export interface QualityConfig {
  enabled: boolean;
  minWords: number;
  maxWords: number;
  minMeanWordLength: number;
  maxMeanWordLength: number;
  /** Occurrences of '#' and '...'/'…' per word. */
  maxSymbolWordRatio: number;
  /** Digits among non-space characters. */
  maxDigitRatio: number;
  /** Lines starting with a bullet (•, -, *, ·). */
  maxBulletLineRatio: number;
  /** Lines ending with an ellipsis. */
  maxEllipsisLineRatio: number;
  /** Words containing at least one letter. */
  minAlphaWordRatio: number;
  /** Distinct stop words (the, be, to, of, and, that, have, with) that must appear. */
  minStopWords: number;
  maxDupLineRatio: number;
  maxDupParagraphRatio: number;
  maxDupLineCharRatio: number;
  maxDupParagraphCharRatio: number;
  /** For n = 2, 3, 4: characters covered by the most frequent n-gram, over all word characters. */
  maxTopNgramCharRatio: Record<'2' | '3' | '4', number>;
  /** For n = 5 … 10: characters in n-grams that repeat an earlier one. */
  maxDupNgramCharRatio: Record<'5' | '6' | '7' | '8' | '9' | '10', number>;
}

export interface ExactDedupConfig {
  enabled: boolean;
}

export interface NearDupConfig {
  enabled: boolean;
  /** Estimated Jaccard similarity of word-shingle sets at or above which a later document is a
   * near-duplicate of an earlier one and is dropped. */
  threshold: number;
  /** MinHash permutations (signature length). */
  numPerm: number;
  /** Words per shingle. */
  shingle: number;
  seed: number;
}

export interface PiiConfig {
  enabled: boolean;
  email: boolean;
  phone: boolean;
  ip: boolean;
  creditCard: boolean;
  iban: boolean;
}

export interface DecontamConfig {
  enabled: boolean;
  /** Word n-gram length whose overlap with an evaluation example marks a document contaminated. */
  ngram: number;
  /** Evaluation examples shorter than `ngram` words are matched whole, if they have at least this
   * many words; shorter ones would match ordinary text by chance and are ignored. */
  minEvalWords: number;
}

export interface SplitConfig {
  /** Fraction of documents sent to validation, chosen by a hash of the text (order-independent). */
  valFraction: number;
  /** Mixed into the split hash; change it to draw a different split of the same corpus. */
  salt: string;
  /** Train documents whose estimated Jaccard similarity to a validation document reaches this are
   * dropped (lower than nearDup.threshold: leaking into validation costs more than losing a little
   * training text). 1 disables the check. */
  crossDedupThreshold: number;
}

export interface PipelineConfig {
  normalize: NormalizeConfig;
  clean: CleanConfig;
  quality: QualityConfig;
  exactDedup: ExactDedupConfig;
  nearDup: NearDupConfig;
  pii: PiiConfig;
  decontam: DecontamConfig;
  split: SplitConfig;
}

export const DATA_DEFAULTS: PipelineConfig = {
  normalize: { enabled: true, form: 'NFC' },
  clean: { enabled: true, maxBlankLines: 1 },
  quality: {
    enabled: true,
    minWords: 50,
    maxWords: 100_000,
    minMeanWordLength: 3,
    maxMeanWordLength: 10,
    maxSymbolWordRatio: 0.1,
    maxDigitRatio: 0.2,
    maxBulletLineRatio: 0.9,
    maxEllipsisLineRatio: 0.3,
    minAlphaWordRatio: 0.8,
    minStopWords: 2,
    maxDupLineRatio: 0.3,
    maxDupParagraphRatio: 0.3,
    maxDupLineCharRatio: 0.2,
    maxDupParagraphCharRatio: 0.2,
    maxTopNgramCharRatio: { '2': 0.2, '3': 0.18, '4': 0.16 },
    maxDupNgramCharRatio: { '5': 0.15, '6': 0.14, '7': 0.13, '8': 0.12, '9': 0.11, '10': 0.1 },
  },
  exactDedup: { enabled: true },
  nearDup: { enabled: true, threshold: 0.8, numPerm: 128, shingle: 5, seed: 1 },
  pii: { enabled: true, email: true, phone: true, ip: true, creditCard: true, iban: true },
  decontam: { enabled: true, ngram: 13, minEvalWords: 8 },
  split: { valFraction: 0.05, salt: 'rlhf-ts', crossDedupThreshold: 0.5 },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** DATA_DEFAULTS with `overrides` applied (a parsed config file or flags, dotted keys already
 * nested); throws a ConfigError on an unknown key, a wrong type or a value out of range, naming the
 * key (`quality.minWords`). */
export function resolvePipelineConfig(overrides: DeepPartial<PipelineConfig> = {}, where = 'data config'): PipelineConfig {
  const cfg = mergeConfig(structuredClone(DATA_DEFAULTS), overrides as Parameters<typeof mergeConfig>[1], where);
  validatePipelineConfig(cfg);
  return cfg;
}

export function validatePipelineConfig(c: PipelineConfig): void {
  const fraction = (key: string, v: number): [boolean, string] => [v >= 0 && v <= 1, `${key} must be in [0, 1], got ${v}`];
  const q = c.quality;
  check([
    [c.normalize.form === 'NFC' || c.normalize.form === 'NFKC', `normalize.form must be "NFC" or "NFKC", got ${JSON.stringify(c.normalize.form)}`],
    nonNegInt('clean.maxBlankLines', c.clean.maxBlankLines),
    [q.minWords >= 0 && q.minWords <= q.maxWords, `quality.minWords must be in [0, maxWords=${q.maxWords}], got ${q.minWords}`],
    [q.minMeanWordLength <= q.maxMeanWordLength, `quality.minMeanWordLength (${q.minMeanWordLength}) must be ≤ maxMeanWordLength (${q.maxMeanWordLength})`],
    ...(['maxSymbolWordRatio', 'maxDigitRatio', 'maxBulletLineRatio', 'maxEllipsisLineRatio', 'minAlphaWordRatio',
      'maxDupLineRatio', 'maxDupParagraphRatio', 'maxDupLineCharRatio', 'maxDupParagraphCharRatio'] as const).map((k) => fraction(`quality.${k}`, q[k])),
    ...Object.entries(q.maxTopNgramCharRatio).map(([n, v]) => fraction(`quality.maxTopNgramCharRatio.${n}`, v)),
    ...Object.entries(q.maxDupNgramCharRatio).map(([n, v]) => fraction(`quality.maxDupNgramCharRatio.${n}`, v)),
    [c.nearDup.threshold > 0 && c.nearDup.threshold <= 1, `nearDup.threshold must be in (0, 1], got ${c.nearDup.threshold}`],
    posInt('nearDup.numPerm', c.nearDup.numPerm),
    posInt('nearDup.shingle', c.nearDup.shingle),
    posInt('decontam.ngram', c.decontam.ngram),
    posInt('decontam.minEvalWords', c.decontam.minEvalWords),
    [c.split.valFraction >= 0 && c.split.valFraction < 1, `split.valFraction must be in [0, 1), got ${c.split.valFraction}`],
    [c.split.crossDedupThreshold > 0 && c.split.crossDedupThreshold <= 1, `split.crossDedupThreshold must be in (0, 1], got ${c.split.crossDedupThreshold}`],
  ]);
}

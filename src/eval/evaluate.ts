// One evaluation harness for what the pipeline and users measure (`rlhf eval`): perplexity, exact
// match per task kind, win rate against a baseline with bootstrap intervals, a 13-gram
// contamination report, and the hallucination suite. evaluateModel() returns flat figures (the keys
// the report card and --json use) and a Markdown report.
import { loadPretrained, sentenceEndIds, type CausalLM } from '../models/index.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { exactMatchAccuracy, loadGoldPrompts, type AccuracyReport } from '../train/accuracy.js';
import { mergeConfig, type ConfigValue } from '../util/config.js';
import { EVAL_DEFAULTS, validateEval, type EvalConfig } from './config.js';
import { contamination, trainingFileTexts, type ContaminationReport } from './contamination.js';
import { runHallucinationSuite, type HalluReport } from './hallucination/suite.js';
import { loadSuite, writeSuite } from './hallucination/suite-file.js';
import { makeJudge } from './judge.js';
import { renderMarkdown } from './markdown.js';
import { perplexity, readDocuments, type PerplexityResult } from './perplexity.js';
import { loadJudgedPrompts, winRate, type WinRateReport } from './winrate.js';

export interface EvalReport {
  config: EvalConfig;
  /** Flat figures: perplexity, exact_match(_<task>), win_rate(...), contaminated(...),
   * hallucination_rate(...), abstention_rate, selfcheck_auroc, ...; null where not measured. */
  flat: Record<string, number | null>;
  perplexity: PerplexityResult | null;
  exactMatch: AccuracyReport | null;
  winRate: WinRateReport | null;
  contamination: ContaminationReport | null;
  hallucination: HalluReport | null;
  markdown: string;
  seconds: number;
}

/** EVAL_DEFAULTS with `overrides` merged in (unknown keys throw), validated. */
export function evalConfig(overrides: Record<string, ConfigValue> = {}): EvalConfig {
  const c = mergeConfig(structuredClone(EVAL_DEFAULTS), overrides, 'eval config');
  validateEval(c);
  return c;
}

export interface EvaluateOptions {
  /** An already loaded model (the pipeline's), instead of loading cfg.model. */
  model?: CausalLM;
  tokenizer?: Tokenizer;
  log?: (line: string) => void;
}

export async function evaluateModel(cfg: EvalConfig, o: EvaluateOptions = {}): Promise<EvalReport> {
  const t0 = performance.now();
  const log = o.log ?? ((): void => {});
  const model = o.model ?? await loadPretrained(cfg.model);
  const tok = o.tokenizer ?? loadTokenizer(cfg.tokenizer || cfg.model);
  const flat: Record<string, number | null> = {};
  const gen = { maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, seed: cfg.seed, batchSize: cfg.batchSize };
  const boot = { resamples: cfg.bootstrap.resamples, level: cfg.bootstrap.level, seed: cfg.seed };

  let ppl: PerplexityResult | null = null;
  if (cfg.text) {
    log(`eval: perplexity on ${cfg.text}`);
    ppl = perplexity(model, tok, readDocuments(cfg.text), { window: cfg.perplexity.window, maxTokens: cfg.perplexity.maxTokens, batchSize: Math.max(1, Math.floor(cfg.batchSize / 4)) });
    Object.assign(flat, { perplexity: ppl.perplexity, perplexity_tokens: ppl.tokens });
  }

  let em: AccuracyReport | null = null;
  let wr: WinRateReport | null = null;
  const evalTexts: string[] = [];
  if (cfg.prompts) {
    const judged = await loadJudgedPrompts(cfg.prompts, tok, cfg.limit);
    evalTexts.push(...judged.map((p) => p.text));
    const gold = await loadGoldPrompts(cfg.prompts, cfg.limit).catch(() => []);
    if (gold.length) {
      log(`eval: exact match on ${gold.length} instruction prompts`);
      em = await exactMatchAccuracy(model, tok, gold, { maxNewTokens: cfg.maxNewTokens, batchSize: cfg.batchSize });
      flat.exact_match = em.accuracy;
      for (const [task, t] of Object.entries(em.byTask).sort()) flat[`exact_match_${task}`] = t.correct / t.total;
    }
    if (cfg.baseline) {
      log(`eval: win rate against ${cfg.baseline} on ${judged.length} prompts (judge ${cfg.judge})`);
      const baseline = await loadPretrained(cfg.baseline);
      wr = await winRate(model, baseline, tok, judged, await makeJudge(cfg.judge, tok), gen, boot);
      Object.assign(flat, {
        win_rate: wr.winRate, win_rate_ci_low: wr.winRateCi[0], win_rate_ci_high: wr.winRateCi[1], decisive_win_rate: wr.decisiveWinRate,
        score_diff: wr.meanDiff, score_diff_ci_low: wr.meanDiffCi[0], score_diff_ci_high: wr.meanDiffCi[1], wins: wr.wins, ties: wr.ties, losses: wr.losses,
      });
    }
  }

  let hallu: HalluReport | null = null;
  if (cfg.suite) {
    const suite = loadSuite(cfg.suite, cfg.suiteSeed, cfg.suiteSizes);
    if (cfg.suiteOut) writeSuite(cfg.suiteOut, suite);
    evalTexts.push(...suite.items.map((it) => it.prompt));
    const h = cfg.hallucination;
    const factual = h.factualDecay < 1 ? { decay: h.factualDecay, floor: h.factualFloor } : null;
    log(`eval: hallucination suite, ${suite.items.length} items${cfg.temperature > 0 ? `, sampled at T=${cfg.temperature} top-p ${h.topP}${factual ? ` with factual-nucleus decay ${factual.decay}, floor ${factual.floor}` : ''}` : ', greedy'}`);
    hallu = await runHallucinationSuite(model, tok, suite, {
      decoding: { temperature: cfg.temperature, topP: cfg.temperature > 0 ? h.topP : 1, factual }, maxNewTokens: cfg.maxNewTokens,
      selfcheckSamples: h.selfcheckSamples, selfcheckTemperature: h.selfcheckTemperature, selfcheckRephrase: h.selfcheckRephrase, retrievalK: h.retrievalK, seed: cfg.seed, batchSize: cfg.batchSize,
    }, factual ? sentenceEndIds(tok.vocabSize, (id) => tok.decode([id])) : []);
    Object.assign(flat, hallu.metrics);
  }

  let contam: ContaminationReport | null = null;
  if (cfg.train) {
    log(`eval: 13-gram contamination of ${evalTexts.length} eval items against ${cfg.train}`);
    contam = await contamination(evalTexts, trainingFileTexts(cfg.train), cfg.contamination);
    Object.assign(flat, { contaminated: contam.contaminated.length, contaminated_share: contam.checked ? contam.contaminated.length / contam.checked : null, contamination_checked: contam.checked });
  }

  const report: EvalReport = { config: cfg, flat, perplexity: ppl, exactMatch: em, winRate: wr, contamination: contam, hallucination: hallu, markdown: '', seconds: (performance.now() - t0) / 1000 };
  report.markdown = renderMarkdown(report);
  return report;
}

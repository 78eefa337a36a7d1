// `rlhf moe upcycle`: a dense checkpoint becomes a mixture of experts (models/upcycle.ts), and,
// given token shards, continued pretraining compares it with the dense model: both continue from
// the same weights for the same steps on the same batches (one seed, one data order), the MoE
// with the load-balancing loss, and the report puts their held-out losses beside the experts' load
// on the held-out tokens.
//
//   out/upcycled/   the converted model (its logits are the dense model's)
//   out/moe/        continued pretraining of the upcycled model (a pretrain run folder)
//   out/dense/      continued pretraining of the dense model, same config
//   out/upcycle_report.json, out/upcycle_report.md
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../engine/autograd.js';
import { Tensor } from '../engine/tensor.js';
import { ExpertUsage, UPCYCLE_DEFAULTS, loadPretrained, upcycle, type CausalLM, type ExpertLoad, type UpcycleOptions } from '../models/index.js';
import { check } from '../util/config.js';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { LOOP_DEFAULTS, PRETRAIN_DEFAULTS, validateLoop, type LoopConfig } from './config.js';
import { evaluate, type EvalResult, type LmBatch } from './lm.js';
import { readMetrics } from './metrics.js';
import { pretrain } from './pretrain.js';
import { copyTokenizer } from './run-dir.js';
import { evalWindows, shardPaths } from './shard-data.js';

export interface UpcycleRunConfig {
  /** The dense model folder (Hugging Face layout). */
  model: string;
  out: string;
  upcycle: UpcycleOptions;
  /** Shards for continued pretraining ('' = convert only) and the held-out shards it is scored on. */
  data: { train: string; val: string; seqLen: number };
  /** The loop of both continued runs. */
  train: LoopConfig;
}

export const UPCYCLE_RUN_DEFAULTS: UpcycleRunConfig = {
  model: '',
  out: 'runs/upcycle',
  upcycle: { ...UPCYCLE_DEFAULTS },
  data: { train: '', val: '', seqLen: 256 },
  // Continued pretraining: a short warm-up to a peak below a fresh run's, evaluated every 100 steps.
  train: { ...LOOP_DEFAULTS, steps: 300, lr: 1e-3, warmupSteps: 20, evalEvery: 100, evalBatches: 20, saveEvery: 0, keepLast: 1 },
};

export function validateUpcycleRun(c: UpcycleRunConfig): void {
  check([
    [c.model !== '', 'model must name the dense model folder'],
    [c.out !== '', 'out must name an output folder'],
    [c.data.train === '' || c.data.val !== '', 'data.val must name held-out shards when data.train is given (the comparison is scored on them)'],
    [Number.isInteger(c.data.seqLen) && c.data.seqLen > 0, `data.seqLen must be a positive integer, got ${c.data.seqLen}`],
  ]);
  validateLoop(c.train);
}

export interface UpcycleReport {
  config: UpcycleRunConfig;
  params: { dense: number; moe: number; moeActive: number };
  /** Largest |logit| difference between the upcycled and the dense model on a probe batch. */
  conversionMaxDiff: number;
  upcycled: string;
  /** Without continued pretraining, the rest is null. */
  tokens: number | null;
  before: EvalResult | null;
  dense: { eval: EvalResult; seconds: number; tokS: number } | null;
  moe: { eval: EvalResult; seconds: number; tokS: number; heldOutLoad: ExpertLoad; trainingLoadMax: number[] } | null;
}

/** Routing of `model` over the batches (eval mode, no dropout). */
export function expertLoad(model: CausalLM, batches: LmBatch[]): ExpertLoad {
  const usage = new ExpertUsage(model.config.numExperts, model.config.expertsPerToken);
  noGrad(() => { for (const b of batches) model.call(new Tensor(b.ids, [b.B, b.T]), { attentionMask: b.mask, expertUsage: usage }); });
  const load = usage.take();
  if (!load) throw new Error('expertLoad: no tokens were routed');
  return load;
}

/** Parameters a token passes through: all but the experts it is not routed to. */
function activeParams(model: CausalLM): number {
  const { numExperts: E, expertsPerToken: k } = model.config;
  let n = 0;
  for (const [name, p] of model.namedParameters()) n += name.includes('.experts.') ? (p.size * k) / E : p.size;
  return n;
}

export async function upcycleRun(cfg: UpcycleRunConfig, { quiet = false } = {}): Promise<UpcycleReport> {
  const log = (s: string): void => { if (!quiet) console.log(s); };
  ensureDir(cfg.out);
  const dense = await loadPretrained(cfg.model);
  const moe = upcycle(dense, cfg.upcycle).eval();
  const upcycled = join(cfg.out, 'upcycled');
  moe.save(upcycled);
  const tokenizer = existsSync(join(cfg.model, 'tokenizer.json')) ? cfg.model : '';
  copyTokenizer(tokenizer, upcycled);

  const probe = [Array.from({ length: Math.min(32, dense.config.maxPositions) }, (_, i) => (i * 7919) % dense.config.vocabSize)];
  const a = noGrad(() => dense.forward(probe)), b = noGrad(() => moe.forward(probe));
  const conversionMaxDiff = a.f.reduce((m, x, i) => Math.max(m, Math.abs(x - b.f[i])), 0);
  const report: UpcycleReport = {
    config: cfg, params: { dense: dense.numParameters(), moe: moe.numParameters(), moeActive: activeParams(moe) },
    conversionMaxDiff, upcycled, tokens: null, before: null, dense: null, moe: null,
  };
  log(`upcycled ${cfg.model} into ${cfg.upcycle.experts} experts (top-${cfg.upcycle.topK}) → ${upcycled}: ${report.params.dense.toLocaleString('en-US')} → ${report.params.moe.toLocaleString('en-US')} parameters (${Math.round(report.params.moeActive).toLocaleString('en-US')} per token); logits differ by at most ${conversionMaxDiff.toExponential(1)}`);

  if (cfg.data.train) {
    const val = evalWindows(shardPaths(cfg.data.val), cfg.data.seqLen, cfg.train.batchSize, cfg.train.evalBatches);
    report.before = evaluate(dense, val);
    const cont = async (init: string, label: string) => {
      log(`continued pretraining of the ${label} model, ${cfg.train.steps} steps`);
      return pretrain({
        out: join(cfg.out, label), data: cfg.data, tokenizer,
        model: { ...PRETRAIN_DEFAULTS.model, init }, train: cfg.train,
      }, { quiet });
    };
    const m = await cont(upcycled, 'moe');
    const d = await cont(cfg.model, 'dense');
    const final = await loadPretrained(m.model);
    const trainingLoadMax = readMetrics(join(cfg.out, 'moe', 'metrics.jsonl')).flatMap((r) => (typeof r.expertLoadMax === 'number' ? [r.expertLoadMax] : []));
    report.tokens = m.tokens;
    report.dense = { eval: d.eval!, seconds: d.seconds, tokS: d.tokS };
    report.moe = { eval: m.eval!, seconds: m.seconds, tokS: m.tokS, heldOutLoad: expertLoad(final, val), trainingLoadMax };
  }
  writeJsonAtomic(join(cfg.out, 'upcycle_report.json'), report);
  writeFileAtomic(join(cfg.out, 'upcycle_report.md'), upcycleMarkdown(report));
  return report;
}

export function upcycleMarkdown(r: UpcycleReport): string {
  const { experts, topK, auxLossCoef } = r.config.upcycle;
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const lines = [
    `# Sparse upcycling: ${experts} experts, top-${topK}`,
    '',
    `Dense model ${r.config.model}: ${n(r.params.dense)} parameters; upcycled: ${n(r.params.moe)} (${n(r.params.moeActive)} per token). ` +
      `Upcycled logits differ from the dense model's by at most ${r.conversionMaxDiff.toExponential(1)}.`,
  ];
  if (r.dense && r.moe && r.before) {
    const row = (name: string, e: EvalResult, s: string): string => `| ${name} | ${e.loss.toFixed(4)} | ${e.ppl.toFixed(2)} | ${s} |`;
    lines.push('', `Continued pretraining, ${r.config.train.steps} steps, ${n(r.tokens!)} tokens each (same batches), load-balancing coefficient ${auxLossCoef}:`, '',
      '| model | held-out loss | perplexity | seconds |', '| --- | --- | --- | --- |',
      row('before (both)', r.before, '—'), row('dense, continued', r.dense.eval, r.dense.seconds.toFixed(0)), row('upcycled MoE, continued', r.moe.eval, r.moe.seconds.toFixed(0)),
      '', `Held-out expert load (busiest expert over its fair share, 1 = even): ${r.moe.heldOutLoad.loadMax.toFixed(3)}; router entropy ${r.moe.heldOutLoad.routerEntropy.toFixed(3)} nats (uniform: ${Math.log(experts).toFixed(3)}).`,
      '', '| layer | tokens per expert |', '| --- | --- |',
      ...r.moe.heldOutLoad.tokensPerExpert.map((t, l) => `| ${l} | ${t.join(', ')} |`));
    if (r.moe.trainingLoadMax.length) lines.push('', `Busiest-expert load during training: ${r.moe.trainingLoadMax[0].toFixed(2)} at the first record, ${r.moe.trainingLoadMax[r.moe.trainingLoadMax.length - 1].toFixed(2)} at the last.`);
  }
  return lines.join('\n') + '\n';
}

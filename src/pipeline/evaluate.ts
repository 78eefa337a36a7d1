// The pipeline's held-out measurement, shared by every policy stage. The SFT policy answers the
// held-out prompts once (the best_of_n stage writes its samples, the baseline); each trained policy
// then answers the same prompts with a seed of its own, so the two sides are independent samples,
// and the gold labeler judges every pair. Per task kind (continuation, instruction): the win rate
// (ties half), the decisive win rate, the paired mean gold difference with its bootstrap interval
// (src/eval/stats.ts), the policy's KL from SFT on its own samples, and for continuations the
// frontier share against best-of-N at that KL; plus greedy exact match on the instructions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonl } from '../data/jsonl.js';
import { goldScore, measureAlignment, type Gold } from '../data/default/labelers.js';
import { comparePaired, frontierShare, type FrontierPoint, type PairedComparison } from '../eval/stats.js';
import { loadPretrained, type CausalLM } from '../models/index.js';
import { loadTokenizer, padId, type Tokenizer } from '../tokenizer/index.js';
import { exactMatchAccuracy, loadGoldPrompts } from '../train/accuracy.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from '../rlhf/core/prompts.js';
import { modelReference } from '../rlhf/core/reference.js';
import { comparisonSamples, responseKl } from '../rlhf/eval.js';
import type { RlhfStagesConfig } from './rlhf-config.js';

export const KINDS = ['continuation', 'instruction'] as const;
export type Kind = (typeof KINDS)[number];

/** The held-out prompt file of one kind (written by the data stage). */
export const heldOutFile = (dataDir: string, p: RlhfStagesConfig, kind: Kind): string => join(dataDir, `${p.evaluation.split}-${kind}.jsonl`);

export function loadHeldOut(dataDir: string, tok: Tokenizer, p: RlhfStagesConfig, kind: Kind): Promise<PolicyPrompt[]> {
  return loadPolicyPrompts(heldOutFile(dataDir, p, kind), tok, p.maxPromptLen, p.evaluation.prompts);
}

/** One SFT answer to a held-out prompt, with its gold score. */
export interface BaselineAnswer { response: string; gold: number }

/** Samples the SFT policy's answers to the held-out prompts of `kind` (the side every policy meets)
 * and writes them to `file`; returns them. */
export async function sampleBaseline(sft: CausalLM, tok: Tokenizer, prompts: PolicyPrompt[], p: RlhfStagesConfig, file: string): Promise<BaselineAnswer[]> {
  const e = p.evaluation;
  const s = await comparisonSamples(sft, tok, prompts.map((q) => q.ids), { maxNewTokens: e.maxNewTokens, temperature: e.temperature, seed: e.baselineSeed });
  const answers = prompts.map((q, i): BaselineAnswer => {
    const response = responseText(tok, s.responses[i]);
    return { response, gold: goldScore(q.gold as Gold, response) };
  });
  writeJsonl(file, answers);
  return answers;
}

export function readBaseline(file: string): BaselineAnswer[] {
  if (!existsSync(file)) throw new Error(`${file}: the SFT baseline samples are missing (the best_of_n stage writes them)`);
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as BaselineAnswer);
}

export interface ComparisonExample { prompt: string; sft: string; policy: string; sftGold: number; policyGold: number }

/** A policy against SFT on the held-out prompts of one kind. */
export interface KindFigures extends PairedComparison {
  /** Mean gold score of each side. */
  policyGold: number;
  sftGold: number;
  /** Mean Σ_t log π − log π_SFT per policy response (nats). */
  kl: number;
  /** Mean policy response length (tokens). */
  length: number;
  /** Share of policy responses the gold labeler finds correct (instructions) or well-formed
   * continuations. */
  correct: number | null;
  fluent: number | null;
  examples: ComparisonExample[];
}

export interface PolicyFigures {
  continuation: KindFigures;
  instruction: KindFigures;
  /** Greedy exact match on the held-out instructions. */
  accuracy: number;
  /** Continuations: gold gain over SFT divided by best-of-N-by-gold's gain at the same KL. */
  frontierShare: number | null;
}

/** Greedy exact match of `model` on the held-out instruction prompts. */
export async function heldOutAccuracy(model: CausalLM, tok: Tokenizer, dataDir: string, p: RlhfStagesConfig): Promise<number> {
  const prompts = await loadGoldPrompts(heldOutFile(dataDir, p, 'instruction'), p.evaluation.accuracyPrompts);
  return (await exactMatchAccuracy(model, tok, prompts, { maxNewTokens: p.evaluation.maxNewTokens })).accuracy;
}

async function compareKind(policy: CausalLM, sft: CausalLM, tok: Tokenizer, prompts: PolicyPrompt[], baseline: BaselineAnswer[], p: RlhfStagesConfig): Promise<KindFigures> {
  if (prompts.length !== baseline.length) throw new Error(`held-out comparison: ${prompts.length} prompts but ${baseline.length} baseline answers (the best_of_n stage ran on other prompts)`);
  const e = p.evaluation, ids = prompts.map((q) => q.ids);
  const s = await comparisonSamples(policy, tok, ids, { maxNewTokens: e.maxNewTokens, temperature: e.temperature, seed: e.policySeed });
  const texts = s.responses.map((r) => responseText(tok, r));
  const golds = prompts.map((q) => q.gold as Gold);
  const policyGold = golds.map((g, i) => goldScore(g, texts[i]));
  const stats = comparePaired(policyGold, baseline.map((b) => b.gold), { resamples: e.resamples, seed: e.policySeed });
  const alignment = measureAlignment(golds.map((gold, i) => ({ gold, response: texts[i] })));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    ...stats,
    policyGold: mean(policyGold), sftGold: mean(baseline.map((b) => b.gold)),
    kl: responseKl(policy, modelReference(sft), ids, s.responses, padId(tok)),
    length: mean(s.responses.map((r) => r.length)),
    correct: alignment.instructions > 0 ? alignment.accuracy : null,
    fluent: alignment.continuations > 0 ? alignment.fluent : null,
    examples: prompts.slice(0, e.examples).map((q, i) => ({ prompt: q.text, sft: baseline[i].response, policy: texts[i], sftGold: baseline[i].gold, policyGold: policyGold[i] })),
  };
}

/** The policy in `policyDir` against the SFT model on every held-out kind. `frontier` is best-of-N
 * by gold on the continuations (KL, gold gain), from the best_of_n stage. */
export async function evaluatePolicy(policyDir: string, dirs: { data: string; sft: string; baseline: string }, frontier: FrontierPoint[], p: RlhfStagesConfig): Promise<PolicyFigures> {
  const tok = loadTokenizer(policyDir);
  const policy = await loadPretrained(policyDir), sft = await loadPretrained(join(dirs.sft, 'model'));
  const kinds = {} as Record<Kind, KindFigures>;
  for (const kind of KINDS) {
    const prompts = await loadHeldOut(dirs.data, tok, p, kind);
    kinds[kind] = await compareKind(policy, sft, tok, prompts, readBaseline(join(dirs.baseline, `baseline-${kind}.jsonl`)), p);
  }
  const c = kinds.continuation;
  return {
    ...kinds,
    accuracy: await heldOutAccuracy(policy, tok, dirs.data, p),
    frontierShare: frontier.length ? frontierShare(frontier, c.kl, c.policyGold - c.sftGold) : null,
  };
}

/** "win 82.0% (decisive 90.1%), gold +0.41 [0.35, 0.47], KL 4.10" for a stage's summary line. */
export function describeKind(k: KindFigures | undefined): string {
  if (!k) return '-';
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`, sign = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
  return `win ${pct(k.winRate)} (${k.wins}/${k.ties}/${k.losses}, decisive ${pct(k.decisiveWinRate)}), gold ${sign(k.meanDiff)} [${k.meanDiffCi[0].toFixed(2)}, ${k.meanDiffCi[1].toFixed(2)}], KL ${k.kl.toFixed(2)}`;
}

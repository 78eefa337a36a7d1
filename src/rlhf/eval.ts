// Held-out comparison of a trained policy with the SFT policy, judged by the gold labelers: both
// answer the same prompts, and the policy wins a prompt when the labeler scores its response higher
// (a tie counts half). The policy's KL from the reference is measured on its own responses,
// Σ_t log π(y_t) − log π_ref(y_t) per response (unbiased for KL(π ‖ π_ref) at temperature 1).
import { noGrad } from '../engine/autograd.js';
import { world } from '../distributed/world.js';
import { loadPretrained, type CausalLM } from '../models/index.js';
import { goldScore, measureAlignment, type AlignmentReport, type Gold } from '../data/default/labelers.js';
import { stopIds, type Tokenizer } from '../tokenizer/index.js';
import { joinBatch, responseLogprobs } from './core/batch.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from './core/prompts.js';
import { modelReference, type Reference } from './core/reference.js';
import { sampleResponses, type Samples } from './core/rollout.js';

export interface CompareOptions {
  maxNewTokens: number;
  temperature: number;
  seed: number;
  padId: number;
  /** Examples kept for the report. */
  keepSamples: number;
}

export interface ComparisonSample { prompt: string; kind: string; baseline: string; policy: string; baselineGold: number; policyGold: number }

export interface PolicyComparison {
  prompts: number;
  /** (wins + ties / 2) / prompts. */
  winRate: number;
  wins: number;
  ties: number;
  losses: number;
  /** Mean gold score of each side. */
  policyGold: number;
  baselineGold: number;
  /** Mean KL from the reference per policy response, in nats. */
  kl: number;
  /** Mean response length of the policy, in tokens. */
  policyLength: number;
  policy: AlignmentReport;
  baseline: AlignmentReport;
  samples: ComparisonSample[];
}

/** Figures of a rollout (prompts and the responses' text) to log beside the reward, by name. */
export type RolloutWatch = (prompts: PolicyPrompt[], responses: string[]) => Record<string, number>;

/** The gold labeler's mean score of a rollout's responses to prompts with gold records (NaN when
 * none has one): logged beside PPO's reward, it shows when the policy games the reward model. */
export function goldWatch(prompts: PolicyPrompt[], responses: string[]): { gold: number } {
  let sum = 0, n = 0;
  prompts.forEach((p, i) => {
    if (!p.gold) return;
    sum += goldScore(p.gold, responses[i]);
    n++;
  });
  return { gold: n ? sum / n : NaN };
}

/** Mean Σ_t (log π − log π_ref) over responses, batched. */
export function responseKl(policy: CausalLM, ref: Reference, prompts: number[][], responses: number[][], padId: number, chunk = 32): number {
  let total = 0;
  const wasTraining = policy.training;
  policy.eval();
  for (let i = 0; i < prompts.length; i += chunk) {
    const batch = joinBatch(prompts.slice(i, i + chunk), responses.slice(i, i + chunk), padId);
    const lp = noGrad(() => responseLogprobs(policy, batch).logprobs.f);
    const lr = ref.logprobs(batch);
    for (let j = 0; j < lp.length; j++) total += batch.responseMask[j] * (lp[j] - lr[j]);
  }
  policy.train(wasTraining);
  return total / prompts.length;
}

/** Responses to `ids` as a comparison samples them (bestOfN draws its SFT side the same way, so both
 * meet the very same SFT samples). */
export function comparisonSamples(model: CausalLM, tok: Tokenizer, ids: number[][], o: Pick<CompareOptions, 'maxNewTokens' | 'temperature' | 'seed'>): Promise<Samples> {
  return sampleResponses(model, ids, { maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: 0, stopTokenIds: stopIds(tok, model.generationConfig.eosTokenId ?? model.config.eosTokenId), seed: o.seed, chunk: 32 });
}

/** `policy` against `baseline` on prompts that all carry gold records. */
export async function comparePolicies(policy: CausalLM, baseline: CausalLM, ref: Reference, tok: Tokenizer, prompts: PolicyPrompt[], o: CompareOptions): Promise<PolicyComparison> {
  const golds = prompts.map((p, i) => {
    if (!p.gold) throw new Error(`comparePolicies: prompt ${i + 1} has no gold record to judge it by`);
    return p.gold;
  });
  const ids = prompts.map((p) => p.ids);
  const [a, b] = [await comparisonSamples(policy, tok, ids, o), await comparisonSamples(baseline, tok, ids, o)];
  const texts = (s: { responses: number[][] }): string[] => s.responses.map((r) => responseText(tok, r));
  const pt = texts(a), bt = texts(b);
  let wins = 0, ties = 0, pg = 0, bg = 0, length = 0;
  const samples: ComparisonSample[] = [];
  golds.forEach((gold: Gold, i) => {
    const p = goldScore(gold, pt[i]), q = goldScore(gold, bt[i]);
    if (p > q) wins++;
    else if (p === q) ties++;
    pg += p;
    bg += q;
    length += a.responses[i].length;
    if (samples.length < o.keepSamples) samples.push({ prompt: prompts[i].text, kind: gold.kind === 'instruction' ? gold.task : 'continuation', baseline: bt[i], policy: pt[i], baselineGold: q, policyGold: p });
  });
  const n = prompts.length;
  return {
    prompts: n, winRate: (wins + ties / 2) / n, wins, ties, losses: n - wins - ties, policyGold: pg / n, baselineGold: bg / n,
    kl: responseKl(policy, ref, ids, a.responses, o.padId), policyLength: length / n,
    policy: measureAlignment(golds.map((gold, i) => ({ gold, response: pt[i] }))),
    baseline: measureAlignment(golds.map((gold, i) => ({ gold, response: bt[i] }))),
    samples,
  };
}

/** Where and how a trained policy meets its starting model after training (every method's `eval`
 * keys). */
export interface HeldOutSettings {
  /** Prompt JSONL with gold records ('' = no comparison). */
  prompts: string;
  /** Prompts used (0 = all). */
  limit: number;
  maxNewTokens: number;
  temperature: number;
}

/** `policy` against the model it started from (`start`, a folder or the model in memory) on the
 * held-out prompts of `e`, the KL measured from the start; null when e.prompts is ''. Under data
 * parallelism rank 0 alone compares (and reports); the others get null. */
export async function compareWithStart(policy: CausalLM, start: CausalLM | string, tok: Tokenizer, e: HeldOutSettings, o: { maxPromptLen: number; seed: number; padId: number }): Promise<PolicyComparison | null> {
  if (!e.prompts || world().rank !== 0) return null;
  const base = typeof start === 'string' ? await loadPretrained(start) : start;
  const prompts = await loadPolicyPrompts(e.prompts, tok, o.maxPromptLen, e.limit);
  return comparePolicies(policy, base, modelReference(base), tok, prompts, { maxNewTokens: e.maxNewTokens, temperature: e.temperature, seed: o.seed, padId: o.padId, keepSamples: 8 });
}

/** One line for a log: "held-out win rate vs SFT 61.0% (40/42/18), KL 3.20 nats/response". */
export function describeComparison(c: PolicyComparison): string {
  return `held-out win rate vs SFT ${(100 * c.winRate).toFixed(1)}% (${c.wins}/${c.ties}/${c.losses}), KL ${c.kl.toFixed(2)} nats/response`;
}

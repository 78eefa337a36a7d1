// Win rate of a model against a baseline: both answer the same prompts with the same decoding and
// seed, a judge scores every response, and stats.ts turns the paired scores into the win rate (a
// tie counts half), the decisive win rate, the mean score difference with its bootstrap interval,
// and a bootstrap interval of the win rate itself (the mean of per-prompt outcomes 1, ½, 0).
import { loadDataset, type Message, type Turns } from '../data/formats.js';
import type { CausalLM } from '../models/index.js';
import { encodeChat, stopIds, type Tokenizer } from '../tokenizer/index.js';
import type { Judge, JudgedPrompt } from './judge.js';
import { bootstrapMeanCi, comparePaired, type BootstrapOptions, type PairedComparison } from './stats.js';

export interface GenerationSettings { maxNewTokens: number; temperature: number; seed: number; batchSize: number }

const asMessages = (t: Turns): Message[] => (typeof t === 'string' ? [{ role: 'user', content: t }] : t);

/** Prompt records of a JSONL file (string or messages prompts; every other field kept for the
 * judge), encoded for generation; `limit` 0 keeps all. */
export async function loadJudgedPrompts(file: string, tok: Tokenizer, limit = 0): Promise<JudgedPrompt[]> {
  const { records } = await loadDataset(file, 'prompt');
  return records.slice(0, limit > 0 ? limit : undefined).map((r) => {
    const messages = asMessages(r.prompt);
    return { text: messages.map((m) => m.content).join('\n'), ids: encodeChat(tok, messages, { addGenerationPrompt: true }).ids, record: r as unknown as Record<string, unknown> };
  });
}

/** The model's responses to the prompts, as text. */
export async function respond(model: CausalLM, tok: Tokenizer, prompts: JudgedPrompt[], g: GenerationSettings): Promise<string[]> {
  const stops = stopIds(tok, model.generationConfig.eosTokenId ?? model.config.eosTokenId);
  const out: string[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    for (let i = 0; i < prompts.length; i += g.batchSize) {
      const r = await model.generate(prompts.slice(i, i + g.batchSize).map((p) => p.ids), { maxNewTokens: g.maxNewTokens, temperature: g.temperature, topK: 0, topP: 1, repetitionPenalty: 1, stopTokenIds: stops, seed: g.seed + i });
      out.push(...r.tokens.map((t) => tok.decode(t, { skipSpecialTokens: true })));
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

export interface WinRateReport extends PairedComparison {
  judge: string;
  /** Bootstrap interval of the win rate. */
  winRateCi: [number, number];
  modelScore: number;
  baselineScore: number;
  samples: { prompt: string; model: string; baseline: string; modelScore: number; baselineScore: number }[];
}

export async function winRate(model: CausalLM, baseline: CausalLM, tok: Tokenizer, prompts: JudgedPrompt[], judge: Judge, g: GenerationSettings, boot: BootstrapOptions = {}, keepSamples = 5): Promise<WinRateReport> {
  if (!prompts.length) throw new Error('win rate: no prompts');
  const [a, b] = [await respond(model, tok, prompts, g), await respond(baseline, tok, prompts, g)];
  const sa = await judge.score(prompts, a), sb = await judge.score(prompts, b);
  const cmp = comparePaired(sa, sb, boot);
  const outcome = sa.map((x, i) => (x > sb[i] ? 1 : x === sb[i] ? 0.5 : 0));
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    ...cmp, judge: judge.name, winRateCi: bootstrapMeanCi(outcome, boot), modelScore: mean(sa), baselineScore: mean(sb),
    samples: prompts.slice(0, keepSamples).map((p, i) => ({ prompt: p.text, model: a[i], baseline: b[i], modelScore: sa[i], baselineScore: sb[i] })),
  };
}

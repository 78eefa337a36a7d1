// Held-out exact-match accuracy on instruction prompts with gold answers (the default data's
// eval.jsonl): each prompt goes through the chat template with a generation prompt, the model
// answers greedily until its end-of-turn token, and the answer counts when it equals the gold
// answer after trimming whitespace and a trailing full stop.
import type { CausalLM } from '../models/index.js';
import type { Message } from '../data/formats.js';
import { loadGoldPrompts as loadPromptFile, type InstructionGold } from '../data/default/labelers.js';
import { encodeChat, stopIds, type Tokenizer } from '../tokenizer/index.js';

/** A held-out instruction prompt as a conversation, with its gold answer. */
export interface GoldPrompt { prompt: Message[]; gold: InstructionGold }

export interface AccuracySample { task: string; prompt: string; answer: string; output: string; correct: boolean }

export interface AccuracyReport {
  accuracy: number;
  correct: number;
  total: number;
  /** Accuracy per task kind. */
  byTask: Record<string, { correct: number; total: number }>;
  samples: AccuracySample[];
}

/** The instruction prompts of a prompt file with `gold` records (continuations have no single
 * right answer and are skipped); limit 0 keeps all. */
export async function loadGoldPrompts(file: string, limit = 0): Promise<GoldPrompt[]> {
  const out: GoldPrompt[] = [];
  for (const r of await loadPromptFile(file)) {
    if (r.gold.kind !== 'instruction') continue;
    out.push({ prompt: typeof r.prompt === 'string' ? [{ role: 'user', content: r.prompt }] : r.prompt, gold: r.gold });
    if (limit > 0 && out.length === limit) break;
  }
  if (!out.length) throw new Error(`${file}: no instruction prompts with a gold answer`);
  return out;
}

const normalize = (s: string): string => s.trim().replace(/\.$/, '').trim();

export function exactMatch(output: string, answer: string): boolean {
  return normalize(output) === normalize(answer);
}

/** Greedy answers of `model` to the prompts, scored by exact match. */
export async function exactMatchAccuracy(model: CausalLM, tok: Tokenizer, prompts: { prompt: Message[]; gold: { task: string; answer: string } }[], { maxNewTokens = 24, batchSize = 16 } = {}): Promise<AccuracyReport> {
  const stops = stopIds(tok, model.generationConfig.eosTokenId ?? model.config.eosTokenId);
  const report: AccuracyReport = { accuracy: 0, correct: 0, total: 0, byTask: {}, samples: [] };
  const wasTraining = model.training;
  model.eval();
  for (let i = 0; i < prompts.length; i += batchSize) {
    const chunk = prompts.slice(i, i + batchSize);
    const ids = chunk.map((p) => encodeChat(tok, p.prompt, { addGenerationPrompt: true }).ids);
    const out = await model.generate(ids, { maxNewTokens, temperature: 0, stopTokenIds: stops });
    chunk.forEach((p, j) => {
      const output = tok.decode(out.tokens[j], { skipSpecialTokens: true });
      const correct = exactMatch(output, p.gold.answer);
      const t = (report.byTask[p.gold.task] ??= { correct: 0, total: 0 });
      t.total++;
      report.total++;
      if (correct) {
        t.correct++;
        report.correct++;
      }
      report.samples.push({ task: p.gold.task, prompt: p.prompt.map((m) => m.content).join('\n'), answer: p.gold.answer, output, correct });
    });
  }
  model.train(wasTraining);
  report.accuracy = report.total ? report.correct / report.total : 0;
  return report;
}

// AFINN-165 valence through the `sentiment` package (its tokenizer, and its negation rule: a word
// after "not", "don't", "can't"… counts with the opposite sign).
import { createRequire } from 'node:module';

interface SentimentAnalyzer {
  analyze(text: string): { score: number; comparative: number };
}
const Sentiment = createRequire(import.meta.url)('sentiment') as new () => SentimentAnalyzer;
const afinn = new Sentiment();

/** The sum of the valences (each −5 … +5) of the text's words. */
export function afinnScore(text: string): number {
  return afinn.analyze(text).score;
}

/** AFINN's comparative score: the sum over the number of tokens, in [−5, 5]. */
export function afinnComparative(text: string): number {
  return afinn.analyze(text).comparative;
}

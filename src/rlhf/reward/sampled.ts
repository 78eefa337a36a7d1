// Rankings of the policy's own samples, as InstructGPT collected them: K responses sampled from the
// SFT policy for each prompt, ranked by the gold labeler. A reward model trained only on hand-built
// candidates never sees the policy's kind of text and scores it at random; these rankings cover the
// distribution PPO will actually sample from — in the very form PPO scores it: the decoded text as
// sampled (not trimmed), and responses cut off at the token limit kept and marked `truncated`, so
// the reward model reads them without an end-of-turn token, as PPO's reward does. Responses the
// labeler scores equally are merged (one kept), so every ranking is strict; prompts left with fewer
// than two distinct scores are skipped, and so are empty responses (a record holds text).
import { goldRank, goldScore } from '../../data/default/labelers.js';
import type { RankingRecord } from '../../data/formats.js';
import type { CausalLM } from '../../models/index.js';
import { stopIds, type Tokenizer } from '../../tokenizer/index.js';
import { responseText, type PolicyPrompt } from '../core/prompts.js';
import { sampleResponses } from '../core/rollout.js';

export interface SampledRankingOptions {
  k: number;
  maxNewTokens: number;
  temperature: number;
  seed: number;
}

/** One ranking per prompt with a gold record (and at least two distinctly scored samples). */
export async function rankPolicySamples(policy: CausalLM, tok: Tokenizer, prompts: PolicyPrompt[], o: SampledRankingOptions): Promise<RankingRecord[]> {
  const withGold = prompts.filter((p) => p.gold);
  const ids = withGold.flatMap((p) => Array<number[]>(o.k).fill(p.ids));
  const s = await sampleResponses(policy, ids, { maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: 0, stopTokenIds: stopIds(tok, policy.generationConfig.eosTokenId ?? policy.config.eosTokenId), seed: o.seed, chunk: 64 });
  const out: RankingRecord[] = [];
  withGold.forEach((p, i) => {
    const seen = new Set<number>();
    const responses: string[] = [], truncated: boolean[] = [];
    for (let j = 0; j < o.k; j++) {
      const text = responseText(tok, s.responses[i * o.k + j]);
      const score = goldScore(p.gold!, text);
      if (text.trim() === '' || seen.has(score)) continue;
      seen.add(score);
      responses.push(text);
      truncated.push(!s.finished[i * o.k + j]);
    }
    if (responses.length >= 2) out.push({ prompt: p.messages, responses, ranking: goldRank(p.gold!, responses), truncated });
  });
  return out;
}

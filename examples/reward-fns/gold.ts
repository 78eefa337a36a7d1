// A reward-function plug-in: the default data's gold labeler (src/data/default/labelers.ts) scoring
// a response by the `gold` record of its prompt's JSONL line: correct, well-formed and concise for
// instruction prompts, positive and well-formed for continuations. Build with `npx tsc -p .`, then
//   rlhf rloo --policy runs/sft/model --data.prompts prompts.jsonl --rewardFn dist/examples/reward-fns/gold.js
import { goldScore, type Gold } from 'rlhf-ts';

export function score(_prompt: string, response: string, record: Record<string, unknown>): number {
  const gold = record.gold as Gold | undefined;
  if (!gold || (gold.kind !== 'instruction' && gold.kind !== 'continuation')) {
    throw new Error('the prompt record has no gold field ({kind: "instruction", task, answer} or {kind: "continuation"}); use the default data\'s prompts.jsonl');
  }
  return goldScore(gold, response);
}

// A reward-function plug-in that needs no labels: it pays for responses near a target length in
// words, falling off linearly on either side (1 at 12 words, 0 at 0 or 24, negative beyond). It is
// async, as a function that calls a judge over the network would be; the trainer awaits it.
//   rlhf grpo --policy runs/sft/model --data.prompts prompts.jsonl --rewardFn dist/examples/reward-fns/length.js
const TARGET = 12;

export async function score(_prompt: string, response: string): Promise<number> {
  const words = response.split(/\s+/).filter(Boolean).length;
  return 1 - Math.abs(words - TARGET) / TARGET;
}

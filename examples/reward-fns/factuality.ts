// A reward-function plug-in: the factuality reward of the hallucination suite
// (src/eval/hallucination/reward.ts): +1 for an answer the facts support or an abstention where they
// support none, 0 for abstaining when they do, −1 for a hallucination (a value contradicting the
// facts, or asserted without them). Its prompts carry a `hallucination` label: write them with
//   rlhf eval --model DIR --suite hallucination --suiteSeed 1 --suiteOut runs/hallu-train
// then
//   rlhf grpo --policy runs/sft/model --data.prompts runs/hallu-train/prompts.jsonl --rewardFn dist/examples/reward-fns/factuality.js
// (train on a suite seed other than the one you evaluate on: every seed invents a new world).
export { factualityScore as score } from 'rlhf-ts';

// The factuality reward as a reward-function module for PPO/GRPO (`--reward-fn
// examples/reward-fns/factuality.js`) and `rlhf eval --judge fn:...`: +1 for an answer the facts
// support or an abstention where they support none, 0 for abstaining when they do, −1 for a
// hallucination. Its prompts are the suite's (`rlhf eval --suite hallucination --suiteOut DIR`
// writes DIR/prompts.jsonl); see src/eval/hallucination/reward.ts.
export { score } from '../../dist/src/eval/hallucination/reward.js';

// `rlhf rloo`: REINFORCE leave-one-out against a reward model or function (config keys in
// src/rlhf/rloo/config.ts and src/rlhf/core/online-config.ts).
import { RLOO_DEFAULTS, validateRloo } from '../rlhf/rloo/config.js';
import { rloo } from '../rlhf/rloo/trainer.js';
import type { CommandSpec } from './args.js';
import { onlineFlags, runOnlineCommand } from './online-command.js';

const spec: CommandSpec = {
  name: 'rlhf rloo',
  summary: 'RLOO: k samples per prompt, each baselined by the mean reward of the other k − 1; no critic',
  usage: 'rlhf rloo --policy SFT_DIR (--reward RM_DIR | --reward-fn FILE) --data.prompts prompts.jsonl [--eval.prompts eval.jsonl] [--samplesPerPrompt 4] [--klCoef 0.05] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: onlineFlags,
};

export function run(argv: string[]): Promise<void> {
  return runOnlineCommand(spec, RLOO_DEFAULTS, validateRloo, argv, rloo);
}

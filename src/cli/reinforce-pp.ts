// `rlhf reinforce-pp`: REINFORCE++ against a reward model or function (config keys in
// src/rlhf/reinforce/config.ts and src/rlhf/core/online-config.ts).
import { REINFORCE_PP_DEFAULTS, validateReinforcePp } from '../rlhf/reinforce/config.js';
import { reinforcePp } from '../rlhf/reinforce/trainer.js';
import type { CommandSpec } from './args.js';
import { onlineFlags, runOnlineCommand } from './online-command.js';

const spec: CommandSpec = {
  name: 'rlhf reinforce-pp',
  summary: 'REINFORCE++: per-token KL in the reward, returns normalised over the global batch, PPO clipping; no critic',
  usage: 'rlhf reinforce-pp --policy SFT_DIR (--reward RM_DIR | --reward-fn FILE) --data.prompts prompts.jsonl [--eval.prompts eval.jsonl] [--klCoef 0.01] [--groupBaseline] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: onlineFlags,
};

export function run(argv: string[]): Promise<void> {
  return runOnlineCommand(spec, REINFORCE_PP_DEFAULTS, validateReinforcePp, argv, reinforcePp);
}

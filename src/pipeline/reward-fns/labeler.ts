// The default data's labelers as reward-function plug-ins (src/rlhf/reward/plugin.ts): a module
// exporting score(prompt, response, record) that judges the response by the `gold` record of its
// prompt's JSONL line. The pipeline hands gold.js to PPO for the ppo_gold ablation and
// afinn-comparative.js for the reward-hacking example, through the same --rewardFn path a user's
// module takes.
import { fileURLToPath } from 'node:url';
import { LABELERS, type Gold, type LabelerName } from '../../data/default/labelers.js';

export function labelerScore(name: LabelerName): (prompt: string, response: string, record: Record<string, unknown>) => number {
  const labeler = LABELERS[name];
  return (_prompt, response, record) => {
    const gold = record.gold as Gold | undefined;
    if (gold?.kind !== 'instruction' && gold?.kind !== 'continuation') throw new Error(`the ${name} labeler needs the prompt's gold record ({kind: "continuation", …} or {kind: "instruction", …})`);
    return labeler.score(gold, response);
  };
}

/** The compiled module of a labeler's plug-in, for a config's rewardFn. */
export const labelerModule = (name: LabelerName): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

// The shared shape of the critic-free online commands (`rlhf rloo`, `rlhf reinforce-pp`): their
// flags, and the summary they print.
import { goldWatch } from '../rlhf/eval.js';
import type { OnlineConfig } from '../rlhf/core/online-config.js';
import type { OnlineRunOptions, OnlineSummary } from '../rlhf/core/online-run.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';
import { comparisonRows, fmt, printSummary } from './summary.js';

export const onlineFlags: CommandSpec['flags'] = {
  config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
  'reward-fn': { type: 'string', help: 'a reward-function module exporting score(prompt, response, record), in place of --reward', configKey: 'rewardFn' },
  resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
  quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
};

export async function runOnlineCommand<C extends OnlineConfig>(spec: CommandSpec, defaults: C, validate: (c: C) => void, argv: string[],
  run: (cfg: C, o: OnlineRunOptions) => Promise<OnlineSummary>): Promise<void> {
  const parsed = parseConfigCommand(spec, defaults, argv, validate);
  if (!parsed) return;
  // Prompts with gold records (the default data's) get the gold labeler's score beside the reward.
  const s = await run(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet), watch: goldWatch });
  printSummary(`${s.method} done`, [
    ['iterations', s.resumedFrom !== null ? `${s.iterations} (resumed at ${s.resumedFrom})` : String(s.iterations)],
    ['time', `${s.seconds.toFixed(1)} s (generate ${fmt(s.generateS, 1)} s, score ${fmt(s.scoreS, 1)} s, train ${fmt(s.trainS, 1)} s)`],
    ['reward', s.reward],
    ['score: first → last iteration', `${fmt(s.first?.score)} → ${fmt(s.last?.score)}`],
    ['gold score: first → last iteration', `${fmt(s.first?.gold)} → ${fmt(s.last?.gold)}`],
    ['KL per response (last iteration)', `${fmt(s.last?.kl, 2)} nats`],
    ...comparisonRows(s.eval),
    ['model', s.model], ...(s.adapter ? [['adapter (PEFT)', s.adapter] as [string, string]] : []),
    ['run folder', `${parsed.config.out} (metrics.jsonl per iteration, summary.json, checkpoints/)`],
  ]);
}

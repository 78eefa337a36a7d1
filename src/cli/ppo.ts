// `rlhf ppo`: optimise the SFT policy against a reward model with PPO (config keys in
// src/rlhf/ppo/config.ts).
import { goldWatch } from '../rlhf/eval.js';
import { PPO_DEFAULTS, validatePpo } from '../rlhf/ppo/config.js';
import { ppo } from '../rlhf/ppo/run.js';
import type { CommandSpec } from './args.js';
import { checkRunPaths, parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf ppo',
  summary: 'PPO against a reward model: actor (SFT), critic (from the reward model), frozen reference and reward model',
  usage: 'rlhf ppo --policy SFT_DIR (--reward RM_DIR | --reward-fn FILE) --data.prompts prompts.jsonl [--eval.prompts eval.jsonl] [--out DIR] [--config FILE] [--resume] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    'reward-fn': { type: 'string', help: 'a reward-function module exporting score(prompt, response, record), in place of --reward', configKey: 'rewardFn' },
    resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
    quiet: { type: 'boolean', help: 'no progress bar or messages, only the summary' },
  },
};

const f = (x: number | undefined, d = 3): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, PPO_DEFAULTS, argv, validatePpo);
  if (!parsed) return;
  checkRunPaths(spec.name, parsed.config, { models: ['policy', 'reward'], tokenizers: ['tokenizer'], inputs: ['data.prompts', 'ptx.data', 'eval.prompts'] }, Boolean(parsed.flags.resume));
  // Prompts with gold records (the default data's) get the gold labeler's score beside the reward.
  const s = await ppo(parsed.config, { resume: Boolean(parsed.flags.resume), quiet: Boolean(parsed.flags.quiet), watch: goldWatch });
  const total = s.generateS + s.scoreS + s.trainS;
  const rows: [string, string][] = [
    ['iterations', s.resumedFrom !== null ? `${s.iterations} (resumed at ${s.resumedFrom})` : String(s.iterations)],
    ['time', `${s.seconds.toFixed(1)} s (generate ${f(s.generateS, 1)} s, score ${f(s.scoreS, 1)} s, train ${f(s.trainS, 1)} s; generate ${total > 0 ? (100 * s.generateS / total).toFixed(0) : '-'}%)`],
    ['RM score: first → last iteration', `${f(s.first?.score)} → ${f(s.last?.score)}`],
    ['gold score: first → last iteration', `${f(s.first?.gold)} → ${f(s.last?.gold)}`],
    ['KL per response (last), β', `${f(s.last?.kl, 2)} nats, β ${f(s.last?.klCoef, 4)}`],
  ];
  if (s.eval) {
    rows.push(['held-out win rate vs SFT', `${(100 * s.eval.winRate).toFixed(1)}% (${s.eval.wins} wins, ${s.eval.ties} ties, ${s.eval.losses} losses of ${s.eval.prompts})`]);
    rows.push(['held-out KL to the reference', `${s.eval.kl.toFixed(2)} nats per response`]);
  }
  rows.push(['model', s.model], ['value model', s.valueModel], ['run folder', `${parsed.config.out} (metrics.jsonl per iteration, summary.json, checkpoints/)`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log('\nppo done');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}

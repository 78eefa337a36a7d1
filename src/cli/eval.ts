// `rlhf eval`: evaluate a model (perplexity, exact match, win rate, contamination, hallucination
// suite); config keys in src/eval/config.ts.
import { writeFileSync } from 'node:fs';
import { EVAL_DEFAULTS, validateEval } from '../eval/config.js';
import { evaluateModel } from '../eval/evaluate.js';
import { abstentionConversations, mixAbstention } from '../eval/hallucination/abstention.js';
import { writeFileAtomic } from '../util/fs.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf eval',
  summary: 'evaluate a model: perplexity, exact match per task, win rate against a baseline with bootstrap intervals, 13-gram contamination, the hallucination suite',
  usage: 'rlhf eval --model DIR [--text FILE] [--prompts FILE [--baseline DIR] [--judge gold|reward:DIR|fn:FILE]] [--train FILE] [--suite hallucination|FILE] [--json FILE] [--markdown FILE] [--<key> VALUE ...]\n'
    + '       rlhf eval --abstention.out FILE [--abstention.count N] [--abstention.mixInto sft.jsonl]   (abstention demonstrations for SFT)',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    quiet: { type: 'boolean', help: 'print only the Markdown report' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, EVAL_DEFAULTS, argv, validateEval);
  if (!parsed) return;
  const cfg = parsed.config;
  if (cfg.abstention.out) {
    const a = cfg.abstention;
    const n = a.mixInto
      ? mixAbstention(a.mixInto, a.out, a.count, a.seed)
      : (writeFileAtomic(a.out, abstentionConversations(a.seed, a.count).map((c) => JSON.stringify(c) + '\n').join('')), a.count);
    console.log(`wrote ${n} conversations to ${a.out}${a.mixInto ? ` (${a.count} of ${a.mixInto}'s replaced by abstention demonstrations)` : ''}`);
    return;
  }
  const report = await evaluateModel(cfg, { log: parsed.flags.quiet ? undefined : (l) => console.error(l) });
  if (cfg.json) writeFileSync(cfg.json, JSON.stringify(report.flat, null, 2) + '\n');
  if (cfg.markdown) writeFileSync(cfg.markdown, report.markdown);
  console.log(report.markdown);
}

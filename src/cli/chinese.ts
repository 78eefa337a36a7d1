// `rlhf chinese`: the Chinese-LLaMA flow in one command (src/chinese/flow.ts), sizes in
// src/chinese/config.ts.
import { CHINESE_FLOW_DEFAULTS, validateChineseFlow } from '../chinese/config.js';
import { chineseFlow } from '../chinese/flow.js';
import { fmt } from '../chinese/report.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf chinese',
  summary: 'extend an English model to Chinese as Chinese-LLaMA did: merge a Chinese BPE, grow the embeddings, train the new rows, then everything, on poems; Chinese SFT; a report card',
  usage: 'rlhf chinese [--out DIR] [--base MODEL_DIR] [--config FILE] [--<key> VALUE ...]',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    quiet: { type: 'boolean', help: 'no progress bars or messages, only the report' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const parsed = parseConfigCommand(spec, CHINESE_FLOW_DEFAULTS, argv, validateChineseFlow);
  if (!parsed) return;
  const r = await chineseFlow(parsed.config, { quiet: Boolean(parsed.flags.quiet) });
  const s = r.stages, v = r.vocabulary;
  console.log(`tokens per Chinese character: ${v.tokensPerHanBefore.toFixed(3)} → ${v.tokensPerHanAfter.toFixed(3)}`);
  console.log(`held-out Chinese perplexity per character: ${fmt(s.base.chinese.pplChar)} → ${fmt(s.continued.chinese.pplChar)} (continued pretraining) → ${fmt(s.sft.chinese.pplChar)} (SFT)`);
  console.log(`held-out English perplexity per token: ${fmt(s.base.english.pplToken)} → ${fmt(s.continued.english.pplToken)} (continued pretraining) → ${fmt(s.sft.english.pplToken)} (SFT)`);
  console.log(`held-out Chinese instructions, exact match: ${(100 * r.accuracy.before.accuracy).toFixed(1)}% → ${(100 * r.accuracy.after.accuracy).toFixed(1)}%`);
  console.log(`report card: ${r.config.out}/report/report.md`);
}

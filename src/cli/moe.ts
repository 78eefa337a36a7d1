// `rlhf moe upcycle`: a dense model → a mixture of experts (sparse upcycling), optionally followed
// by continued pretraining of it and of the dense model on the same tokens, with a report.
import { UPCYCLE_RUN_DEFAULTS, upcycleRun, validateUpcycleRun } from '../train/upcycle.js';
import { UsageError, type CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf moe upcycle',
  summary: 'copy a dense model\'s MLP into N experts with a fresh router; with --data.train, continue pretraining it and the dense model on the same tokens and compare',
  usage: 'rlhf moe upcycle --model DIR --experts N --top-k K --out DIR [--data.train SHARDS --data.val SHARDS --train.steps 300 ...]',
  flags: {
    experts: { type: 'number', help: `experts per layer (upcycle.experts, default ${UPCYCLE_RUN_DEFAULTS.upcycle.experts})` },
    'top-k': { type: 'number', help: `experts per token (upcycle.topK, default ${UPCYCLE_RUN_DEFAULTS.upcycle.topK})` },
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    quiet: { type: 'boolean', help: 'no progress bars or messages, only the report' },
  },
};

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'upcycle') throw new UsageError(sub === undefined || sub === '--help' ? `usage: ${spec.usage}\n\nsubcommands:\n  upcycle   ${spec.summary}` : `rlhf moe: unknown subcommand "${sub}" (supported: upcycle)`);
  const parsed = parseConfigCommand(spec, UPCYCLE_RUN_DEFAULTS, rest, () => {});
  if (!parsed) return;
  const { config, flags } = parsed;
  if (flags.experts !== undefined) config.upcycle.experts = Number(flags.experts);
  if (flags['top-k'] !== undefined) config.upcycle.topK = Number(flags['top-k']);
  validateUpcycleRun(config);
  const r = await upcycleRun(config, { quiet: Boolean(flags.quiet) });
  if (r.dense && r.moe && r.before) {
    console.log(`held-out loss: ${r.before.loss.toFixed(4)} before; dense continued ${r.dense.eval.loss.toFixed(4)}, upcycled MoE continued ${r.moe.eval.loss.toFixed(4)} (${r.tokens!.toLocaleString('en-US')} tokens each)`);
    console.log(`held-out expert load: busiest expert ${r.moe.heldOutLoad.loadMax.toFixed(3)}× its fair share, router entropy ${r.moe.heldOutLoad.routerEntropy.toFixed(3)} nats`);
  }
  console.log(`report: ${config.out}/upcycle_report.md`);
}

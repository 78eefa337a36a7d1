#!/usr/bin/env node
// `rlhf <command> ...`: dispatches to one module per command (src/cli/<command>.ts), each exporting
// `run(argv)`. Commands are imported lazily so `rlhf --help` stays fast. The one global flag,
// --allow-invalid-utf8, is taken out here and holds for every file the command reads.
//
// Under mpirun (docs/distributed.md) every rank runs this: the trainers marked `parallel` train
// data-parallel, the other commands refuse (N copies would write the same files). Rank 0 alone
// prints; a rank that fails prints its error with its rank and aborts the whole job, so the others
// never wait for it in a collective; MPI is finalised after a command succeeds.
import { exitWithError, finalizeWorld, mpiLaunch, world } from '../distributed/world.js';
import { UsageError } from './args.js';
import { withInvalidUtf8 } from '../util/text.js';
import { fsErrorMessage } from '../util/fs.js';

interface CommandModule { run(argv: string[]): Promise<void> }

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule>; parallel?: boolean }> = {
  info: { summary: 'show the backend, instruction set, thread count and MPI in use', load: () => import('./info.js'), parallel: true },
  tokenizer: { summary: 'byte-level BPE: train, encode, decode, inspect, from-tiktoken, merge a Chinese vocabulary', load: () => import('./tokenizer.js') },
  data: { summary: 'prepare data: process a corpus, pack token shards, inspect datasets, make the default data', load: () => import('./data.js') },
  pretrain: { summary: 'pretrain a causal LM on token shards (next-token prediction)', load: () => import('./pretrain.js'), parallel: true },
  sft: { summary: 'supervised fine-tuning on conversations, full or LoRA', load: () => import('./sft.js'), parallel: true },
  lora: { summary: 'LoRA adapters: merge an adapter into its base model', load: () => import('./lora.js') },
  reward: { summary: 'train a reward model on ranked responses (pairwise loss, held-out accuracy)', load: () => import('./reward.js'), parallel: true },
  ppo: { summary: 'PPO against a reward model or function with a KL penalty to the SFT policy (InstructGPT step 3)', load: () => import('./ppo.js'), parallel: true },
  dpo: { summary: 'direct preference optimisation (DPO, conservative DPO, IPO, SimPO) on preference pairs', load: () => import('./dpo.js'), parallel: true },
  grpo: { summary: 'GRPO (with DAPO options) on prompts with checkable answers or a reward function: group-normalised rewards, no critic', load: () => import('./grpo.js'), parallel: true },
  rloo: { summary: 'RLOO: k samples per prompt, leave-one-out baseline, reward model or function; no critic', load: () => import('./rloo.js'), parallel: true },
  'reinforce-pp': { summary: 'REINFORCE++: per-token KL reward, batch-normalised returns, PPO clipping; no critic', load: () => import('./reinforce-pp.js'), parallel: true },
  rft: { summary: 'rejection-sampling fine-tuning: best of n samples by a reward model or function, distilled by SFT', load: () => import('./rft.js'), parallel: true },
  kto: { summary: 'KTO on unpaired thumbs-up/down labels', load: () => import('./kto.js'), parallel: true },
  orpo: { summary: 'ORPO: SFT plus an odds-ratio preference term, no reference model', load: () => import('./orpo.js'), parallel: true },
  simpo: { summary: 'SimPO: length-normalised preference margin, no reference model (rlhf dpo --loss simpo)', load: () => import('./simpo.js'), parallel: true },
  pipeline: { summary: 'run data → tokenizer → pretrain → SFT → reward model → PPO, DPO, RLOO, GRPO → report card into a run folder (npm start), resumable', load: () => import('./pipeline.js') },
  'self-instruct': { summary: 'grow an instruction dataset from seed tasks with a teacher model (local folder or OpenAI-compatible URL)', load: () => import('./self-instruct.js') },
  eval: { summary: 'evaluate a model: perplexity, exact match, win rate with CIs, contamination, hallucination suite', load: () => import('./eval.js') },
  generate: { summary: 'continue prompts with a model (KV cache, batching, sampling, streaming)', load: () => import('./generate.js') },
  chat: { summary: 'chat with a model in the terminal (streamed replies, history, /reset)', load: () => import('./chat.js') },
  serve: { summary: 'serve models over an OpenAI-compatible HTTP API with continuous batching', load: () => import('./serve.js') },
  export: { summary: 'export a model: gguf (llama.cpp)', load: () => import('./export.js') },
  chinese: { summary: 'the Chinese-LLaMA flow: merge a Chinese vocabulary, train new embedding rows then everything on poems, Chinese SFT, a report card', load: () => import('./chinese.js') },
  moe: { summary: 'mixture of experts: upcycle a dense model into N experts, continue pretraining, compare with the dense model', load: () => import('./moe.js') },
  label: { summary: 'human labels: import a ranking task set, export rankings and chat thumbs, accounts, status', load: () => import('./label.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'rlhf: train, align and serve ChatGPT-style language models',
    '',
    'usage: rlhf <command> [flags]     (rlhf <command> --help for its flags)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    'global flags:',
    `  ${GLOBAL_UTF8_FLAG}  read bytes that are not UTF-8 in input files as U+FFFD (counted and reported`,
    '                        per file) instead of failing at the first one with file:line:column',
  ].join('\n');
}

const GLOBAL_UTF8_FLAG = '--allow-invalid-utf8';

async function main(args: string[]): Promise<void> {
  const argv = args.filter((a) => a !== GLOBAL_UTF8_FLAG);
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage());
    return;
  }
  const entry = COMMANDS[command];
  if (!entry) throw new UsageError(`rlhf: unknown command "${command}"\n\n${usage()}`);
  const comm = mpiLaunch() ? world() : null;
  if (comm && comm.size > 1) {
    if (!entry.parallel) {
      const trainers = Object.keys(COMMANDS).filter((c) => COMMANDS[c].parallel && c !== 'info');
      throw new UsageError(`rlhf ${command} runs in one process; under mpirun run a trainer (${trainers.join(', ')}); see docs/distributed.md`);
    }
    // One voice: the other ranks' messages would repeat rank 0's.
    if (comm.rank !== 0) console.log = console.info = () => {};
  }
  const mod = await entry.load();
  await withInvalidUtf8(argv.length < args.length ? 'replace' : 'error', () => mod.run(rest));
  finalizeWorld();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const message = e instanceof UsageError ? e.message : e instanceof Error ? (process.env.RLHF_DEBUG ? String(e.stack) : `error: ${fsErrorMessage(e) ?? e.message}`) : String(e);
  exitWithError(message, e instanceof UsageError ? 2 : 1);
});

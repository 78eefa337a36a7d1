// `rlhf info`: which backend, instruction set and thread count this machine runs.
import { formatHelp, parseArgs, type CommandSpec } from './args.js';
import { kernels } from '../engine/backend.js';

const spec: CommandSpec = { name: 'rlhf info', summary: 'show the backend in use', usage: 'rlhf info', flags: {} };

export async function run(argv: string[]): Promise<void> {
  if (parseArgs(spec, argv).help) return void console.log(formatHelp(spec));
  const k = kernels();
  console.log(JSON.stringify({ backend: k.name, isa: k.isa, threads: k.threads, node: process.version }));
}

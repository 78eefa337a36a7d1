// The command line against issue 18's cases, as a user meets them: every bad input stops with a
// message naming the file, line, flag or config key (exit 1 or 2, nothing half-written), and
// the cases that should work (generation up to the context, --allow-invalid-utf8) do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';
import { tmp, writeByteShard } from '../train/helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DATA = 'test/fixtures/fuzz/data';
/** The real `rlhf` in a child process (for exit codes and the global flag). */
const rlhf = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

const COMMANDS: Record<string, () => Promise<{ run(argv: string[]): Promise<void> }>> = {
  generate: () => import('../../src/cli/generate.js'), pretrain: () => import('../../src/cli/pretrain.js'), sft: () => import('../../src/cli/sft.js'),
  export: () => import('../../src/cli/export.js'), data: () => import('../../src/cli/data.js'),
};

/** A command run in this process (much cheaper than a child): what it threw, and its stderr. */
async function inProcess(argv: string[]): Promise<{ error: Error | null; stderr: string }> {
  const [log, warn, error] = [console.log, console.warn, console.error];
  const lines: string[] = [];
  console.log = () => {};
  console.warn = console.error = (m: string) => lines.push(m);
  try {
    await (await COMMANDS[argv[0]]()).run(argv.slice(1));
    return { error: null, stderr: lines.join('\n') };
  } catch (e) {
    return { error: e as Error, stderr: lines.join('\n') };
  } finally {
    [console.log, console.warn, console.error] = [log, warn, error];
  }
}

/** A 64-position model with its tokenizer, a token shard, an SFT file, a plain file, an empty folder. */
function setup(): Record<string, string> {
  const dir = tmp('cli-errors');
  const tok = trainBpe(['the cat sat on the mat. the dog sat on the log. a cat and a dog.'], { vocabSize: 280, minFrequency: 1, specialTokens: ['<|endoftext|>'] });
  const model = new CausalLM(modelConfig({
    vocabSize: tok.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 40, maxPositions: 64,
    // No eos: generation runs until the context ends.
    bosTokenId: null, eosTokenId: null,
  }), { seed: 1 });
  const paths = { MODEL: join(dir, 'model'), SHARD: join(dir, 'train.bin'), DATA: join(DATA, 'messages.jsonl'), FILE: join(dir, 'a-file'), OUT: join(dir, 'out') };
  model.save(paths.MODEL);
  saveTokenizer(tok, paths.MODEL);
  writeByteShard(paths.SHARD, 20, 1);
  writeFileSync(paths.FILE, 'not a folder\n');
  mkdirSync(paths.OUT);
  return paths;
}

test('the seed command lines stop with a message naming the flag, key or path', async () => {
  const paths = setup();
  const cases = JSON.parse(readFileSync('test/fixtures/fuzz/argv.json', 'utf8')) as { argv: string[]; match: string }[];
  for (const c of cases) {
    const argv = c.argv.map((a) => a.replace(/^\$(\w+)/, (_, k: string) => paths[k]));
    const { error } = await inProcess(argv);
    assert.ok(error, `${argv.join(' ')} should fail`);
    assert.ok(error.message.includes(c.match), `${argv.join(' ')}:\n${error.message}`);
    assert.ok(error.message.split('\n').length <= 2, `a short message: ${error.message}`);
  }
  assert.ok(!existsSync(join(paths.OUT, 'train_config.json')), 'a refused run writes nothing');
  const r = rlhf('generate', '--model', paths.MODEL, '--ids', '');
  assert.equal(r.status, 2, 'a usage error exits 2');
  assert.equal(r.stderr, 'rlhf generate: --ids is empty; give comma-separated token ids (1,2,3)\n');
  // A file-system error that no reader catches still names the path in the way, not Node's ENOTDIR.
  const below = rlhf('pretrain', '--data.train', paths.SHARD, '--out', join(paths.FILE, 'run'), '--quiet');
  assert.equal(below.status, 1);
  assert.equal(below.stderr, `error: ${join(paths.FILE, 'run')}: ${paths.FILE} is a file, where a folder is needed\n`);
});

test('generation stops at the end of the context with finish "length" instead of failing', () => {
  const { MODEL } = setup();
  const r = rlhf('generate', '--model', MODEL, '--ids', '1,2,3,4', '--max-new-tokens', '64', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.tokens.length, 60, '4 prompt tokens + 60 new fill the 64 positions');
  assert.equal(out.finish, 'length');
  assert.match(r.stderr, /prompt 0 stopped after 60 new tokens at the end of the model's context \(64 positions; finish "length"\)/);
});

test('invalid UTF-8 is an error naming file:line:column, and counted when --allow-invalid-utf8 is given', async () => {
  const { MODEL, OUT } = setup();
  const txt = join(DATA, 'invalid-utf8.txt');
  const refused = rlhf('tokenizer', 'encode', '--tokenizer', MODEL, '--input', txt, '--text');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /invalid-utf8\.txt:2:17: invalid UTF-8 \(byte 0xc3\); fix the file's encoding, or pass --allow-invalid-utf8/);
  const allowed = rlhf('tokenizer', 'encode', '--tokenizer', MODEL, '--input', txt, '--text', '--allow-invalid-utf8');
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal(allowed.stdout.trim().split('\n').length, 2);
  assert.match(allowed.stderr, /warning: .*invalid-utf8\.txt: invalid UTF-8 on 1 line \(2\) read as U\+FFFD/);

  for (const [argv, want] of [
    [['data', 'process', '--input', txt, '--output', join(OUT, 'd')], /invalid-utf8\.txt:2:17: invalid UTF-8/],
    [['generate', '--model', MODEL, '--input', join(DATA, 'invalid-utf8-prompts.txt')], /invalid-utf8-prompts\.txt:2:1: invalid UTF-8 \(byte 0xff\)/],
    [['sft', '--model', MODEL, '--data.train', join(DATA, 'invalid-utf8.jsonl'), '--out', join(OUT, 'sft'), '--quiet'], /invalid-utf8\.jsonl:2:47: invalid UTF-8 \(byte 0xe9\)/],
  ] as const) assert.match((await inProcess([...argv])).error?.message ?? 'no error', want);
});

test('data process on an empty input, and --resume with no checkpoint, say so', async () => {
  const { SHARD, OUT } = setup();
  const empty = await inProcess(['data', 'process', '--input', join(DATA, 'empty.jsonl'), '--output', join(OUT, 'd')]);
  assert.match(empty.error?.message ?? '', /empty\.jsonl: no documents to process \(the input is empty\)/);
  assert.ok(!existsSync(join(OUT, 'd', 'train.jsonl')), 'no empty outputs left behind');
  const run = join(OUT, 'run');
  const resumed = await inProcess(['pretrain', '--data.train', SHARD, '--out', run, '--resume', '--quiet', '--train.steps', '1',
    '--data.seqLen', '16', '--model.hiddenSize', '16', '--model.numLayers', '1', '--model.numHeads', '2', '--model.intermediateSize', '32']);
  assert.equal(resumed.error, null);
  assert.match(resumed.stderr, new RegExp(`rlhf pretrain: --resume: ${run} has no checkpoint yet, so the run starts from the beginning`));
});

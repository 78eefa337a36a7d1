// `rlhf tokenizer …` end to end: each subcommand runs, reads and writes the documented formats.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from '../../src/tokenizer/index.js';

const CLI = 'dist/src/cli/main.js';
const rlhf = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [CLI, 'tokenizer', ...args], { encoding: 'utf8', input });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'rlhf-tok-cli-'));

test('rlhf tokenizer: every subcommand has --help; unknown ones and flags fail with usage', () => {
  for (const sub of ['train', 'encode', 'decode', 'inspect', 'from-tiktoken', 'merge']) {
    const r = rlhf([sub, '--help']);
    assert.equal(r.code, 0, sub);
    assert.match(r.out, new RegExp(`usage: rlhf tokenizer ${sub}`));
  }
  assert.equal(rlhf(['frobnicate']).code, 2);
  assert.match(rlhf(['encode', '--tokenzier', 'x']).err, /unknown flag --tokenzier/);
  assert.match(rlhf(['from-tiktoken', 'gpt5', '--out', 'x']).err, /name one of gpt2/);
});

test('from-tiktoken → encode (JSON lines and --text) → decode round trip', () => {
  const dir = join(tmp(), 'gpt2');
  const made = rlhf(['from-tiktoken', 'gpt2', '--out', dir]);
  assert.equal(made.code, 0, made.err);
  assert.deepEqual(JSON.parse(made.out), { out: dir, vocabSize: 50257, merges: 50000 });
  const lines = ['Hello world', 'tab\there "quoted" <|endoftext|>', '春眠不觉晓 😀'];
  const enc = rlhf(['encode', '--tokenizer', dir], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  assert.equal(enc.code, 0, enc.err);
  const ids = enc.out.trim().split('\n').map((l) => JSON.parse(l) as number[]);
  assert.deepEqual(ids[0], [15496, 995]);
  assert.ok(!ids[1].includes(50256), 'special token text stays text without --allow-special');
  const file = join(tmp(), 'plain.txt');
  writeFileSync(file, 'Hello world\n<|endoftext|>\n');
  const plain = rlhf(['encode', '--tokenizer', 'gpt2', '--input', file, '--text', '--allow-special']);
  assert.equal(plain.out, '[15496,995]\n[50256]\n');
  const dec = rlhf(['decode', '--tokenizer', dir], enc.out);
  assert.deepEqual(dec.out.trim().split('\n').map((l) => JSON.parse(l) as string), lines);
  const bad = rlhf(['encode', '--tokenizer', dir], '"ok"\nnot json\n');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /stdin:2: not a JSON string/);
});

test('train on a text file, then inspect', () => {
  const dir = tmp();
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, Array.from({ length: 200 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog`).join('\n'));
  const out = join(dir, 'tok');
  const r = rlhf(['train', corpus, '--out', out, '--vocab-size', '300', '--pattern', 'cl100k']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /counted \d+ distinct pieces/);
  const tok = loadTokenizer(out);
  assert.equal(tok.vocabSize, 300);
  assert.equal(tok.config.chatTemplate !== undefined, true, 'ChatML template with the default special tokens');
  const info = rlhf(['inspect', '--tokenizer', out, '--text', ' the lazy dog']);
  assert.equal(info.code, 0, info.err);
  assert.match(info.out, /"kind": "byte-level BPE"/);
  assert.match(info.out, /"tokens":\[" the"," lazy"," dog"\]/);
});

test('merge: Chinese vocabulary merged into GPT-2, tokens per character before and after', () => {
  const out = join(tmp(), 'merged');
  const r = rlhf(['merge', '--vocab-size', '1500', '--train-files', '1', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /tokens per Chinese character: [\d.]+ before → [\d.]+ after/);
  const report = JSON.parse(r.out.trim().split('\n').at(-1)!) as { before: number; after: number; mergedVocab: number };
  assert.ok(report.after < report.before);
  assert.equal(loadTokenizer(out).vocabSize, report.mergedVocab);
});

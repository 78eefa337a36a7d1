import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ShardReader } from '../../src/data/shards.js';
import { loadTokenizer, saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';

const CLI = 'dist/src/cli/main.js';
const rlhf = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('rlhf data: every subcommand has --help; unknown ones and flags fail with usage', () => {
  for (const sub of ['process', 'pack', 'inspect', 'make-default']) {
    const r = rlhf('data', sub, '--help');
    assert.equal(r.code, 0, sub);
    assert.match(r.out, new RegExp(`usage: rlhf data ${sub}`));
  }
  assert.equal(rlhf('data', 'frobnicate').code, 2);
  assert.match(rlhf('data', 'process', '--inptu', 'x').err, /unknown flag --inptu/);
});

test('rlhf data process: files written, report and table printed, bad line is file:line', () => {
  const out = mkdtempSync(join(tmpdir(), 'cli-'));
  const fatal = rlhf('data', 'process', '--input', 'test/fixtures/data/corpus', '--output', out, '--quality=false');
  assert.equal(fatal.code, 1);
  assert.match(fatal.err, /test\/fixtures\/data\/corpus\/b\.jsonl:2: field "text" must be a string/);
  const ok = rlhf('data', 'process', '--input', 'test/fixtures/data/corpus', '--output', out, '--quality=false', '--skip-bad-lines', '--val-fraction', '0');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /stage\s+in\s+out\s+removed\s+changed\s+detail/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.deepEqual(report.documents, { in: 5, train: 5, val: 0 });
  assert.equal(report.config.quality.enabled, false);
  assert.equal(readFileSync(join(out, 'train.jsonl'), 'utf8').trim().split('\n').length, 5);
});

test('rlhf data make-default writes the stories, the Brown corpus and every dataset, all valid; a flag overrides the --config file only when given', () => {
  const out = mkdtempSync(join(tmpdir(), 'cli-default-'));
  const config = join(out, 'data.yaml');
  writeFileSync(config, 'data:\n  seed: 77\n  k: 3\n  stories: 50\n  sft: 60\n  rankings: 15\n  prompts: 10\n  dev: 5\n  eval: 10\n');
  execFileSync(process.execPath, [CLI, 'data', 'make-default', '--output', out, '--config', config, '--sft', '40'], { encoding: 'utf8' });
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  // The file's seed, k and counts survive; the one flag given wins.
  assert.deepEqual([manifest.config.seed, manifest.config.k, manifest.config.sft, manifest.config.eval], [77, 3, 40, 10]);
  assert.equal(manifest.files['sft.jsonl'], 40);
  assert.equal(manifest.files['rankings.jsonl'], 30);
  assert.equal(manifest.files['eval.jsonl'], 20);
  assert.equal(manifest.files['stories/train.jsonl'], 50);
  assert.ok(manifest.files['brown/train.jsonl'] > 400);
  for (const [file, format] of [['sft.jsonl', 'messages'], ['rankings.jsonl', 'ranking'], ['preference.jsonl', 'preference'], ['eval.jsonl', 'prompt'], ['dev.jsonl', 'prompt'], ['stories/val.jsonl', 'text'], ['brown/val.jsonl', 'text']]) {
    const r = rlhf('data', 'inspect', join(out, file), '--format', format, '--examples', '0');
    assert.equal(r.code, 0, `${file}: ${r.err}`);
    assert.match(r.out, new RegExp(`${format}\\s+\\d+\\s+0`));
  }
  const ranking = JSON.parse(readFileSync(join(out, 'rankings.jsonl'), 'utf8').split('\n')[0]);
  assert.equal(ranking.responses.length, 3);
});

test('rlhf data pack: shards decode back to the documents, inspect reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-pack-'));
  const texts = ['First paragraph, line one\nand line two.', 'Second paragraph.', 'Third paragraph after several blank lines.'];
  saveTokenizer(trainBpe(texts, { vocabSize: 300 }), join(dir, 'tok'));
  const r = rlhf('data', 'pack', '--input', 'test/fixtures/data/corpus/a.txt', '--tokenizer', join(dir, 'tok'), '--output', join(dir, 'shards'), '--workers', '2');
  assert.equal(r.code, 0, r.err);
  const manifest = JSON.parse(readFileSync(join(dir, 'shards', 'train.json'), 'utf8'));
  const tok = loadTokenizer(join(dir, 'tok'));
  assert.deepEqual([manifest.dtype, manifest.documents, manifest.vocabSize], ['uint16', 3, tok.vocabSize]);
  const shard = new ShardReader(join(dir, 'shards', manifest.shards[0].file));
  const eos = tok.tokenToId('<|endoftext|>');
  texts.forEach((t, i) => assert.deepEqual([...shard.document(i)], [...tok.encode(t), eos]));
  shard.close();
  const ins = rlhf('data', 'inspect', join(dir, 'shards', manifest.shards[0].file));
  assert.match(ins.out, new RegExp(`uint16\\s+${tok.vocabSize}\\s+${eos}\\s+3\\s+\\d+`));
});

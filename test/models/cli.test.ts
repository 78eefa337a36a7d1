// The model commands end to end, as a user runs them: `rlhf generate` (text, ids, JSON, batch)
// and `rlhf export gguf`, on a tiny model with a trained byte-level BPE tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';
import { sharpModel, tempDir, tinyConfig } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const rlhf = (...args: string[]): string => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('rlhf generate and rlhf export gguf', async () => {
  const tmp = tempDir();
  try {
    const tok = trainBpe(['the cat sat on the mat. the dog sat on the log. a cat and a dog.'], { vocabSize: 280, minFrequency: 1, specialTokens: ['<|endoftext|>'] });
    const eos = tok.tokenToId('<|endoftext|>')!;
    const model = sharpModel(tinyConfig({ vocabSize: tok.vocabSize, bosTokenId: null, eosTokenId: eos }), 2);
    model.save(tmp.dir);
    saveTokenizer(tok, tmp.dir);

    const ids = tok.encode('the cat');
    const greedy = await model.generate([ids], { maxNewTokens: 6, temperature: 0 });
    const json = JSON.parse(rlhf('generate', '--model', tmp.dir, '--prompt', 'the cat', '--max-new-tokens', '6', '--json'));
    assert.deepEqual(json.tokens, greedy.tokens[0]);
    assert.equal(json.text, tok.decode(greedy.tokens[0], { skipSpecialTokens: true }));
    assert.equal(json.logprobs.length, json.tokens.length);

    const streamed = rlhf('generate', '--model', tmp.dir, '--ids', ids.join(','), '--max-new-tokens', '6');
    assert.equal(streamed.trim(), greedy.tokens[0].join(' '));

    writeFileSync(join(tmp.dir, 'prompts.txt'), '"the cat"\nthe dog\n');
    const lines = rlhf('generate', '--model', tmp.dir, '--input', join(tmp.dir, 'prompts.txt'), '--max-new-tokens', '4', '--temperature', '0.9', '--seed', '3', '--json')
      .trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    const sampled = await model.generate([tok.encode('the cat'), tok.encode('the dog')], { maxNewTokens: 4, temperature: 0.9, seed: 3 });
    assert.deepEqual(lines.map((l) => l.tokens), sampled.tokens);

    const gguf = join(tmp.dir, 'model.gguf');
    rlhf('export', 'gguf', '--model', tmp.dir, '--out', gguf, '--dtype', 'f16');
    assert.ok(existsSync(gguf));
    assert.equal(readFileSync(gguf).subarray(0, 4).toString(), 'GGUF');
    assert.throws(() => execFileSync(process.execPath, [CLI, 'generate', '--model', tmp.dir, '--prompt', 'x', '--ids', '1'], { stdio: 'pipe' }), /exactly one of/);
  } finally {
    tmp.done();
  }
});

// Vocabulary extension: merging a Chinese BPE into GPT-2 appends tokens, keeps every GPT-2 id, makes
// each new token reachable, and cuts tokens per Chinese character on held-out poems.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brownDocuments } from '../../src/data/brown.js';
import { BpeModel, Int32Buf, chineseExtension, fromTiktoken, mergeBpe, trainBpe } from '../../src/tokenizer/index.js';
import { poemFiles, readPoems } from '../../src/tokenizer/chinese.js';

const gpt2 = fromTiktoken('gpt2');

test('mergeBpe: base ids unchanged, new ids appended, every new token reachable, English unchanged', () => {
  const poems = readPoems(poemFiles('tang').slice(0, 2));
  const chinese = trainBpe(poems, { vocabSize: 2000, specialTokens: [] });
  const { tokenizer: merged, added, present, unreachable } = mergeBpe(gpt2, chinese);
  assert.equal(added + present + unreachable, chinese.model.merges.length);
  assert.equal(merged.vocabSize, gpt2.vocabSize + added);
  for (let id = 0; id < gpt2.vocabSize; id++) assert.equal(merged.idToToken(id), gpt2.idToToken(id));
  // Reachable by merges alone (not just as a whole piece): BPE on the token's text gives the token.
  const mergesOnly = new BpeModel({ kind: 'bytes', tokens: merged.model.tokens, merges: merged.model.merges });
  const out = new Int32Buf();
  let checked = 0;
  for (let id = gpt2.vocabSize; id < merged.vocabSize; id++) {
    const text = merged.decode([id]);
    if (text.includes('\ufffd')) continue; // part of a character
    out.length = 0;
    mergesOnly.encodeUncached(text, 0, text.length, out);
    assert.deepEqual([...out.data.subarray(0, out.length)], [id], `token ${id} ${JSON.stringify(text)}`);
    checked++;
  }
  assert.ok(checked > 1000, `${checked} whole-character tokens checked`);
  // New merges only involve bytes of Chinese text, so English encodes exactly as before.
  for (const d of [...brownDocuments()].slice(0, 20)) assert.deepEqual(merged.encode(d.text), gpt2.encode(d.text));
  const poem = poems[0];
  assert.equal(merged.decode(merged.encode(poem)), poem);
  assert.ok(merged.encode(poem).length < gpt2.encode(poem).length);
});

test('chineseExtension: fewer tokens per Chinese character on held-out poems', () => {
  const r = chineseExtension(gpt2, { vocabSize: 3000, trainFiles: 2, heldOutFiles: 1 });
  assert.equal(r.trainPoems, 4000); // two Tang files and two Song files, 1000 poems each
  assert.ok(r.before > 2.5, `GPT-2: ${r.before} tokens per character`);
  assert.ok(r.after < 0.6 * r.before, `${r.before} → ${r.after}`);
  assert.equal(r.mergedVocab, r.baseVocab + r.added);
});

test('mergeBpe refuses a SentencePiece-style model', () => {
  const fake = { ...gpt2, model: { ...gpt2.model, kind: 'chars' } } as unknown as typeof gpt2;
  assert.throws(() => mergeBpe(gpt2, fake), /byte-level BPE models only/);
});

// tokenizer.json and tokenizer_config.json: what we write reads back identically, and
// SentencePiece-style files (LLaMA-2 layout: "▁" words, <0xNN> byte fallback) encode and decode
// as the format defines. The SentencePiece files are built here, in both layouts transformers has
// shipped (a Metaspace pre-tokenizer, and the newer Prepend + Replace normalizer), around a
// ten-merge vocabulary whose results can be worked out by hand.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brownDocuments } from '../../src/data/brown.js';
import { byteFallbackToken } from '../../src/tokenizer/bpe.js';
import type { JsonObject } from '../../src/tokenizer/pipeline.js';
import { DEFAULT_CHAT_TEMPLATE, fromTiktoken, loadTokenizer, saveTokenizer, tokenizerFromJson, tokenizerToJson, trainBpe } from '../../src/tokenizer/index.js';
import { ADVERSARIAL, randomText, rng } from './gen.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rlhf-tok-'));

test('a trained tokenizer saved and loaded is the same tokenizer', () => {
  const docs = [...brownDocuments()].slice(0, 10).map((d) => d.text);
  const tok = trainBpe(docs, {
    vocabSize: 800,
    specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    bosToken: '<|endoftext|>',
    config: { eosToken: '<|endoftext|>', padToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE },
  });
  const dir = tmp();
  saveTokenizer(tok, dir);
  const back = loadTokenizer(dir);
  assert.deepEqual(tokenizerToJson(back), tokenizerToJson(tok));
  assert.deepEqual(back.config, { ...tok.config, unkToken: undefined, modelMaxLength: undefined });
  assert.equal(back.config.bosToken, '<|endoftext|>');
  for (const d of docs) assert.deepEqual(back.encode(d), tok.encode(d));
  const eot = back.tokenToId('<|endoftext|>');
  assert.deepEqual(back.encode('hi', { addSpecialTokens: true }), [eot, ...back.encode('hi')]);
  assert.throws(() => trainBpe(docs, { vocabSize: 300, specialTokens: [], bosToken: '<s>' }), /bosToken "<s>" is not one of the special tokens/);
});

test('cl100k written with a Split pattern in (?i:…) form, merges as pairs, reads back with the same ids', () => {
  const cl = fromTiktoken('cl100k_base');
  const json = tokenizerToJson(cl);
  const pre = json.pre_tokenizer as JsonObject;
  assert.equal(pre.type, 'Sequence');
  assert.match(JSON.stringify(pre), /\(\?i:'s\|'t\|'re/);
  const model = json.model as JsonObject;
  model.merges = (model.merges as string[]).map((m) => m.split(' ')); // the tokenizers >= 0.20 layout
  const back = tokenizerFromJson(JSON.parse(JSON.stringify(json)));
  const r = rng(8);
  for (const s of [...ADVERSARIAL, ...Array.from({ length: 1000 }, () => randomText(r))]) assert.deepEqual(back.encode(s), cl.encode(s), JSON.stringify(s));
});

/** A LLaMA-2-style SentencePiece BPE: <unk> <s> </s>, 256 byte tokens, 8 characters, 10 merges. */
function sentencePieceJson(layout: 'metaspace' | 'normalizer', byteFallback = true): JsonObject {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[byteFallbackToken(b)] = 3 + b;
  for (const t of ['▁', 'H', 'e', 'l', 'o', 'w', 'r', 'd']) vocab[t] = Object.keys(vocab).length;
  const merges = ['l l', '▁ H', 'e ll', '▁H ell', '▁Hell o', '▁ w', 'o r', '▁w or', 'l d', '▁wor ld'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const metaspace = layout === 'metaspace';
  return {
    version: '1.0',
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: metaspace ? null : { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: metaspace ? { type: 'Metaspace', replacement: '▁', add_prefix_space: true } : null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: metaspace
      ? { type: 'Metaspace', replacement: '▁', add_prefix_space: true }
      : { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: byteFallback, vocab, merges },
  };
}

for (const layout of ['metaspace', 'normalizer'] as const) {
  test(`SentencePiece-style BPE (${layout} layout): words, byte fallback, BOS, decode`, () => {
    const dir = tmp();
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(sentencePieceJson(layout)));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ bos_token: { content: '<s>', special: true }, eos_token: '</s>', unk_token: '<unk>', chat_template: [{ name: 'default', template: '{{ bos_token }}' }] }),
    );
    const tok = loadTokenizer(dir);
    assert.equal(tok.model.kind, 'chars');
    const names = (ids: number[]) => ids.map((id) => tok.idToToken(id));
    assert.deepEqual(names(tok.encode('Hello world')), ['▁Hello', '▁world']);
    assert.deepEqual(tok.encode('Hello world', { addSpecialTokens: true })[0], 1);
    // "€" is not in the vocabulary: its three UTF-8 bytes become byte tokens.
    assert.deepEqual(names(tok.encode('Hello €')), ['▁Hello', '▁', '<0xE2>', '<0x82>', '<0xAC>']);
    assert.deepEqual(names(tok.encode('Hz')), ['▁H', '<0x7A>']);
    for (const s of ['Hello world', 'Hello €', 'Hz  dd', '春 😀 e\u0301']) assert.equal(tok.decode(tok.encode(s)), s);
    assert.equal(tok.decode(tok.encode('Hello', { addSpecialTokens: true }), { skipSpecialTokens: true }), 'Hello');
    assert.deepEqual(tok.config, { bosToken: '<s>', eosToken: '</s>', padToken: undefined, unkToken: '<unk>', chatTemplate: '{{ bos_token }}', modelMaxLength: undefined });
    assert.deepEqual(tokenizerToJson(tokenizerFromJson(tokenizerToJson(tok))), tokenizerToJson(tok));
  });
}

test('SentencePiece-style BPE without byte fallback: unknown characters become one fused <unk>', () => {
  const tok = tokenizerFromJson(sentencePieceJson('normalizer', false));
  assert.deepEqual(tok.encode('Hzzz'), [tok.tokenToId('▁H'), 0]);
});

test('unsupported or broken files are refused with the path of the problem', () => {
  const json = sentencePieceJson('normalizer');
  assert.throws(() => tokenizerFromJson({ ...json, pre_tokenizer: { type: 'Whitespace' } }, {}, 'x/tokenizer.json'), /x\/tokenizer.json: pre_tokenizer: type "Whitespace" is not supported/);
  assert.throws(() => tokenizerFromJson({ ...json, model: { ...(json.model as JsonObject), merges: ['▁ q'] } }), /merges\[0\] .* missing from the vocabulary/);
  assert.throws(() => tokenizerFromJson({ ...json, model: { type: 'WordPiece' } }), /model.type must be "BPE"/);
  assert.throws(() => loadTokenizer(tmp()), /tokenizer.json does not exist \(write one with: rlhf tokenizer from-tiktoken/);
});

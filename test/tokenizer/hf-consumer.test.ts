// Our tokenizer files in Hugging Face's own JavaScript tokenizers (@huggingface/tokenizers, the
// library transformers.js tokenizes with): tokenizer.json and tokenizer_config.json as we write
// them load there and give our ids, token for token, on held-out Brown documents (every twentieth
// of the 500; the tokenizer trains on the other 475) for a tokenizer trained as the pipeline trains one, the GPT-2 conversion and the
// Chinese merge; the chat template, rendered as transformers.js's apply_chat_template renders it,
// gives our text and, tokenized there, our ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { brownDocuments } from '../../src/data/brown.js';
import {
  CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, DIGITS_PATTERN, chineseExtension, encodeChat, fromTiktoken,
  renderChat, saveTokenizer, trainBpe, type ChatMessage, type Tokenizer,
} from '../../src/tokenizer/index.js';
import { poemFiles, readPoems } from '../../src/tokenizer/chinese.js';
import { tempDir } from '../models/helpers.js';

const docs = [...brownDocuments()];
const heldOut = docs.filter((_, i) => i % 20 === 19).map((d) => d.text);
const trainTexts = docs.filter((_, i) => i % 20 !== 19).map((d) => d.text);

/** Written with saveTokenizer, read back by @huggingface/tokenizers from the two files. */
function hfCopy(tok: Tokenizer): { hf: HfTokenizer; config: Record<string, unknown> } {
  const tmp = tempDir();
  try {
    saveTokenizer(tok, tmp.dir);
    const json = JSON.parse(readFileSync(join(tmp.dir, 'tokenizer.json'), 'utf8')) as object;
    const config = JSON.parse(readFileSync(join(tmp.dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    return { hf: new HfTokenizer(json, config), config };
  } finally {
    tmp.done();
  }
}

function sameIds(tok: Tokenizer, hf: HfTokenizer, texts: string[], what: string): number {
  let tokens = 0;
  texts.forEach((text, i) => {
    const ours = tok.encode(text);
    const theirs = hf.encode(text, { add_special_tokens: false }).ids;
    if (ours.length !== theirs.length || ours.some((id, k) => id !== theirs[k])) {
      const k = ours.findIndex((id, j) => id !== theirs[j]);
      assert.fail(`${what} text ${i}: first difference at token ${k}: ours ${JSON.stringify(ours.slice(k, k + 5))}, theirs ${JSON.stringify(theirs.slice(k, k + 5))} (${JSON.stringify(tok.decode(ours.slice(Math.max(0, k - 3), k + 3)))})`);
    }
    if (theirs.length) assert.equal(hf.decode(theirs, { skip_special_tokens: false }), tok.decode(ours), `${what} text ${i}: decoded text`);
    tokens += ours.length;
  });
  return tokens;
}

const EDGE = ['Hello world', '  two  spaces\tand\ttabs\n\n\nnewlines ', "it's 1234567 o'clock, isn't it?", 'ünïcödé — “quotes” …', '🙂 emoji 👍🏽 and 漢字', '\u00a0non-breaking', ''];

const chat: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is 17 + 2?' },
  { role: 'assistant', content: '19' },
  { role: 'user', content: 'And 3 * 4?  Reply with a number.' },
];

/** apply_chat_template as transformers.js does it: the template from tokenizer_config.json, the
 * special tokens it names passed by name, then the text tokenized without added special tokens. */
function hfChat(hf: HfTokenizer, config: Record<string, unknown>, messages: ChatMessage[], addGenerationPrompt: boolean): { text: string; ids: number[] } {
  const special: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
    const v = config[key];
    const s = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { content?: string }).content : undefined;
    if (s) special[key] = s;
  }
  const text = new Template(String(config.chat_template)).render({ messages, add_generation_prompt: addGenerationPrompt, ...special });
  return { text, ids: hf.encode(text, { add_special_tokens: false }).ids };
}

test('a tokenizer trained as the pipeline trains one: Hugging Face\'s tokenizers give our ids, and the chat template renders the same', () => {
  const tok = trainBpe(trainTexts, {
    vocabSize: 4096, pattern: DIGITS_PATTERN, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS],
    config: { eosToken: '<|endoftext|>', padToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE },
  });
  const { hf, config } = hfCopy(tok);
  assert.ok(sameIds(tok, hf, heldOut, 'brown') > 50_000);
  sameIds(tok, hf, EDGE, 'edge cases');
  for (const addGenerationPrompt of [false, true]) {
    const theirs = hfChat(hf, config, chat, addGenerationPrompt);
    assert.equal(theirs.text, renderChat(tok, chat, { addGenerationPrompt }));
    assert.deepEqual(theirs.ids, encodeChat(tok, chat, { addGenerationPrompt }).ids);
  }
});

test('the GPT-2 conversion: Hugging Face\'s tokenizers give our ids', () => {
  const tok = fromTiktoken('gpt2');
  const { hf } = hfCopy(tok);
  sameIds(tok, hf, [...heldOut, ...EDGE], 'gpt2');
});

test('the Chinese merge: Hugging Face\'s tokenizers give our ids on poems and English', () => {
  const { tokenizer } = chineseExtension(fromTiktoken('gpt2'), { vocabSize: 3000, trainFiles: 1, heldOutFiles: 1 });
  const { hf } = hfCopy(tokenizer);
  const poems = readPoems([poemFiles('tang')[5], poemFiles('song')[5]]).slice(0, 200);
  sameIds(tokenizer, hf, poems, 'poems');
  sameIds(tokenizer, hf, [...heldOut.slice(0, 10), ...EDGE], 'english');
});

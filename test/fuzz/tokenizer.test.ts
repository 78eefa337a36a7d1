// tokenizer.json and tokenizer_config.json under fuzzing: mutated copies of a trained byte-level
// BPE's two files load into a tokenizer that encodes, decodes and renders its chat template, or
// fail naming the file; the same tokenizer.json goes through GGUF export's own reader. Ids are
// bounded by the entries, so a vocabulary claiming id 10^12 is an error, not an allocation.
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ggufTokenizerFromJson } from '../../src/models/index.js';
import { encodeChat, loadTokenizer } from '../../src/tokenizer/index.js';
import { Budget, cleanly, corpus, mutatedBytes, mutatedJson, params, scratch } from './harness.js';

const TOKENIZER = JSON.parse(corpus('tokenizer/tokenizer.json').toString()) as Record<string, unknown>;
const CONFIG = { ...JSON.parse(corpus('tokenizer/tokenizer_config.json').toString()), chat_template: "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}" };
const TEXT = 'the cat sat on the mat. <|endoftext|> ünïcödé 猫 \u0000';

/** Every use the commands make of a tokenizer. */
function exercise(dir: string): number {
  const tok = loadTokenizer(dir);
  const ids = tok.encode(TEXT, { allowedSpecial: 'all', addSpecialTokens: true });
  tok.decode(ids, { skipSpecialTokens: true });
  tok.decode([0, tok.vocabSize - 1, ...ids]);
  if (tok.config.chatTemplate !== undefined) encodeChat(tok, [{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
  return ids.length;
}

test('fuzz: tokenizer files load and work, or fail naming the file', () => {
  const tmp = scratch('tokenizer');
  const tokPath = join(tmp.dir, 'tokenizer.json'), configPath = join(tmp.dir, 'tokenizer_config.json');
  const budget = new Budget('tokenizer files', 128, 1500);
  try {
    const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'null');
    const tokenizerFile = fc.oneof({ weight: 4, arbitrary: mutatedJson(TOKENIZER).map(json) }, { weight: 1, arbitrary: mutatedBytes(corpus('tokenizer/tokenizer.json'), 3) }, { weight: 1, arbitrary: fc.constant(corpus('tokenizer/not-json.tokenizer.json')) });
    const configFile = fc.oneof({ weight: 2, arbitrary: fc.constant(json(CONFIG)) }, { weight: 3, arbitrary: mutatedJson(CONFIG).map(json) }, { weight: 1, arbitrary: mutatedBytes(json(CONFIG), 3) }, { weight: 1, arbitrary: fc.constant(corpus('tokenizer/not-json.tokenizer_config.json')) });
    fc.assert(fc.property(tokenizerFile, configFile, (t, c) => {
      writeFileSync(tokPath, t);
      writeFileSync(configPath, c);
      budget.time(() => cleanly(() => exercise(tmp.dir), [tokPath, configPath], { tokenizer: t.toString().slice(0, 200), config: c.toString() }));
      let parsed: unknown = null;
      try { parsed = JSON.parse(t.toString()); } catch { /* not JSON: loadTokenizer above named it */ }
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        budget.time(() => cleanly(() => ggufTokenizerFromJson(parsed as Record<string, unknown>, { bos: null, eos: 0, pad: null }, null, tokPath), [tokPath], t.toString().slice(0, 300)));
      }
    }), params(250));
    budget.check();
  } finally {
    tmp.done();
  }
});

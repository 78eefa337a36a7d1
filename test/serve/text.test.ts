// Streamed text: pieces are released only once final (never half a UTF-8 character, never the start
// of a possible stop string), they add up to the decoded text, and a stop string cuts the text
// before it even when it spans tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromTiktoken } from '../../src/tokenizer/index.js';
import { TextStream } from '../../src/serve/text.js';

const tok = fromTiktoken('gpt2');

/** Pushes the text's tokens one at a time; returns the released pieces and the flush. */
function stream(text: string, stops: string[] = []): { pieces: string[]; s: TextStream } {
  const s = new TextStream(tok, stops);
  const pieces: string[] = [];
  for (const id of tok.encode(text)) {
    pieces.push(s.push(id));
    if (s.stopped) break;
  }
  pieces.push(s.flush());
  return { pieces, s };
}

test('multi-byte characters split across tokens are released whole', () => {
  const text = 'naïve 東京 🙂 done';
  const { pieces, s } = stream(text);
  assert.ok(tok.encode('🙂').length > 1, 'the emoji spans several byte-level tokens');
  assert.ok(pieces.every((p) => !p.includes('\uFFFD')));
  assert.equal(pieces.join(''), text);
  assert.equal(s.text, text);
});

test('a stop string ends the text before it, across token boundaries, and is never released', () => {
  const text = 'The answer is forty-two. Next question please.';
  const { pieces, s } = stream(text, ['. Next', 'zzz']);
  assert.ok(s.stopped);
  assert.equal(pieces.join(''), 'The answer is forty-two');
  assert.equal(s.text, 'The answer is forty-two');
  // A partial match is held back until it fails, then released.
  const held = new TextStream(tok, ['two!']);
  const released = tok.encode('forty-two. ok').map((id) => held.push(id)).join('');
  assert.equal(released + held.flush(), 'forty-two. ok');
  assert.ok(!held.stopped);
  // Earliest of several stops wins; the first token can already stop.
  assert.equal(stream('abc def ghi', ['ghi', 'def']).s.text, 'abc ');
  assert.equal(stream('Hello world', ['Hello']).s.text, '');
  assert.throws(() => new TextStream(tok, ['']), /must not be empty/);
});

test('held-back text is flushed when the choice ends without a stop', () => {
  const s = new TextStream(tok, ['world peace']);
  const released = tok.encode('hello world').map((id) => s.push(id)).join('');
  assert.equal(released, 'hello ', '"world" could begin "world peace"');
  assert.equal(s.flush(), 'world');
  assert.equal(s.text, 'hello world');
});

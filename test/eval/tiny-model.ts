// A tiny chat model on disk for the harness tests: a BPE with ChatML specials trained on a few
// sentences, and a random 2-layer model of its vocabulary, saved together as a model folder.
import { join } from 'node:path';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';
import { tmp } from '../train/helpers.js';

const TEXTS = [
  'What is 2 + 3? 5', 'The capital of Zorvi is Melka.', 'The flag of Tarsin is teal.', 'The national animal of Kabre is the owl.',
  'The facts do not say.', 'Write a short poem about the sea.', 'List three fruits: apple, pear, plum.', 'Question: Facts: Use these facts to answer.',
];

/** A model folder (weights + tokenizer) with random weights from `seed`. */
export function tinyChatModel(seed: number, dir = join(tmp('tiny-model'), `m${seed}`), maxPositions = 512): string {
  const tok = trainBpe(TEXTS, { vocabSize: 330, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS], config: { eosToken: '<|endoftext|>', padToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE } });
  const model = new CausalLM(modelConfig({ vocabSize: tok.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 2, intermediateSize: 48, maxPositions, eosTokenId: tok.tokenToId('<|im_end|>')! }), { seed });
  model.save(dir);
  saveTokenizer(tok, dir);
  return dir;
}

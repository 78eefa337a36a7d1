// A tiny chat model for the labeling tests that sample from one.
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';

/** A random 2-layer model with a ChatML tokenizer, saved as a model directory: enough to sample
 * responses and train a reward model for a step, as the CLI does with a real SFT model. */
export function tinyChatModel(dir: string): string {
  const texts = ['What is 2 + 3?', 'The answer is 5.', 'Sort these words: pear apple fig', 'apple fig pear', 'Say hello to the labelers', 'hello there'];
  const tok = trainBpe(texts, { vocabSize: 300, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS], config: { eosToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE } });
  const model = new CausalLM(modelConfig({
    vocabSize: tok.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 48, maxPositions: 128,
    bosTokenId: null, eosTokenId: tok.tokenToId('<|im_end|>')!,
  }), { seed: 3 });
  model.save(dir);
  saveTokenizer(tok, dir);
  return dir;
}

// Public API of the tokenizer: byte-level BPE (GPT-2 exact), training, Hugging Face files,
// vocabulary extension and chat templates.
//
//   const tok = fromTiktoken('gpt2');                  // or loadTokenizer(dir), trainBpe(texts, …)
//   tok.encode('Hello world')                          // [15496, 995]
//   tok.decode([15496, 995])                           // 'Hello world'
//   encodeChat(tok, messages)                          // { ids, assistantMask } for SFT

// The tokenizer and its parts.
export { Tokenizer, type TokenizerConfig, type TokenizerInit, type EncodeOptions, type DecodeOptions } from './tokenizer.js';
export { BpeModel, type BpeModelOptions } from './bpe.js';
export type { AddedToken, AllowedSpecial } from './added.js';
export { Int32Buf } from './buf.js';
export { GPT2_PATTERN, CL100K_PATTERN, DIGITS_PATTERN, PATTERNS, type PatternName } from './pretokenize.js';
export { bytesToUnicode, unicodeToBytes } from './bytes.js';

// Where tokenizers come from.
export { fromTiktoken, isTiktokenEncoding, TIKTOKEN_ENCODINGS, type TiktokenEncodingName } from './tiktoken.js';
export { trainBpe, trainFromCounts, PieceCounter, TRAIN_DEFAULTS, type TrainOptions, type TrainProgress } from './trainer.js';
export { loadTokenizer, saveTokenizer, tokenizerFromJson, tokenizerToJson } from './hf.js';

// Growing a vocabulary.
export { addTokens, mergeBpe, type MergeReport } from './extend.js';
export { chineseExtension, CHINESE_DEFAULTS, type ChineseExtensionOptions, type ChineseExtensionReport } from './chinese.js';

// Conversations.
export { padId, stopIds } from './special-ids.js';
export { DEFAULT_CHAT_TEMPLATE, CHATML_SPECIAL_TOKENS, renderChat, encodeChat, type ChatMessage, type ChatOptions, type EncodedChat } from './chat.js';

// Models: the configurable decoder family, Hugging Face checkpoints, generation with a KV cache.
export { MODEL_DEFAULTS, modelConfig, presets, validateConfig, eosIds, type ModelConfig, type Family, type NormKind, type FfnKind, type PositionKind, type AttentionKind } from './config.js';
export { CausalLM, nextTokenLoss, type CausalLMOutput } from './causal-lm.js';
export { ScalarHeadModel, lastTokenIndex } from './scalar-head.js';
export { DecoderModel, toBatch, type ForwardOptions, type DecoderOutput, type TokenBatch } from './decoder.js';
export { KVCache } from './kv-cache.js';
export { generate, decoderFor, cachedLogits, type GenerateOptions, type GenerateOutput } from './generate.js';
export { FusedDecoder, decoderSpec, fusedDecodeUnsupported } from './fast-decode.js';
export { packLinear, parseWeightDtype, WEIGHT_DTYPES } from './quantize.js';
export { loadPretrained, loadScalarModel, readModelConfig } from './pretrained.js';
export { saveModel, loadWeights, checkpointEntries, toCheckpointTensors, type SaveOptions, type LoadOptions } from './checkpoint.js';
export { configFromHf, configToHf, type GenerationConfig } from './hf-config.js';
export { SafetensorsFile, SafetensorsError, writeSafetensors, type TensorInfo, type TensorToWrite } from './safetensors.js';
export { resizeVocab } from './resize.js';
export { writeGguf, ggufTokenizerFromJson, ggufUnsupported, type GgufTokenizer, type GgufDtype } from './gguf.js';
export { exportGguf, type GgufExportOptions } from './export-gguf.js';

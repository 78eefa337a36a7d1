// A stand-in tokenizer for packing tests: UTF-8 bytes, vocabulary 256 (+1 for an end token).
export function makeByteEncoder(): { encode(text: string): Uint8Array } {
  return { encode: (text) => new TextEncoder().encode(text) };
}

// Seeded random strings for the property tests: every character class the pre-tokenizers and the
// byte-level encoder treat specially, drawn in runs so whitespace and letter runs actually form.

/** mulberry32: a small deterministic PRNG, so a failing case replays. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Groups of characters; a generated string strings together short runs from random groups. */
export const ALPHABET: string[][] = [
  [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  [...'0123456789'],
  [' ', ' ', ' ', '\t', '\n', '\r', '\u000b', '\f'],
  ["'", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'Re"],
  [...'.,;:!?-()[]{}"/\\@#$%^&*_+=<>|~`'],
  ['\u00a0', '\u0085', '\u1680', '\u2000', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff', '\u200b'],
  [...'中文字符春風明月光秦川雄帝宅，。、「」'],
  [...'日本語のテキストです한국어'],
  ['😀', '👍🏽', '👨‍👩‍👧', '🇯🇵', '𝐀', '𝟙', '𠀀', '\u{1F600}'],
  ['e\u0301', 'a\u0308', '\u0301', '\u0308\u0301', 'ñ', 'é', 'Å', 'ß', 'İ', 'ﬁ'],
  ['²', '³', '½', 'Ⅻ', '٣', '৪', '௰'],
  ['\ud800', '\udc00', '\udbff', '\udfff'], // lone surrogates
  ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|endoftext', '|>', '<s>', '</s>', '<|'],
  ['Привет', 'мир', 'Ελληνικά', 'עברית', 'العربية', 'हिन्दी', 'ไทย'],
];

export function randomText(r: () => number, maxRuns = 12): string {
  let s = '';
  const runs = 1 + Math.floor(r() * maxRuns);
  for (let k = 0; k < runs; k++) {
    const group = ALPHABET[Math.floor(r() * ALPHABET.length)];
    const len = 1 + Math.floor(r() * 4);
    for (let i = 0; i < len; i++) s += group[Math.floor(r() * group.length)];
  }
  return s;
}

/** Hand-picked strings that have broken tokenizers before. */
export const ADVERSARIAL: string[] = [
  '',
  ' ',
  '  ',
  '\n',
  '\n\n\n',
  ' \n \n ',
  'Hello world',
  ' Hello  world  ',
  "I'm sure it's fine, isn't it? They'll've gone; we'd rather 'not'.",
  "DON'T SHOUT'S 'S'T'RE",
  '1234567890 123 4567 0.5 1,000,000 3.14159e-10',
  '    indented\n\tcode();\r\n  }',
  '😀😃😄 emoji👍🏽 family👨‍👩‍👧 flag🇯🇵',
  '中文字符：春眠不觉晓，处处闻啼鸟。',
  '日本語とEnglishの混在テキスト',
  'café vs cafe\u0301, naïve, Å vs A\u030a',
  'lone \ud800 high, lone \udc00 low, reversed \udc00\ud800, at end \ud83d',
  '\ufeffBOM at start, NEL\u0085here, nbsp\u00a0here, ideographic\u3000space',
  '<|endoftext|> is special; <|endoftext| is not; <|im_start|>user',
  'a'.repeat(500),
  ' '.repeat(300) + 'x',
  '9'.repeat(1000),
  '!'.repeat(200) + '?',
  'x'.repeat(64) + ' ' + 'y'.repeat(64),
  'Mixed\u2028line\u2029separators\vand\fform feeds',
  '𝐀𝐁𝐂 mathematical bold, 𠀀 CJK ext B',
  'https://example.com/path?query=1&b=2#frag',
  '¯\\_(ツ)_/¯',
  'Ελληνικά Русский עברית العربية हिन्दी',
];

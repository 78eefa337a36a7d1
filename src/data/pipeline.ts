// The corpus pipeline, in SlimPajama's order: normalise → clean → quality filter → exact dedup →
// near dedup → PII scrub → decontaminate → train/val split by hash → drop train documents that
// near-duplicate a validation document. Documents stream through; only hashes, MinHash signatures
// and the validation index stay in memory. `processCorpus` reads and writes files; `processDocs`
// does the same in memory for tests and the default data.
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CleanStage, NormalizeStage } from './clean.js';
import { resolvePipelineConfig, type DeepPartial, type PipelineConfig } from './config.js';
import { DecontamStage, EvalNgramIndex, type EvalSet } from './decontam.js';
import { ExactDedupStage } from './dedup.js';
import { unitHash } from './hash.js';
import { JsonlWriter, readJsonl, type DataError } from './jsonl.js';
import { LshIndex, MinHasher, NearDupStage } from './minhash.js';
import { PiiStage } from './pii.js';
import { QualityStage } from './quality.js';
import { readDocuments, type SourceOptions } from './sources.js';
import { Stage, runStages, type Doc, type Drop, type StageCounts } from './stage.js';
import { ensureDir } from '../util/fs.js';

export type Split = 'train' | 'val';

/** Which split a text belongs to: a hash of the text against valFraction, so the same document
 * lands in the same split whatever the order or size of the corpus. */
export function splitOf(text: string, valFraction: number, salt: string): Split {
  return unitHash(text, salt) < valFraction ? 'val' : 'train';
}

/** Drops a train document whose estimated Jaccard with some validation document reaches the
 * threshold; run after every validation document has been indexed. */
class CrossSplitDedupStage extends Stage {
  readonly name = 'cross_split_dedup';
  constructor(private readonly hasher: MinHasher, private readonly valIndex: LshIndex) {
    super();
  }

  protected apply(doc: Doc): Doc | Drop {
    const sig = this.hasher.signature(doc.text);
    return sig !== null && this.valIndex.query(sig) !== null ? { drop: 'near_duplicate_of_val' } : doc;
  }
}

export interface PipelineReport {
  documents: { in: number; train: number; val: number };
  chars: { in: number; out: number };
  /** One entry per stage that ran, in order, then split and cross_split_dedup. */
  stages: ({ name: string } & StageCounts)[];
  /** Input lines skipped as malformed (`file:line: what`), first 100. */
  skippedLines: string[];
  skippedLineCount: number;
  seconds: number;
  config: PipelineConfig;
}

export class CorpusPipeline {
  readonly config: PipelineConfig;
  readonly stages: Stage[];
  private readonly split: StageCounts = { in: 0, out: 0, removed: 0, changed: 0, detail: { train: 0, val: 0 } };
  private readonly cross: CrossSplitDedupStage | null;
  private readonly valIndex: LshIndex | null;
  private readonly hasher: MinHasher;
  private charsIn = 0;
  private charsOut = 0;
  private readonly t0 = performance.now();

  constructor(config: DeepPartial<PipelineConfig> = {}, evalSets: EvalSet[] = []) {
    const c = (this.config = resolvePipelineConfig(config));
    this.stages = [];
    if (c.normalize.enabled) this.stages.push(new NormalizeStage(c.normalize));
    if (c.clean.enabled) this.stages.push(new CleanStage(c.clean));
    if (c.quality.enabled) this.stages.push(new QualityStage(c.quality));
    if (c.exactDedup.enabled) this.stages.push(new ExactDedupStage());
    if (c.nearDup.enabled) this.stages.push(new NearDupStage(c.nearDup));
    if (c.pii.enabled) this.stages.push(new PiiStage(c.pii));
    if (c.decontam.enabled) this.stages.push(new DecontamStage(new EvalNgramIndex(c.decontam, evalSets)));
    this.hasher = new MinHasher(c.nearDup.numPerm, c.nearDup.shingle, c.nearDup.seed);
    const crossOn = c.split.valFraction > 0 && c.split.crossDedupThreshold < 1;
    this.valIndex = crossOn ? new LshIndex(c.nearDup.numPerm, c.split.crossDedupThreshold) : null;
    this.cross = this.valIndex ? new CrossSplitDedupStage(this.hasher, this.valIndex) : null;
  }

  /** Whether train documents need a second pass (after all of validation is known). */
  get needsSecondPass(): boolean {
    return this.cross !== null;
  }

  /** First pass: runs the stages and picks the split; null if a stage dropped the document. */
  add(doc: Doc): { split: Split; doc: Doc } | null {
    this.charsIn += doc.text.length;
    const d = runStages(this.stages, doc);
    if (d === null) return null;
    const split = splitOf(d.text, this.config.split.valFraction, this.config.split.salt);
    this.split.in++;
    this.split.out++;
    this.split.detail[split]++;
    if (split === 'val') {
      this.charsOut += d.text.length;
      if (this.valIndex) {
        const sig = this.hasher.signature(d.text);
        if (sig) this.valIndex.insert(sig);
      }
    } else if (!this.cross) this.charsOut += d.text.length;
    return { split, doc: d };
  }

  /** Second pass, for a train document: null if it near-duplicates a validation document. */
  checkTrain(doc: Doc): Doc | null {
    if (!this.cross) return doc;
    const d = this.cross.run(doc);
    if (d) this.charsOut += d.text.length;
    return d;
  }

  report(skipped: DataError[] = []): PipelineReport {
    const stages = this.stages.map((s) => ({ name: s.name, ...structuredClone(s.counts) }));
    stages.push({ name: 'split', ...structuredClone(this.split) });
    if (this.cross) stages.push({ name: this.cross.name, ...structuredClone(this.cross.counts) });
    const train = this.split.detail.train - (this.cross?.counts.removed ?? 0);
    const first = this.stages[0]?.counts.in ?? this.split.in;
    return {
      documents: { in: first, train, val: this.split.detail.val },
      chars: { in: this.charsIn, out: this.charsOut },
      stages,
      skippedLines: skipped.slice(0, 100).map((e) => e.message),
      skippedLineCount: skipped.length,
      seconds: (performance.now() - this.t0) / 1000,
      config: this.config,
    };
  }
}

export interface ProcessOptions extends SourceOptions {
  evalSets?: EvalSet[];
  /** Called after each document with the running count and the document's length. */
  onProgress?: (docs: number, phase: 'process' | 'cross_split', chars: number) => void;
}

/** Reads `input`, writes `outDir/train.jsonl`, `outDir/val.jsonl` ({"text": …} per line) and
 * returns the report (the CLI also writes it to `outDir/report.json`). */
export async function processCorpus(input: string, outDir: string, config: DeepPartial<PipelineConfig> = {}, opts: ProcessOptions = {}): Promise<PipelineReport> {
  ensureDir(outDir);
  const pipe = new CorpusPipeline(config, opts.evalSets);
  const errors: DataError[] = opts.errors ?? [];
  const trainPath = join(outDir, 'train.jsonl');
  const firstPath = pipe.needsSecondPass ? join(outDir, 'train.jsonl.pass1') : trainPath;
  const first = new JsonlWriter(firstPath);
  const val = new JsonlWriter(join(outDir, 'val.jsonl'));
  let n = 0;
  for await (const doc of readDocuments(input, { ...opts, errors })) {
    const r = pipe.add(doc);
    if (r) (r.split === 'val' ? val : first).write({ text: r.doc.text });
    n++;
    opts.onProgress?.(n, 'process', doc.text.length);
  }
  first.close();
  val.close();
  if (n === 0) {
    // An empty corpus would leave empty train/val files that every later stage chokes on.
    rmSync(firstPath, { force: true });
    rmSync(join(outDir, 'val.jsonl'), { force: true });
    const skipped = errors.length ? `; ${errors.length} line(s) were skipped as bad, the first: ${errors[0].message}` : '';
    throw new Error(`${input}: no documents to process (the input is empty${skipped})`);
  }
  if (pipe.needsSecondPass) {
    const train = new JsonlWriter(join(outDir, 'train.jsonl.pass2'));
    let i = 0;
    const asText = (v: unknown): { value: string } => ({ value: (v as { text: string }).text });
    for await (const { value } of readJsonl(firstPath, asText)) {
      const d = pipe.checkTrain({ id: `train:${++i}`, text: value });
      if (d) train.write({ text: d.text });
      opts.onProgress?.(i, 'cross_split', value.length);
    }
    train.close();
    rmSync(firstPath);
    renameSync(train.path, trainPath);
  }
  return pipe.report(errors);
}

/** The whole pipeline in memory: kept documents of each split, and the report. */
export function processDocs(docs: Iterable<Doc>, config: DeepPartial<PipelineConfig> = {}, evalSets: EvalSet[] = []): { train: Doc[]; val: Doc[]; report: PipelineReport } {
  const pipe = new CorpusPipeline(config, evalSets);
  const firstTrain: Doc[] = [];
  const val: Doc[] = [];
  for (const doc of docs) {
    const r = pipe.add(doc);
    if (r) (r.split === 'val' ? val : firstTrain).push(r.doc);
  }
  const train = firstTrain.map((d) => pipe.checkTrain(d)).filter((d): d is Doc => d !== null);
  return { train, val, report: pipe.report() };
}

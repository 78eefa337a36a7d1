// The run folder every training command writes:
//   train_config.json   the final config that made the run (defaults ← file ← flags)
//   metrics.jsonl       training and evaluation records
//   checkpoints/        step-*/ folders (see checkpoint.ts)
//   model/ or adapter/  the final weights, with the tokenizer files beside them
//   model_ema/ or adapter_ema/  the EMA of the trained weights (train.emaDecay > 0)
//   summary.json        the end-of-run figures
// Under mpirun rank 0 alone writes the folder: these functions do nothing on the other ranks.
// A resumed run must bring the same config (only train.steps may grow, and ZeRO, which changes
// where the optimizer's state lives but not the results, may be switched), or it would not
// continue the same run.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { world } from '../distributed/world.js';
import { ensureDir, writeJsonAtomic } from '../util/fs.js';
import type { Ema } from './ema.js';
import type { LoraModel } from './lora.js';
import { readJson } from './metrics.js';

/** Files of a Hugging Face tokenizer that travel with a model. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** Keys a resumed run may change. */
const RESUMABLE_CHANGES = ['train.steps', 'train.zero', 'optim.zero'];

/** Leaves of two configs that differ, as dotted paths. */
export function configDiff(a: unknown, b: unknown, path = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => configDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

/** Creates the run folder and records the config; when resuming, checks it matches the one the
 * run was started with. */
export function prepareRunDir(dir: string, config: object, resume: boolean): void {
  if (world().rank !== 0) return;
  ensureDir(dir);
  const path = join(dir, 'train_config.json');
  if (resume && existsSync(path)) {
    const diff = configDiff(readJson(path), config).filter((k) => !RESUMABLE_CHANGES.includes(k));
    if (diff.length) throw new Error(`${dir}: --resume with a different config (${diff.join(', ')}) would not continue the same run; use the config in ${path}`);
  }
  writeJsonAtomic(path, config);
}

/** Copies the tokenizer files of folder `src` into `dst` ('' copies nothing); returns their names. */
export function copyTokenizer(src: string, dst: string): string[] {
  if (!src) return [];
  if (!existsSync(join(src, 'tokenizer.json'))) throw new Error(`${src}: no tokenizer.json (give the folder a tokenizer was saved to)`);
  mkdirSync(dst, { recursive: true });
  const names = TOKENIZER_FILES.filter((f) => existsSync(join(src, f)));
  for (const f of names) copyFileSync(join(src, f), join(dst, f));
  return names;
}

export function writeSummary(dir: string, summary: object): void {
  if (world().rank !== 0) return;
  writeJsonAtomic(join(dir, 'summary.json'), summary);
}

/** Writes the trained model to out/model with its tokenizer (rank 0; the others' models stay
 * unmerged). With LoRA the adapters are first saved
 * to out/adapter in PEFT format (against `baseModel`), then merged, so model/ loads anywhere. The
 * EMA's weights, when there is one, go to out/model_ema (or out/adapter_ema) first. Returns the
 * adapter folder, or null without LoRA. */
export function saveFinalModel(out: string, model: { save(dir: string): void }, lora: LoraModel | null, baseModel: string, tokenizerDir: string, ema: Ema | null = null): string | null {
  if (world().rank !== 0) return lora ? join(out, 'adapter') : null;
  if (ema && lora) ema.withAveraged(() => lora.save(join(out, 'adapter_ema'), baseModel));
  else if (ema) {
    ema.withAveraged(() => model.save(join(out, 'model_ema')));
    copyTokenizer(tokenizerDir, join(out, 'model_ema'));
  }
  let adapter: string | null = null;
  if (lora) {
    adapter = join(out, 'adapter');
    lora.save(adapter, baseModel);
    lora.merge();
  }
  const modelDir = join(out, 'model');
  model.save(modelDir);
  copyTokenizer(tokenizerDir, modelDir);
  return adapter;
}

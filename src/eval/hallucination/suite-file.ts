// The suite on disk, so it can be inspected, reused, or trained on with the factuality reward:
//   DIR/prompts.jsonl  one prompt record per item: {"prompt", "reference", "hallucination": {kind,
//                      question, entity, attribute, answer, premise?}}: a PPO/GRPO prompt file
//   DIR/facts.jsonl    the retrieval store, {"text": fact} per line
// `--suite FILE` reads such a prompts.jsonl (written here or by hand) with facts.jsonl beside it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../util/fs.js';
import { ATTRIBUTES, HALLU_KINDS, SUITE_SIZES, makeSuite, type HalluItem, type HalluKind, type HalluSuite } from './facts.js';
import { promptRecord } from './reward.js';

export function writeSuite(dir: string, suite: HalluSuite): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'prompts.jsonl'), suite.items.map((it) => JSON.stringify(promptRecord(it)) + '\n').join(''));
  writeFileAtomic(join(dir, 'facts.jsonl'), suite.facts.map((text) => JSON.stringify({ text }) + '\n').join(''));
}

function parseItem(line: string, where: string): HalluItem {
  let r: { prompt?: unknown; reference?: unknown; hallucination?: Record<string, unknown> };
  try {
    r = JSON.parse(line) as typeof r;
  } catch (e) {
    throw new Error(`${where}: invalid JSON (${(e as Error).message})`);
  }
  const h = r.hallucination;
  if (typeof r.prompt !== 'string') throw new Error(`${where}: "prompt" must be a string`);
  if (!h || typeof h !== 'object') throw new Error(`${where}: "hallucination" must be an object {kind, question, entity, attribute, answer}`);
  if (!HALLU_KINDS.includes(h.kind as HalluKind)) throw new Error(`${where}: hallucination.kind must be one of ${HALLU_KINDS.join(', ')}, got ${JSON.stringify(h.kind)}`);
  if (!ATTRIBUTES.includes(h.attribute as HalluItem['attribute'])) throw new Error(`${where}: hallucination.attribute must be one of ${ATTRIBUTES.join(', ')}, got ${JSON.stringify(h.attribute)}`);
  for (const k of ['question', 'entity'] as const) if (typeof h[k] !== 'string') throw new Error(`${where}: hallucination.${k} must be a string`);
  if (h.answer !== null && typeof h.answer !== 'string') throw new Error(`${where}: hallucination.answer must be a string or null`);
  if ((h.kind === 'answerable' || h.kind === 'false_premise' || h.kind === 'closed_book') && h.answer === null) throw new Error(`${where}: a ${h.kind} item needs its answer`);
  if (h.premise !== undefined && typeof h.premise !== 'string') throw new Error(`${where}: hallucination.premise must be a string`);
  if (h.facts !== undefined && !(Array.isArray(h.facts) && h.facts.every((f) => typeof f === 'string'))) throw new Error(`${where}: hallucination.facts must be a list of strings`);
  return {
    kind: h.kind as HalluKind, prompt: r.prompt, question: h.question as string, entity: h.entity as string, attribute: h.attribute as HalluItem['attribute'],
    answer: h.answer as string | null, ...(h.premise !== undefined ? { premise: h.premise as string } : {}), reference: typeof r.reference === 'string' ? r.reference : '',
    ...(h.facts !== undefined ? { facts: h.facts as string[] } : {}),
  };
}

/** A suite by name ('hallucination': generated from `seed`) or from a prompts.jsonl file. */
export function loadSuite(nameOrFile: string, seed: number, sizes: Record<HalluKind, number> = SUITE_SIZES): HalluSuite {
  if (nameOrFile === 'hallucination') return makeSuite(seed, sizes);
  if (!existsSync(nameOrFile)) throw new Error(`suite "${nameOrFile}" is neither a suite name (hallucination) nor a file`);
  const items = readFileSync(nameOrFile, 'utf8').split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => l.trim()).map(([l, n]) => parseItem(l, `${nameOrFile}:${n}`));
  if (!items.length) throw new Error(`${nameOrFile}: no suite items`);
  const factsFile = join(dirname(nameOrFile), 'facts.jsonl');
  let facts: string[] = [];
  if (existsSync(factsFile)) facts = readFileSync(factsFile, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    const t = (JSON.parse(l) as { text?: unknown }).text;
    if (typeof t !== 'string') throw new Error(`${factsFile}:${i + 1}: "text" must be a string`);
    return t;
  });
  else if (items.some((it) => it.kind === 'closed_book')) throw new Error(`${nameOrFile}: closed_book items need the retrieval store ${factsFile}`);
  return { seed: -1, world: [], facts, items };
}

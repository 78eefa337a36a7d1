// Self-Instruct's heuristic filters (Wang et al. 2022, §2.3 and their bootstrap_instructions.py /
// prepare_for_finetuning.py), each returning the reason a candidate is dropped or null. The ROUGE-L
// novelty test lives in rouge.ts; the loop applies these first because they are cheaper.
import { rougeTokens } from './rouge.js';
import type { Instance } from './tasks.js';

export interface FilterConfig {
  /** Instructions of at most this many words are too short (the paper drops ≤ 3). */
  minWords: number;
  /** ... and of more than this many too long (the paper: > 150). */
  maxWords: number;
  /** Words or phrases a language model cannot act on (images, files, audio): the paper's list, with
   * Chinese equivalents. Matched as whole words (as substrings for Chinese). */
  blocklist: string[];
  /** Instructions starting with these are dropped ("Write a program": the paper's filter, since
   * a model cannot run what it writes to produce the output). */
  blockedPrefixes: string[];
  /** Outputs longer than this many words are dropped (runaway generations). */
  maxOutputWords: number;
}

export const FILTER_DEFAULTS: FilterConfig = {
  minWords: 3,
  maxWords: 150,
  blocklist: [
    'image', 'images', 'graph', 'graphs', 'picture', 'pictures', 'file', 'files', 'map', 'maps', 'draw', 'plot', 'go to',
    'video', 'audio', 'music', 'flowchart', 'diagram',
    '图片', '图像', '图表', '文件', '地图', '画图', '绘制', '视频', '音频', '音乐', '流程图',
  ],
  blockedPrefixes: ['write a program'],
  maxOutputWords: 400,
};

export type DropReason =
  | 'empty' | 'too_short' | 'too_long' | 'blocklisted' | 'blocked_prefix' | 'starts_with_punctuation'
  | 'duplicate' | 'similar' | 'no_instances' | 'truncated';

const hasCjk = (s: string): boolean => /\p{Script=Han}/u.test(s);
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whitespace collapsed, trailing colon dropped (the paper's clean-up before filtering). */
export function cleanInstruction(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/[:：]+$/, '').trim();
}

/** Why an instruction fails the length, keyword and form filters, or null when it passes. Length
 * counts ROUGE tokens: words, and each Chinese character. */
export function instructionFilter(instruction: string, c: FilterConfig): DropReason | null {
  if (!instruction) return 'empty';
  const n = rougeTokens(instruction).length;
  if (n <= c.minWords) return 'too_short';
  if (n > c.maxWords) return 'too_long';
  const lower = instruction.toLowerCase();
  for (const w of c.blocklist) {
    const hit = hasCjk(w) ? lower.includes(w) : new RegExp(`\\b${escapeRe(w.toLowerCase())}\\b`).test(lower);
    if (hit) return 'blocklisted';
  }
  if (c.blockedPrefixes.some((p) => lower.startsWith(p.toLowerCase()))) return 'blocked_prefix';
  if (!/^[\p{L}\p{N}]/u.test(instruction)) return 'starts_with_punctuation';
  return null;
}

/** The instances worth keeping: non-empty output, output not a copy of the input, not too long,
 * no duplicate (input, output) pair (prepare_for_finetuning.py's instance filters). */
export function filterInstances(instances: Instance[], c: FilterConfig): Instance[] {
  const seen = new Set<string>();
  return instances.filter((x) => {
    const input = x.input.trim(), output = x.output.trim();
    if (!output || output === input) return false;
    if (rougeTokens(output).length > c.maxOutputWords) return false;
    const key = `${input}\u0000${output}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The key two instructions share when they are the same up to case, spacing and punctuation. */
export const dedupeKey = (instruction: string): string => rougeTokens(instruction).join(' ');

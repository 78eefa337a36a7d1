// Prompts and responses as token ids. A prompt is the conversation so far rendered through the
// chat template with the assistant header appended (what the policy continues); a response is its
// text followed by the end-of-turn token, exactly the tokens the policy emits when it stops. The
// reward model is trained on that layout, so it scores policy samples in the form it learned.
import { loadDataset, type Message, type PromptRecord, type Turns } from '../../data/formats.js';
import { loadGoldPrompts, type Gold } from '../../data/default/labelers.js';
import { encodeChat, type Tokenizer } from '../../tokenizer/index.js';

export const asMessages = (t: Turns): Message[] => (typeof t === 'string' ? [{ role: 'user', content: t }] : t);

/** The id that ends an assistant turn: <|im_end|> under ChatML, else the tokenizer's eos. */
export function endOfTurnId(tok: Tokenizer): number {
  for (const name of ['<|im_end|>', '<|eot_id|>', tok.config.eosToken, '<|endoftext|>', '</s>']) {
    const id = name === undefined ? undefined : tok.tokenToId(name);
    if (id !== undefined) return id;
  }
  throw new Error('the tokenizer has no end-of-turn token (<|im_end|>, <|eot_id|>) and no eos_token');
}

export function encodePrompt(tok: Tokenizer, prompt: Turns): number[] {
  return encodeChat(tok, asMessages(prompt), { addGenerationPrompt: true }).ids;
}

/** A response's tokens as the policy emits them: its text, then the end-of-turn token — unless the
 * response was cut off at the token limit (`finished` false), when the policy never emitted one. */
export function encodeResponse(tok: Tokenizer, response: Turns, eot: number, finished = true): number[] {
  const text = typeof response === 'string' ? response : response.map((m) => m.content).join('\n');
  const ids = tok.encode(text);
  return finished ? [...ids, eot] : ids;
}

/** The text of generated tokens, special tokens dropped (what a labeler reads). */
export function responseText(tok: Tokenizer, tokens: number[]): string {
  return tok.decode(tokens, { skipSpecialTokens: true });
}

/** A prompt to sample from: its ids, and its gold record when the file has one. */
export interface PolicyPrompt {
  ids: number[];
  messages: Message[];
  /** The messages' text, for reports. */
  text: string;
  gold: Gold | null;
  /** The prompt's JSONL record, every field (what a reward function receives as `record`);
   * absent for prompts built in memory. */
  record?: Record<string, unknown>;
}

/** Prompt records (string or messages), with `gold` records when every line has one (the default
 * data's prompts.jsonl and eval.jsonl, validated line by line); prompts longer than maxLen tokens
 * are left out. */
export async function loadPolicyPrompts(file: string, tok: Tokenizer, maxLen: number, limit = 0): Promise<PolicyPrompt[]> {
  const { records } = await loadDataset(file, 'prompt');
  const withGold = records.length > 0 && records.every((r) => (r as { gold?: unknown }).gold !== undefined);
  const rows: (PromptRecord & { gold?: Gold })[] = withGold ? await loadGoldPrompts(file) : records;
  const out: PolicyPrompt[] = [];
  for (const r of rows) {
    const ids = encodePrompt(tok, r.prompt);
    if (ids.length > maxLen) continue;
    const messages = asMessages(r.prompt);
    out.push({ ids, messages, text: messages.map((m) => m.content).join('\n'), gold: r.gold ?? null, record: { ...r } });
    if (limit > 0 && out.length === limit) break;
  }
  if (!out.length) throw new Error(`${file}: no prompt fits in ${maxLen} tokens`);
  return out;
}

// The teacher: whatever writes instructions and answers. A local model directory (decoded here,
// many prompts in one batched generate() call), or an OpenAI-compatible endpoint (http-teacher.ts).
// Either way the loop sends text and gets text back; `format` says whether the text is continued as
// a plain completion (as GPT-3 did for Self-Instruct and text-davinci-003 for Alpaca) or sent as one
// user message to a chat model.
import { loadPretrained, type CausalLM } from '../models/index.js';
import { encodeChat, loadTokenizer, stopIds, type Tokenizer } from '../tokenizer/index.js';

export interface TeacherRequest {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  /** Text stop sequences: the answer ends before the first one. */
  stop: string[];
  seed: number;
}

export interface TeacherReply {
  text: string;
  /** Whether the teacher stopped at maxTokens (its last item may be cut off). */
  truncated: boolean;
}

export type TeacherFormat = 'completion' | 'chat';

export interface Teacher {
  /** What the run records as its teacher (a folder, or a URL and model name). */
  readonly name: string;
  /** Answers in request order. */
  complete(requests: TeacherRequest[]): Promise<TeacherReply[]>;
}

/** The text before the first stop sequence, and whether one was found. */
export function cutAtStop(text: string, stop: string[]): { text: string; stopped: boolean } {
  let end = text.length;
  for (const s of stop) {
    const i = s ? text.indexOf(s) : -1;
    if (i >= 0 && i < end) end = i;
  }
  return { text: text.slice(0, end), stopped: end < text.length };
}

/** A model directory as the teacher. Requests are grouped by their sampling settings and decoded as
 * one left-padded batch each; prompts longer than the model's context (less maxTokens) keep their
 * last tokens. Stop sequences are text, so they are applied after decoding. */
export class LocalTeacher implements Teacher {
  private constructor(readonly name: string, private readonly model: CausalLM, private readonly tok: Tokenizer, private readonly format: TeacherFormat, private readonly batchSize: number) {}

  static async load(dir: string, format: TeacherFormat, batchSize = 8): Promise<LocalTeacher> {
    const model = await loadPretrained(dir);
    model.eval();
    return new LocalTeacher(dir, model, loadTokenizer(dir), format, batchSize);
  }

  private encode(prompt: string, maxTokens: number): number[] {
    const ids = this.format === 'chat'
      ? encodeChat(this.tok, [{ role: 'user', content: prompt }], { addGenerationPrompt: true }).ids
      : this.tok.encode(prompt, { addSpecialTokens: true });
    const room = this.model.config.maxPositions - maxTokens;
    if (room < 1) throw new Error(`${this.name}: maxTokens ${maxTokens} leaves no room for a prompt in ${this.model.config.maxPositions} positions`);
    return ids.length > room ? ids.slice(ids.length - room) : ids;
  }

  async complete(requests: TeacherRequest[]): Promise<TeacherReply[]> {
    const replies = new Array<TeacherReply>(requests.length);
    const groups = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const key = `${r.maxTokens}:${r.temperature}:${r.topP}`;
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
    const stops = stopIds(this.tok, this.model.generationConfig.eosTokenId ?? this.model.config.eosTokenId);
    for (const idx of groups.values()) {
      for (let s = 0; s < idx.length; s += this.batchSize) {
        const chunk = idx.slice(s, s + this.batchSize);
        const r0 = requests[chunk[0]];
        const out = await this.model.generate(chunk.map((i) => this.encode(requests[i].prompt, r0.maxTokens)), {
          maxNewTokens: r0.maxTokens, temperature: r0.temperature, topP: r0.temperature > 0 ? r0.topP : 1, stopTokenIds: stops, seed: r0.seed,
        });
        chunk.forEach((i, j) => {
          const cut = cutAtStop(this.tok.decode(out.tokens[j], { skipSpecialTokens: true }), requests[i].stop);
          replies[i] = { text: cut.text, truncated: !cut.stopped && out.finishReasons[j] === 'length' };
        });
      }
    }
    return replies;
  }
}

// A served model: the model, its tokenizer and its continuous-batching scheduler, turning prompts
// (a conversation through the chat template, or plain text) into streamed text choices. The HTTP
// server and `rlhf chat` both use it.
import { basename, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import type { CausalLM } from '../models/causal-lm.js';
import { stopIds } from '../tokenizer/special-ids.js';
import { loadPretrained } from '../models/pretrained.js';
import { encodeChat, type ChatMessage } from '../tokenizer/chat.js';
import { loadTokenizer } from '../tokenizer/hf.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { SAMPLING_DEFAULTS, Scheduler, type FinishReason, type SchedulerOptions } from './scheduler.js';
import { TextStream } from './text.js';

export interface CompletionParams {
  n: number;
  /** New tokens per choice (null: the rest of the context). */
  maxTokens: number | null;
  temperature: number;
  topP: number;
  /** null: a fresh random seed. */
  seed: number | null;
  /** Stop strings: a choice ends before the first one it produces. */
  stop: readonly string[];
  logitBias: ReadonlyMap<number, number> | null;
  frequencyPenalty: number;
  presencePenalty: number;
}

export const COMPLETION_DEFAULTS: CompletionParams = {
  n: 1, maxTokens: null, temperature: 1, topP: 1, seed: null, stop: [], logitBias: null, frequencyPenalty: 0, presencePenalty: 0,
};

export interface ChoiceResult {
  index: number;
  text: string;
  finishReason: FinishReason;
  /** Generated tokens, a stop token included. */
  tokens: number;
}

export interface CompletionResult {
  choices: ChoiceResult[];
  promptTokens: number;
  completionTokens: number;
}

/** What a completion reports as it runs. */
export interface CompletionEvents {
  /** A piece of a choice's text, as soon as it is final. */
  onText?(choice: number, text: string): void;
  /** A choice has ended (its text is complete). */
  onChoice?(choice: ChoiceResult): void;
}

export interface Completion {
  /** Ends every choice now (a client that went away). */
  cancel(): void;
  /** The choices once all have ended; rejects when the model failed. */
  readonly result: Promise<CompletionResult>;
}

/** The ids that end a served turn: the model's eos ids and the tokenizer's end-of-turn specials. */
export const endTokenIds = (tok: Tokenizer, model: CausalLM): number[] => stopIds(tok, model.generationConfig.eosTokenId ?? model.config.eosTokenId);

export class ServedModel {
  readonly scheduler: Scheduler;
  readonly stopTokenIds: number[];
  /** Unix seconds when the model was loaded (OpenAI's `created`). */
  readonly created = Math.floor(Date.now() / 1000);

  constructor(readonly id: string, readonly model: CausalLM, readonly tokenizer: Tokenizer, options: Partial<SchedulerOptions> = {}) {
    if (tokenizer.vocabSize > model.config.vocabSize) {
      throw new Error(`model ${id}: the tokenizer has ${tokenizer.vocabSize} tokens, the model only ${model.config.vocabSize}`);
    }
    this.scheduler = new Scheduler(model, options);
    this.stopTokenIds = endTokenIds(tokenizer, model);
  }

  /** Loads a model directory (config.json, weights, tokenizer files); `id` defaults to the folder's
   * name. The context is capped at `contextLength` (default: the model's, at most 4096) to bound the
   * cache: slots × context × layers × 2 × kv width floats. */
  static async load(dir: string, options: Partial<SchedulerOptions> & { id?: string; tokenizer?: string } = {}): Promise<ServedModel> {
    const { id, tokenizer, ...sched } = options;
    const model = await loadPretrained(dir);
    const tok = loadTokenizer(tokenizer ?? dir);
    const contextLength = sched.contextLength ?? Math.min(model.config.maxPositions, 4096);
    return new ServedModel(id ?? basename(resolve(dir)), model, tok, { ...sched, contextLength });
  }

  get contextLength(): number {
    return this.scheduler.options.contextLength;
  }

  /** A conversation through the tokenizer's chat template, ending with the assistant's header. */
  chatPrompt(messages: ChatMessage[]): number[] {
    return encodeChat(this.tokenizer, messages, { addGenerationPrompt: true }).ids;
  }

  /** Plain text, with the tokenizer's post-processor (e.g. a leading BOS), as `rlhf generate`. */
  textPrompt(text: string): number[] {
    return this.tokenizer.encode(text, { addSpecialTokens: true });
  }

  /**
   * Starts n choices for a prompt, reporting text and ended choices through `events`. Throws QueueFullError (the queue is full) or RangeError (the request cannot run: too
   * long, n past the slots, a logit-bias id outside the vocabulary).
   */
  complete(prompt: number[], params: CompletionParams, events: CompletionEvents = {}): Completion {
    const V = this.model.config.vocabSize;
    for (const t of params.logitBias?.keys() ?? []) if (!(t >= 0 && t < V)) throw new RangeError(`logit_bias: token id ${t} is outside the vocabulary (0..${V - 1})`);
    const streams = Array.from({ length: params.n }, () => new TextStream(this.tokenizer, params.stop));
    const choices: ChoiceResult[] = streams.map((_, index) => ({ index, text: '', finishReason: 'length', tokens: 0 }));
    let settle!: (r: CompletionResult) => void, reject!: (e: Error) => void;
    const result = new Promise<CompletionResult>((res, rej) => { settle = res; reject = rej; });
    const handle = this.scheduler.submit({
      prompt, n: params.n,
      params: {
        ...SAMPLING_DEFAULTS,
        maxTokens: params.maxTokens ?? this.contextLength - prompt.length,
        temperature: params.topP === 0 ? 0 : params.temperature, topP: params.topP,
        seed: params.seed ?? randomInt(2 ** 31), stopTokenIds: this.stopTokenIds,
        logitBias: params.logitBias, frequencyPenalty: params.frequencyPenalty, presencePenalty: params.presencePenalty,
      },
      onToken: (c, token) => {
        const text = streams[c].push(token);
        if (text) events.onText?.(c, text);
        return streams[c].stopped;
      },
      onFinish: (c, reason, tokens) => {
        const rest = reason === 'cancelled' ? '' : streams[c].flush();
        if (rest) events.onText?.(c, rest);
        choices[c] = { index: c, text: streams[c].text, finishReason: reason, tokens };
        events.onChoice?.(choices[c]);
      },
      onError: reject,
    });
    void handle.done.then(() => settle({ choices, promptTokens: prompt.length, completionTokens: choices.reduce((s, c) => s + c.tokens, 0) }));
    return { cancel: handle.cancel, result };
  }
}

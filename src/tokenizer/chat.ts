// Chat templates: a conversation rendered with the tokenizer's Jinja template (tokenizer_config's
// chat_template, as transformers' apply_chat_template does), and its ids with a mask of the tokens
// an SFT loss should train on (the assistant's replies and the token that ends each reply).
import { Template } from '@huggingface/jinja';
import type { Tokenizer } from './tokenizer.js';

/** ChatML, the default for the models this project trains: every turn is
 * `<|im_start|>{role}\n{content}<|im_end|>\n`. */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The special tokens DEFAULT_CHAT_TEMPLATE needs. */
export const CHATML_SPECIAL_TOKENS = ['<|im_start|>', '<|im_end|>'];

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatOptions {
  /** End with the header of an assistant turn, for generation. */
  addGenerationPrompt?: boolean;
}

export interface EncodedChat {
  ids: number[];
  /** 1 where ids[i] belongs to an assistant reply (its content and end-of-turn token), else 0. */
  assistantMask: number[];
}

const templates = new Map<string, Template>();

function render(tok: Tokenizer, messages: ChatMessage[], opts: ChatOptions): string {
  const source = tok.config.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
  let t = templates.get(source);
  if (!t) templates.set(source, (t = new Template(source)));
  const c = tok.config;
  return t.render({
    messages,
    add_generation_prompt: opts.addGenerationPrompt ?? false,
    bos_token: c.bosToken ?? '',
    eos_token: c.eosToken ?? '',
    pad_token: c.padToken ?? '',
    unk_token: c.unkToken ?? '',
  });
}

/** The conversation as the template renders it. */
export function renderChat(tok: Tokenizer, messages: ChatMessage[], opts: ChatOptions = {}): string {
  return render(tok, messages, opts);
}

/**
 * Ids and assistant mask of a conversation. The template is rendered once with each message's content
 * replaced by a placeholder, which locates every content in the output. The template's own text is
 * encoded with special tokens allowed; message contents are encoded with none allowed, so a message
 * that contains "<|im_end|>" cannot end its turn early. A template that rewrites contents (other than
 * trimming them) is reported rather than mis-masked.
 */
export function encodeChat(tok: Tokenizer, messages: ChatMessage[], opts: ChatOptions = {}): EncodedChat {
  const placeholders = messages.map((m, i) => ({ ...m, content: `\uE000${i}\uE001` }));
  const skeleton = render(tok, placeholders, opts);
  const parts = skeleton.split(/\uE000(\d+)\uE001/); // static, index, static, index, …, static
  const expected = render(tok, messages, opts);
  let contents = messages.map((m) => m.content);
  const assemble = () => parts.map((p, k) => (k % 2 ? contents[Number(p)] : p)).join('');
  if (assemble() !== expected) {
    contents = messages.map((m) => m.content.trim());
    if (assemble() !== expected) throw new Error('encodeChat: the chat template rewrites message contents; cannot locate them to build the mask');
  }
  const ids: number[] = [];
  const mask: number[] = [];
  let afterAssistant = false;
  parts.forEach((p, k) => {
    if (k % 2 === 1) {
      const i = Number(p);
      const part = tok.encode(contents[i]);
      const on = messages[i].role === 'assistant' ? 1 : 0;
      for (const id of part) {
        ids.push(id);
        mask.push(on);
      }
      afterAssistant = on === 1;
      return;
    }
    const part = tok.encode(p, { allowedSpecial: 'all' });
    // The end-of-turn token right after a reply (<|im_end|>, </s>, <|eot_id|>) is trained too, so
    // the model learns to stop; only whitespace may come between it and the reply.
    let end = -1;
    if (afterAssistant) {
      const k = part.findIndex((id) => tok.added.tokens.some((t) => t.special && t.id === id));
      if (k >= 0 && tok.decode(part.slice(0, k)).trim() === '') end = k;
    }
    part.forEach((id, j) => {
      ids.push(id);
      mask.push(j <= end ? 1 : 0);
    });
    afterAssistant = false;
  });
  return { ids, assistantMask: mask };
}

// Thumbs up/down on chat replies: unpaired good/bad labels, the data KTO trains on (Ethayarajh et
// al. 2024). One row per user and reply; a second click changes the label, un-clicking removes it.
import { checkMessages, type Message } from '../data/formats.js';
import type { LabelDb } from './db.js';

export interface ChatFeedback {
  /** The page's id for the reply (a regenerated reply gets a new one). */
  key: string;
  model: string;
  /** The conversation the reply answered, ending with the user's turn. */
  prompt: Message[];
  completion: string;
  /** true = good, false = bad, null = take the label back. */
  label: boolean | null;
}

const KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** What is wrong with a feedback body, or null. */
export function feedbackError(f: ChatFeedback): string | null {
  if (!KEY.test(f.key)) return 'key must be 1–64 letters, digits, _ or -';
  const bad = checkMessages(f.prompt, 'prompt');
  if (bad) return bad;
  if (f.prompt[f.prompt.length - 1].role !== 'user') return 'prompt must end with the user turn the reply answers';
  if (!f.completion) return 'completion must not be empty';
  return null;
}

export function setChatLabel(db: LabelDb, userId: number, f: ChatFeedback): void {
  if (f.label === null) {
    db.prepare('DELETE FROM chat_labels WHERE user_id = ? AND reply_key = ?').run(userId, f.key);
    return;
  }
  db.prepare(`INSERT INTO chat_labels (user_id, reply_key, model, prompt, completion, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (user_id, reply_key) DO UPDATE SET label = excluded.label, model = excluded.model, prompt = excluded.prompt, completion = excluded.completion`)
    .run(userId, f.key, f.model, JSON.stringify(f.prompt), f.completion, f.label ? 1 : 0, Date.now());
}

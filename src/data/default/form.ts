// Surface checks every labeler shares: splitting a response into words, and the faults a reader
// marks down whatever the task (empty, looping, unbalanced quotes or brackets, a ragged end).

/** Lower-case words and numbers of a text, punctuation dropped. */
export const words = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);

/** Free of the faults a labeler would mark down: empty, looping (a word three times running, or a
 * three-word phrase three times), unbalanced quotes or brackets, control characters, or a ragged
 * ending. */
export function isWellFormed(response: string): boolean {
  const t = response.trim();
  if (t.length === 0) return false;
  if (/[\u0000-\u0008\u000b-\u001f]/.test(t)) return false;
  if (/\b(\S+)(?:\s+\1\b){2,}/i.test(t)) return false;
  const w = words(t);
  const seen = new Map<string, number>();
  for (let i = 0; i + 3 <= w.length; i++) {
    const g = w.slice(i, i + 3).join(' ');
    const c = (seen.get(g) ?? 0) + 1;
    if (c >= 3) return false;
    seen.set(g, c);
  }
  if ((t.match(/"/g)?.length ?? 0) % 2 !== 0) return false;
  if ((t.match(/\(/g)?.length ?? 0) !== (t.match(/\)/g)?.length ?? 0)) return false;
  return /[\p{L}\p{N}.!?"')]$/u.test(t);
}

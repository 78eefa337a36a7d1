// DAPO's dynamic sampling (Yu et al. 2025, eq. 11 and Algorithm 1): a group whose G rewards are all
// equal has zero advantage everywhere, so it adds nothing to the gradient but cost. Instead of
// training on fewer groups, keep sampling fresh prompts and fill the batch with groups whose rewards
// differ, up to a cap of extra rollouts (verl's max_num_gen_batches); if the cap is reached the
// batch trains on the informative groups it has. The selection is pure: the trainer supplies a
// `draw` that samples and rewards one rollout of prompts.

/** Indices of the groups (G consecutive rewards each) whose rewards are not all equal. */
export function informativeGroups(rewards: ArrayLike<number>, G: number): number[] {
  if (G < 2 || rewards.length % G !== 0) throw new RangeError(`informativeGroups: ${rewards.length} rewards do not split into groups of ${G} (G ≥ 2)`);
  const out: number[] = [];
  for (let g = 0; g * G < rewards.length; g++) {
    const first = rewards[g * G];
    for (let i = g * G + 1; i < (g + 1) * G; i++) {
      if (rewards[i] !== first) {
        out.push(g);
        break;
      }
    }
  }
  return out;
}

/** One rollout: its groups (whatever the trainer keeps per group) and their rewards, G per group. */
export interface GroupDraw<T> {
  groups: T[];
  rewards: ArrayLike<number>;
}

export interface FilledBatch<T> {
  /** Informative groups in the order drawn, at most `want`. */
  groups: T[];
  /** Rollouts drawn (1 + the extra ones). */
  rounds: number;
  /** Groups sampled in all, informative or not. */
  drawn: number;
}

/** Draws rollouts until `want` informative groups are in hand or `maxExtra` extra rollouts are
 * spent; groups beyond `want` from the last rollout are dropped. Data-parallel ranks each fill
 * their share and draw in step: `anyShort` says whether any rank still lacks groups (one process:
 * whether this one does), so every rank draws the same rollouts and the prompt stream stays the
 * same on all of them. */
export async function fillInformative<T>(draw: (round: number) => Promise<GroupDraw<T>>, want: number, G: number, maxExtra: number,
  anyShort: (short: boolean) => boolean = (short) => short): Promise<FilledBatch<T>> {
  if (!(Number.isInteger(want) && want >= 1)) throw new RangeError(`fillInformative: want must be a positive integer, got ${want}`);
  if (!(Number.isInteger(maxExtra) && maxExtra >= 0)) throw new RangeError(`fillInformative: maxExtra must be an integer ≥ 0, got ${maxExtra}`);
  const groups: T[] = [];
  let rounds = 0, drawn = 0;
  while (rounds <= maxExtra && anyShort(groups.length < want)) {
    const d = await draw(rounds++);
    if (d.rewards.length !== d.groups.length * G) throw new RangeError(`fillInformative: ${d.groups.length} groups of ${G} came with ${d.rewards.length} rewards`);
    drawn += d.groups.length;
    for (const g of informativeGroups(d.rewards, G)) {
      if (groups.length === want) break;
      groups.push(d.groups[g]);
    }
  }
  return { groups, rounds, drawn };
}

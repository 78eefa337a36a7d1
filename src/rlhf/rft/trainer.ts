// `rlhf rft`: rejection-sampling fine-tuning. Each round samples n responses per prompt from the
// current model, scores them with the reward model or function (reward/source.ts), keeps the best of
// each prompt (select.ts), writes the kept ones as prompt/completion JSONL, and fine-tunes on them
// with SFT (src/train/sft.ts, on the one training loop); the next round samples from the result.
// A round whose summary exists is skipped on --resume, and the round's SFT resumes from its own
// checkpoints, so a killed run continues where it stopped.
//   out/round-1/selected.jsonl   the kept responses        out/round-1/sft/   that round's SFT run
//   out/round-1/summary.json     the round's figures       out/model/         the final model
// Data-parallel (docs/distributed.md): each rank samples and scores its share of a round's prompts,
// the kept responses are gathered on every rank, and the round's SFT runs on all ranks. A round
// reads the previous round's model from the run folder, which rank 0 writes: on several machines
// the run folder must be on a shared filesystem.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashString32 } from '../../data/hash.js';
import { allGatherJson, broadcastJson } from '../../distributed/communicator.js';
import { rankSeed, shardOf } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { writeFileAtomic } from '../../util/fs.js';
import { loadPretrained } from '../../models/index.js';
import { loadTokenizer, padId, stopIds } from '../../tokenizer/index.js';
import { SFT_DEFAULTS } from '../../train/config.js';
import { readJson } from '../../train/metrics.js';
import { copyTokenizer, prepareRunDir, writeSummary } from '../../train/run-dir.js';
import { sft } from '../../train/sft.js';
import { loadPolicyPrompts, responseText, type PolicyPrompt } from '../core/prompts.js';
import { sampleResponses } from '../core/rollout.js';
import { shuffledStream } from '../core/stream.js';
import { compareWithStart, describeComparison, type PolicyComparison, type RolloutWatch } from '../eval.js';
import { openRewardSource } from '../reward/source.js';
import type { RftConfig } from './config.js';
import { selectBest } from './select.js';

export interface RftRound {
  round: number;
  prompts: number;
  samples: number;
  /** Prompts whose best response was kept (finished, non-empty, above the threshold). */
  kept: number;
  /** Mean score of every sample, and of the kept ones. */
  score: number;
  keptScore: number;
  /** Share of samples that ended with their stop token. */
  finished: number;
  /** The SFT run's final training loss. */
  sftLoss: number;
  /** The round's watch figures over every sample (the pipeline's gold score). */
  watch: Record<string, number>;
  model: string;
  seconds: number;
}

export interface RftSummary {
  /** What scored the samples: "reward model DIR" or "reward function FILE". */
  reward: string;
  rounds: RftRound[];
  seconds: number;
  eval: PolicyComparison | null;
  model: string;
}

export interface RftOptions {
  resume?: boolean;
  quiet?: boolean;
  /** Figures of each round's samples logged beside the reward (the pipeline passes goldWatch). */
  watch?: RolloutWatch;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : NaN);

export async function rft(cfg: RftConfig, { resume = false, quiet = false, watch }: RftOptions = {}): Promise<RftSummary> {
  prepareRunDir(cfg.out, cfg, resume);
  const log = (line: string): void => { if (!quiet) console.log(line); };
  const t0 = performance.now();
  const tokDir = cfg.tokenizer || cfg.policy;
  const tok = loadTokenizer(tokDir);
  const pad = padId(tok);
  const reward = await openRewardSource({ model: cfg.reward, fn: cfg.rewardFn }, tok, pad, 'reward / rewardFn');
  const prompts = await loadPolicyPrompts(cfg.data.prompts, tok, cfg.data.maxPromptLen);
  const perRound = cfg.promptsPerRound > 0 ? Math.min(cfg.promptsPerRound, prompts.length) : prompts.length;
  // One seeded order over the prompts; round r takes the r-th slice of it.
  const stream = shuffledStream(prompts, perRound, cfg.seed, undefined, 'rft prompts');
  log(`rft: ${prompts.length} prompts, ${cfg.rounds} round(s) of ${perRound} prompts × ${cfg.n} samples, scored by the ${reward.name}`);

  const comm = world();
  const rounds: RftRound[] = [];
  let current = cfg.policy;
  for (let r = 1; r <= cfg.rounds; r++) {
    const dir = join(cfg.out, `round-${r}`), done = join(dir, 'summary.json');
    const all = stream.next();
    // Rank 0 looks at the run folder; every rank learns whether the round was done.
    const earlier = broadcastJson(comm, comm.rank === 0 && resume && existsSync(done) ? (readJson(done) as RftRound) : null);
    if (earlier) {
      rounds.push(earlier);
      current = rounds[rounds.length - 1].model;
      log(`rft: round ${r} done earlier, skipped`);
      continue;
    }
    const tr = performance.now();
    mkdirSync(dir, { recursive: true });
    const policy = await loadPretrained(current);
    const part = shardOf(all, comm);
    const rows = part.flatMap((p) => Array<PolicyPrompt>(cfg.n).fill(p));
    const s = await sampleResponses(policy, rows.map((p) => p.ids), {
      maxNewTokens: cfg.rollout.maxNewTokens, temperature: cfg.rollout.temperature, topK: cfg.rollout.topK,
      stopTokenIds: stopIds(tok, policy.generationConfig.eosTokenId ?? policy.config.eosTokenId), seed: rankSeed(hashString32(`rft-round:${r}`, cfg.seed), comm.rank), chunk: 32,
    });
    const texts = s.responses.map((x) => responseText(tok, x));
    const scores = await reward.score(rows, s.responses);
    // A response that may not be kept scores −∞, so it is never the best of its prompt.
    const eligible = Float32Array.from(scores, (v, i) => ((cfg.requireFinished && !s.finished[i]) || texts[i].trim() === '' ? -Infinity : v));
    const picks = selectBest(eligible, cfg.n, cfg.threshold.enabled ? cfg.threshold.minScore : -Infinity);
    const mine = part.flatMap((p, i) => {
      const j = picks[i], k = i * cfg.n + j;
      return j >= 0 && Number.isFinite(eligible[k]) ? [{ prompt: p.messages, completion: texts[k], score: scores[k] }] : [];
    });
    // Every rank's picks, in prompt order, and the round's figures over every rank's samples.
    const kept = allGatherJson(comm, mine).flat();
    const [scoreSum, finishedCount, samples] = allGatherJson(comm, [[...scores].reduce((a, x) => a + x, 0), s.finished.filter(Boolean).length, rows.length])
      .reduce((a, x) => a.map((v, i) => v + x[i]), [0, 0, 0]);
    if (!kept.length) throw new Error(`rft round ${r}: no prompt had a response to keep (${finishedCount} of ${samples} samples finished${cfg.threshold.enabled ? `; threshold ${cfg.threshold.minScore}` : ''}); raise rollout.maxNewTokens or lower the threshold`);
    const selected = join(dir, 'selected.jsonl');
    // The round's SFT reads it on every rank: each writes the same file (atomically), so ranks on
    // machines without a shared filesystem have it too.
    writeFileAtomic(selected, kept.map((x) => JSON.stringify(x) + '\n').join(''));
    log(`rft: round ${r}: kept ${kept.length} of ${all.length} prompts, score ${(scoreSum / samples).toFixed(3)} → kept ${mean(kept.map((x) => x.score)).toFixed(3)}`);

    const tuned = await sft({
      ...structuredClone(SFT_DEFAULTS), out: join(dir, 'sft'), model: current, tokenizer: tokDir,
      data: { ...SFT_DEFAULTS.data, train: selected, val: '', maxLen: cfg.sft.maxLen }, train: { ...cfg.sft.train, seed: hashString32(`rft-sft:${r}`, cfg.seed) },
      lora: cfg.lora, accuracy: { ...SFT_DEFAULTS.accuracy, file: '' },
    }, { resume, quiet });
    // The next round loads what rank 0 has just written.
    comm.barrier();
    const round: RftRound = {
      round: r, prompts: all.length, samples, kept: kept.length, score: scoreSum / samples, keptScore: mean(kept.map((x) => x.score)),
      finished: finishedCount / samples, sftLoss: tuned.trainLoss,
      watch: watch ? watch(rows, texts) : {}, model: tuned.model, seconds: (performance.now() - tr) / 1000,
    };
    writeSummary(dir, round);
    rounds.push(round);
    current = tuned.model;
  }

  const modelDir = join(cfg.out, 'model');
  const summary: RftSummary = { reward: reward.name, rounds, seconds: (performance.now() - t0) / 1000, eval: null, model: modelDir };
  // The final model and the held-out comparison are rank 0's.
  if (comm.rank !== 0) return summary;
  const model = await loadPretrained(current);
  model.save(modelDir);
  copyTokenizer(tokDir, modelDir);
  const evaluation = await compareWithStart(model, cfg.policy, tok, cfg.eval, { maxPromptLen: cfg.data.maxPromptLen, seed: cfg.seed, padId: pad });
  if (evaluation) log(`rft: ${describeComparison(evaluation)}`);
  summary.eval = evaluation;
  summary.seconds = (performance.now() - t0) / 1000;
  writeSummary(cfg.out, summary);
  return summary;
}

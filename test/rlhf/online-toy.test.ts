// RLOO, REINFORCE++ and GRPO with DAPO's options end to end on the PPO toy task: a tiny random policy over 16 tokens is paid
// the share of 7s in its response. A short run on the one training loop must raise that reward
// well above where it started, with the KL penalty to the reference in play.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainOnline, type OnlineMethod } from '../../src/rlhf/core/online-run.js';
import type { OnlineConfig } from '../../src/rlhf/core/online-config.js';
import { rlooMethod } from '../../src/rlhf/rloo/trainer.js';
import { reinforcePpMethod } from '../../src/rlhf/reinforce/trainer.js';
import { trainGrpo } from '../../src/rlhf/grpo/trainer.js';
import { any7, grpoToyConfig, onlineToyConfig as toyConfig, onlineToySetup as toySetup } from './toy.js';

async function raises(method: OnlineMethod, cfg: OnlineConfig): Promise<void> {
  const { records: r } = await trainOnline(toySetup(), cfg, method, { quiet: true });
  const early = (r[0].score + r[1].score) / 2, late = (r[r.length - 1].score + r[r.length - 2].score) / 2;
  assert.ok(early < 0.2, `a random policy emits 7 about 1/16 of the time, got ${early}`);
  assert.ok(late > early + 0.3, `reward ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
  assert.ok(r.every((x) => Number.isFinite(x.kl) && Number.isFinite(x.loss)));
  assert.ok(r[r.length - 1].kl > 0, 'the policy moved away from the reference');
}

test('RLOO raises a toy reward ("emit token 7") within a few iterations', async () => {
  await raises(rlooMethod({ samplesPerPrompt: 4, klCoef: 0.01 }), toyConfig('rloo-toy'));
});

test('REINFORCE++ raises the same toy reward, one sample per prompt, batch-normalised', async () => {
  await raises(reinforcePpMethod({ samplesPerPrompt: 1, klCoef: 0.01, gamma: 1, groupBaseline: false }), toyConfig('rpp-toy', { promptsPerIteration: 32, samplesPerPrompt: 1 }));
});

test('GRPO with DAPO (clip-higher, token-level loss, dynamic sampling) raises a 0/1 toy reward', async () => {
  // Paid 1 for a response holding a 7 at all: at first most groups of 4 are all 0 and carry no
  // signal, so dynamic sampling draws more rollouts to fill the batch with groups that differ.
  const { reward: _r, normalization: _n, ...setup } = toySetup();
  const cfg = grpoToyConfig(mkdtempSync(join(tmpdir(), 'rlhf-grpo-toy-')));
  const { records: r } = await trainGrpo({ ...setup, reward: any7 }, cfg, { quiet: true });
  const early = (r[0].reward + r[1].reward) / 2, late = (r[r.length - 1].reward + r[r.length - 2].reward) / 2;
  assert.ok(early < 0.35, `a random policy puts a 7 in 3 tokens about 18% of the time, got ${early}`);
  assert.ok(late > early + 0.3, `reward ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
  assert.ok(r.some((x) => x.rollouts > 1), 'dynamic sampling drew extra rollouts');
  assert.ok(r.every((x) => x.trainedGroups <= cfg.promptsPerIteration));
});

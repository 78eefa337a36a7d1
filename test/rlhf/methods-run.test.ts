// The alignment commands end to end on a tiny chat model from disk (random weights, bytes for
// tokens), each raising a known reward. KTO learns to say "cat" from thumbs up on "cat" replies and
// thumbs down on "dog" ones, ORPO and SimPO from pairs preferring the first; rejection sampling,
// RLOO, REINFORCE++ and PPO raise what a reward-function plug-in pays, the number of lowercase
// letters in a reply (a random policy's replies are mostly other bytes). Each run also writes its
// model, its summary and its held-out comparison with the starting model; the commands parse their
// flags (`--reward-fn` included) and print their help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPretrained } from '../../src/models/index.js';
import { loadTokenizer, stopIds } from '../../src/tokenizer/index.js';
import { encodePrompt, responseText } from '../../src/rlhf/core/prompts.js';
import { sampleResponses } from '../../src/rlhf/core/rollout.js';
import { KTO_DEFAULTS } from '../../src/rlhf/kto/config.js';
import { kto } from '../../src/rlhf/kto/trainer.js';
import { ORPO_DEFAULTS } from '../../src/rlhf/orpo/config.js';
import { orpo } from '../../src/rlhf/orpo/trainer.js';
import { SIMPO_DEFAULTS } from '../../src/rlhf/dpo/config.js';
import { dpo } from '../../src/rlhf/dpo/trainer.js';
import { RFT_DEFAULTS } from '../../src/rlhf/rft/config.js';
import { rft } from '../../src/rlhf/rft/trainer.js';
import { RLOO_DEFAULTS } from '../../src/rlhf/rloo/config.js';
import { rloo } from '../../src/rlhf/rloo/trainer.js';
import { REINFORCE_PP_DEFAULTS } from '../../src/rlhf/reinforce/config.js';
import { reinforcePp } from '../../src/rlhf/reinforce/trainer.js';
import { PPO_DEFAULTS } from '../../src/rlhf/ppo/config.js';
import { ppo } from '../../src/rlhf/ppo/run.js';
import { tinyChatModel, tmp, writeJsonlFile } from '../train/helpers.js';

const QUESTIONS = ['What is 2 + 3?', 'Reverse: cat dog', 'Uppercase: sun', 'Sort: b a', 'the day was', 'a walk in'];
const cats = (text: string): number => text.match(/cat/g)?.length ?? 0;
const letters = (text: string): number => text.match(/[a-z]/g)?.length ?? 0;

/** Mean `count` per response of the model in `dir`: 8 samples of each question, a fixed seed. */
async function rate(dir: string, count: (text: string) => number): Promise<number> {
  const model = await loadPretrained(dir), tok = loadTokenizer(dir);
  const ids = QUESTIONS.flatMap((q) => Array<number[]>(8).fill(encodePrompt(tok, q)));
  const s = await sampleResponses(model, ids, { maxNewTokens: 8, temperature: 1, topK: 0, stopTokenIds: stopIds(tok, model.config.eosTokenId), seed: 11, chunk: 48 });
  return s.responses.reduce((a, r) => a + count(responseText(tok, r)), 0) / ids.length;
}

/** The tiny model, its cat rate, and the data every run reads. */
async function fixture(name: string) {
  const base = tinyChatModel();
  const dir = tmp(name);
  const prompts = writeJsonlFile(join(dir, 'prompts.jsonl'), QUESTIONS.map((prompt) => ({ prompt, gold: { kind: 'continuation' } })));
  const pairs = writeJsonlFile(join(dir, 'pairs.jsonl'), QUESTIONS.flatMap((prompt) => [{ prompt, chosen: 'cat cat cat', rejected: 'dog dog dog' }, { prompt, chosen: 'the cat sat', rejected: 'the dog ran' }]));
  const labels = writeJsonlFile(join(dir, 'labels.jsonl'), QUESTIONS.flatMap((q) => [
    { prompt: [{ role: 'user', content: q }], completion: [{ role: 'assistant', content: 'cat cat cat' }], label: true },
    { prompt: q, completion: 'dog dog dog', label: false },
  ]));
  const rewardFn = join(dir, 'letters.mjs');
  writeFileSync(rewardFn, 'export function score(prompt, response) { return response.match(/[a-z]/g)?.length ?? 0; }\n');
  return { base, dir, prompts, pairs, labels, rewardFn };
}

const evalKeys = (prompts: string) => ({ prompts, limit: 0, maxNewTokens: 6, temperature: 1 });
const offlineTrain = { steps: 60, batchSize: 4, lr: 3e-2, warmupSteps: 0, saveEvery: 0, logEvery: 10 };

test('KTO, ORPO and SimPO raise how often the policy says what the labels prefer', async () => {
  const f = await fixture('offline-methods');
  const before = await rate(f.base, cats);
  // β 1 rather than 0.1: KTO's saturating loss moves a random model slowly at the paper's β.
  const k = await kto({
    ...structuredClone(KTO_DEFAULTS), out: join(f.dir, 'kto'), model: f.base, beta: 1, data: { train: f.labels, val: f.labels, maxLen: 64, limit: 0 },
    train: { ...KTO_DEFAULTS.train, ...offlineTrain }, eval: evalKeys(f.prompts),
  }, { quiet: true });
  const o = await orpo({
    ...structuredClone(ORPO_DEFAULTS), out: join(f.dir, 'orpo'), model: f.base, data: { train: f.pairs, val: f.pairs, maxLen: 64, limit: 0 },
    train: { ...ORPO_DEFAULTS.train, ...offlineTrain }, eval: evalKeys(f.prompts),
  }, { quiet: true });
  const s = await dpo({
    ...structuredClone(SIMPO_DEFAULTS), out: join(f.dir, 'simpo'), model: f.base, data: { train: f.pairs, val: f.pairs, maxLen: 64, limit: 0 },
    train: { ...SIMPO_DEFAULTS.train, ...offlineTrain }, eval: evalKeys(f.prompts),
  }, { quiet: true });
  assert.equal(k.desirable, 6);
  assert.equal(k.undesirable, 6);
  assert.equal(s.referenceSeconds < 0.05, true, 'SimPO computes no reference log-probs');
  for (const [name, summary] of [['kto', k], ['orpo', o], ['simpo', s]] as const) {
    assert.ok(existsSync(join(summary.model, 'model.safetensors')), `${name} saved its model`);
    assert.equal(summary.eval?.prompts, QUESTIONS.length, `${name} met its starting model on the held-out prompts`);
    const after = await rate(summary.model, cats);
    assert.ok(after > before + 0.3, `${name}: cats per response ${before.toFixed(2)} → ${after.toFixed(2)}`);
  }
  assert.ok((k.valAccuracy ?? 0) > 0.5 && (o.valAccuracy ?? 0) > 0.5 && (s.valRewardAccuracy ?? 0) > 0.5);
});

test('rejection-sampling fine-tuning with a reward-function plug-in raises its reward over two rounds', async () => {
  const f = await fixture('rft');
  const before = await rate(f.base, letters);
  const s = await rft({
    ...structuredClone(RFT_DEFAULTS), out: join(f.dir, 'rft'), policy: f.base, rewardFn: f.rewardFn, data: { prompts: f.prompts, maxPromptLen: 64 },
    rounds: 2, n: 8, rollout: { maxNewTokens: 8, temperature: 1, topK: 0 }, requireFinished: false,
    sft: { train: { ...RFT_DEFAULTS.sft.train, ...offlineTrain, steps: 12 }, maxLen: 64 }, eval: evalKeys(f.prompts),
  }, { quiet: true });
  assert.equal(s.rounds.length, 2);
  assert.ok(s.rounds.every((r) => r.kept === QUESTIONS.length && r.keptScore >= r.score));
  assert.ok(s.rounds[1].score > s.rounds[0].score, `round scores ${s.rounds.map((r) => r.score.toFixed(2)).join(' → ')}`);
  assert.ok(existsSync(join(f.dir, 'rft', 'round-2', 'selected.jsonl')));
  const after = await rate(s.model, letters);
  assert.ok(after > before + 0.5, `letters per response ${before.toFixed(2)} → ${after.toFixed(2)}`);
  // Resumed after both rounds: nothing is sampled or trained again.
  const again = await rft({ ...JSON.parse(readFileSync(join(f.dir, 'rft', 'train_config.json'), 'utf8')) }, { quiet: true, resume: true });
  assert.deepEqual(again.rounds.map((r) => r.keptScore), s.rounds.map((r) => r.keptScore));
});

test('RLOO, REINFORCE++ and PPO from disk with a reward-function plug-in: the reward rises, the summary holds the comparison', async () => {
  const f = await fixture('online-methods');
  const before = await rate(f.base, letters);
  const shared = {
    policy: f.base, rewardFn: f.rewardFn, data: { prompts: f.prompts, maxPromptLen: 64 }, iterations: 10, promptsPerIteration: 6,
    rollout: { maxNewTokens: 8, temperature: 1, topK: 0, dtype: 'f32' as const }, score: { normalize: false, clip: 0, missingEosPenalty: 0 }, epochs: 2, miniBatchSize: 12,
    eval: evalKeys(f.prompts), saveEvery: 5,
  };
  const a = await rloo({ ...structuredClone(RLOO_DEFAULTS), ...shared, out: join(f.dir, 'rloo'), samplesPerPrompt: 4, optim: { ...RLOO_DEFAULTS.optim, lr: 3e-2 } }, { quiet: true });
  const b = await reinforcePp({ ...structuredClone(REINFORCE_PP_DEFAULTS), ...shared, out: join(f.dir, 'rpp'), samplesPerPrompt: 4, groupBaseline: true, optim: { ...REINFORCE_PP_DEFAULTS.optim, lr: 3e-2 } }, { quiet: true });
  const c = await ppo({
    ...structuredClone(PPO_DEFAULTS), out: join(f.dir, 'ppo'), policy: f.base, rewardFn: f.rewardFn, data: { prompts: f.prompts, maxPromptLen: 64 }, iterations: 10,
    rollout: { ...PPO_DEFAULTS.rollout, batchSize: 24, maxNewTokens: 8, temperature: 1, topK: 0 }, ppo: { ...PPO_DEFAULTS.ppo, miniBatchSize: 12 }, score: { normalize: false, clip: 0, missingEosPenalty: 0 },
    optim: { ...PPO_DEFAULTS.optim, actorLr: 3e-2, criticLr: 3e-2 }, eval: evalKeys(f.prompts), saveEvery: 5,
  }, { quiet: true });
  // PPO with a reward function: the critic starts from the policy with a new value head.
  assert.ok(existsSync(join(c.valueModel, 'model.safetensors')) && c.eval?.prompts === QUESTIONS.length);
  const ppoAfter = await rate(c.model, letters);
  assert.ok(ppoAfter > before + 1, `ppo: letters per response ${before.toFixed(2)} → ${ppoAfter.toFixed(2)}`);
  for (const s of [a, b]) {
    assert.match(s.reward, /reward function .*letters\.mjs/);
    assert.equal(s.eval?.prompts, QUESTIONS.length);
    assert.ok(Number.isFinite(s.last!.kl) && s.last!.kl > 0, `${s.method} moved from its reference`);
    const after = await rate(s.model, letters);
    assert.ok(after > before + 1, `${s.method}: letters per response ${before.toFixed(2)} → ${after.toFixed(2)}`);
  }
});

test('the commands parse their flags: --reward-fn reaches the config, bad keys are named, --help lists every key', async () => {
  const commands: Record<string, { run(argv: string[]): Promise<void> }> = {
    rloo: await import('../../src/cli/rloo.js'), 'reinforce-pp': await import('../../src/cli/reinforce-pp.js'), rft: await import('../../src/cli/rft.js'),
    kto: await import('../../src/cli/kto.js'), orpo: await import('../../src/cli/orpo.js'), simpo: await import('../../src/cli/simpo.js'), grpo: await import('../../src/cli/grpo.js'),
  };
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => { printed.push(line); };
  try {
    for (const [name, cmd] of Object.entries(commands)) {
      printed.length = 0;
      await cmd.run(['--help']);
      assert.match(printed.join('\n'), new RegExp(`rlhf ${name}[\\s\\S]*config keys`), name);
    }
  } finally {
    console.log = log;
  }
  await assert.rejects(commands.rloo.run(['--policy', 'p', '--reward', 'rm', '--reward-fn', 'f.js', '--data.prompts', 'x.jsonl']), /give exactly one of reward .* got reward "rm" and rewardFn "f\.js"/);
  await assert.rejects(commands.kto.run(['--model', 'm', '--data.train', 'x.jsonl', '--train.batchSize', '1']), /train\.batchSize must be ≥ 2/);
  await assert.rejects(commands.orpo.run(['--model', 'm', '--data.train', 'x.jsonl', '--lamda', '0.2']), /unknown key "lamda"/);
  // The dashed flag reaches the config: the module it names is loaded (and here, missing).
  const dir = tmp('grpo-cli');
  const prompts = writeJsonlFile(join(dir, 'prompts.jsonl'), QUESTIONS.map((prompt) => ({ prompt })));
  await assert.rejects(commands.grpo.run(['--policy', tinyChatModel(), '--data.prompts', prompts, '--reward-fn', 'no/such.js', '--quiet', '--out', join(dir, 'run')]), /reward function no\/such\.js: no such file/);
});

// The frozen reference policy the KL penalty (PPO, GRPO) and DPO's implicit reward are measured
// against: a separate copy of the SFT model, or — when the trained policy is the SFT model plus LoRA
// adapters — the policy itself with its adapters switched off, so the base weights are held once.
import { noGrad } from '../../engine/autograd.js';
import type { CausalLM } from '../../models/index.js';
import type { LoraModel } from '../../train/lora.js';
import { responseLogprobs, type SequenceBatch } from './batch.js';

export interface Reference {
  /** log π_ref of each response token, [B·R] (0 on padding), computed without the tape. */
  logprobs(batch: SequenceBatch): Float32Array;
}

/** Runs fn with every LoRA adapter detached (the plain base layers), then re-attaches them. */
export function withAdaptersOff<T>(lora: LoraModel, fn: () => T): T {
  // LoraModel exposes detach() but not its private attach(): keep the attached forwards (own
  // properties of each wrapped layer) and put them back.
  const attached = [...lora.adapters.values()].map((a) => [a.layer, a.layer.forward] as const);
  lora.detach();
  try {
    return fn();
  } finally {
    for (const [layer, forward] of attached) layer.forward = forward;
  }
}

function logprobsOf(model: CausalLM, batch: SequenceBatch): Float32Array {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => responseLogprobs(model, batch).logprobs.f);
  } finally {
    model.train(wasTraining);
  }
}

export function modelReference(model: CausalLM): Reference {
  return { logprobs: (batch) => logprobsOf(model, batch) };
}

export function loraReference(lora: LoraModel): Reference {
  return { logprobs: (batch) => withAdaptersOff(lora, () => logprobsOf(lora.model, batch)) };
}

// Gated feed-forward activation: SwiGLU(gate, up) = silu(gate) ⊙ up (LLaMA's MLP), fused so the
// silu output is never stored.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';
import { sameShape } from './broadcast.js';

export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (!sameShape(gate.shape, up.shape)) throw new RangeError(`swiglu: gate [${gate.shape.join(', ')}] and up [${up.shape.join(', ')}] differ`);
  const out = zerosLike(gate);
  kernels().swigluForward(out.f, gate.f, up.f, gate.size);
  return record(out, 'swiglu', [gate, up], (g) => {
    const dgate = zerosLike(gate), dup = zerosLike(up);
    kernels().swigluBackward(dgate.f, dup.f, g.f, gate.f, up.f, gate.size);
    return [dgate, dup];
  });
}

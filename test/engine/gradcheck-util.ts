// Finite-difference gradient checking in float64 on the reference kernels, shared by the gradient
// tests: float64 makes central differences exact enough for tight tolerances.
import assert from 'node:assert/strict';
import { Tensor, Rng, noGrad } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';

const H = 1e-6;

/** Checks d(sum(f(xs) ⊙ w))/dxs against finite differences for every element of every input. */
export function gradcheck(name: string, inputs: Tensor[], f: (...xs: Tensor[]) => Tensor, { rtol = 1e-5, atol = 1e-7 } = {}): void {
  for (const x of inputs) { x.requireGrad(); x.grad = null; }
  const out = f(...inputs);
  const w = Tensor.randn(out.shape, new Rng(99), 1, 'f64');
  const project = (): number => {
    const o = noGrad(() => f(...inputs));
    let s = 0;
    for (let i = 0; i < o.size; i++) s += o.data[i] * w.data[i];
    return s;
  };
  op.sum(op.mul(out, w)).backward();
  inputs.forEach((x, xi) => {
    assert.ok(x.grad, `${name}: input ${xi} got no gradient`);
    for (let i = 0; i < x.size; i++) {
      const saved = x.data[i];
      x.data[i] = saved + H;
      const up = project();
      x.data[i] = saved - H;
      const down = project();
      x.data[i] = saved;
      const numeric = (up - down) / (2 * H), analytic = x.grad!.data[i];
      assert.ok(Math.abs(analytic - numeric) <= atol + rtol * Math.max(1, Math.abs(numeric)),
        `${name}: input ${xi} element ${i}: analytic ${analytic} vs numeric ${numeric}`);
    }
  });
}


// RMSNorm (LLaMA, Qwen2, Mistral) and LayerNorm (GPT-2) over the last axis.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';

function rowsOf(x: Tensor, w: Tensor, op: string): [number, number] {
  const C = x.shape[x.ndim - 1];
  if (w.size !== C) throw new RangeError(`${op}: weight of ${w.size} for features of ${C}${w.at()}`);
  return [x.size / C, C];
}

/** y = x / sqrt(mean(x²) + eps) · w */
export function rmsnorm(x: Tensor, w: Tensor, eps = 1e-6): Tensor {
  const [rows, C] = rowsOf(x, w, 'rmsnorm');
  const y = zerosLike(x), rstd = zerosLike(x, [rows]);
  kernels().rmsnormForward(y.f, rstd.f, x.f, w.f, rows, C, eps);
  return record(y, 'rmsnorm', [x, w], (g) => {
    const dx = zerosLike(x), dw = zerosLike(w);
    kernels().rmsnormBackward(dx.f, dw.f, g.f, x.f, w.f, rstd.f, rows, C);
    return [dx, dw];
  });
}

/** y = (x − mean) / sqrt(var + eps) · w + b */
export function layernorm(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): Tensor {
  const [rows, C] = rowsOf(x, w, 'layernorm');
  if (b.size !== C) throw new RangeError(`layernorm: bias of ${b.size} for features of ${C}${b.at()}`);
  const y = zerosLike(x), mean = zerosLike(x, [rows]), rstd = zerosLike(x, [rows]);
  kernels().layernormForward(y.f, mean.f, rstd.f, x.f, w.f, b.f, rows, C, eps);
  return record(y, 'layernorm', [x, w, b], (g) => {
    const dx = zerosLike(x), dw = zerosLike(w), db = zerosLike(b);
    kernels().layernormBackward(dx.f, dw.f, db.f, g.f, x.f, w.f, mean.f, rstd.f, rows, C);
    return [dx, dw, db];
  });
}

// Reverse-mode autodiff on a dynamic tape: each op links its output to its inputs with a backward
// function (TapeNode); backward() walks the graph once in reverse topological order.
import { kernels } from './backend.js';
import { Tensor, type TapeNode } from './tensor.js';

let gradDisabled = 0;

/** Runs fn without recording the tape (inference, target computations, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

export function gradEnabled(): boolean {
  return gradDisabled === 0;
}

let leafCollector: Set<Tensor> | null = null;

/** Runs fn and returns, with its result, every trainable leaf (a tensor requiring grad that no op
 * made: parameters, adapters) an op read while it ran, tape or no tape. Activation recomputation
 * (ops/checkpoint.ts) learns this way what a block's backward will reach. */
export function collectLeaves<T>(fn: () => T): { result: T; leaves: Tensor[] } {
  const outer = leafCollector, mine = new Set<Tensor>();
  leafCollector = mine;
  try {
    const result = fn();
    return { result, leaves: [...mine] };
  } finally {
    leafCollector = outer;
    if (outer) for (const t of mine) outer.add(t);
  }
}

/** Attaches a tape node to `out` when grad is on and any input needs a gradient. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: TapeNode['backward']): Tensor {
  if (leafCollector) for (const t of inputs) if (t.requiresGrad && !t.node) leafCollector.add(t);
  if (gradDisabled === 0 && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

/** Adds g into t's gradient slot, copying the first contribution so no buffer is shared. */
function accumulate(slot: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = slot.get(t);
  if (!prev) slot.set(t, g);
  else {
    const sum = prev.clone();
    kernels().axpy(sum.f, g.f, sum.size, 1);
    slot.set(t, sum);
  }
}

/** Back-propagates from `root` (a scalar, unless `grad` is given), adding into the .grad of every
 * leaf that requires one; repeated calls accumulate until the grads are zeroed. */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): the tensor does not require grad (no parameter reached it, or it was made under noGrad)');
  if (!grad && root.size !== 1) throw new RangeError(`backward(): root has shape [${root.shape.join(', ')}]; pass a gradient for non-scalars`);
  const seed = grad ?? Tensor.full(root.shape, 1, root.dtype);
  if (seed.size !== root.size) throw new RangeError('backward(): gradient shape does not match the root');

  // Reverse topological order by iterative DFS (models are deep enough to overflow recursion).
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) { order.push(t); continue; }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    if (t.node) for (const input of t.node.inputs) if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }

  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  for (let n = order.length - 1; n >= 0; n--) {
    const t = order[n];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    if (!t.node) {
      if (!t.grad) t.grad = new Tensor(g.data.slice(), t.shape);
      else kernels().axpy(t.grad.f, g.f, g.size, 1);
      continue;
    }
    const inputGrads = t.node.backward(g);
    t.node.inputs.forEach((input, i) => {
      const ig = inputGrads[i];
      if (ig && input.requiresGrad) accumulate(grads, input, ig);
    });
  }
}

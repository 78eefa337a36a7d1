// Activation recomputation (gradient checkpointing; Chen et al. 2016, torch.utils.checkpoint): run
// a block without recording its tape, keep only its input, and in the backward pass run it again
// with the tape on and back-propagate through that copy. A transformer layer then holds one
// [B, T, C] tensor between forward and backward instead of every intermediate, for the cost of a
// second forward.
import { backward, collectLeaves, gradEnabled, noGrad, record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';

/**
 * y = fn(x), recomputed in backward. The trainable tensors fn reads (parameters, adapters) are
 * found while it runs; the recomputed pass adds their gradients into their .grad, as any backward
 * does for leaves. `replay` is called before each run of fn (forward and recompute) so randomness
 * inside fn (dropout) can draw the same numbers both times; fn must be deterministic apart from
 * that.
 */
export function checkpoint(fn: (x: Tensor) => Tensor, x: Tensor, replay: () => void = () => undefined): Tensor {
  replay();
  if (!gradEnabled()) return fn(x);
  const { result: y, leaves } = collectLeaves(() => noGrad(() => fn(x)));
  if (!x.requiresGrad && leaves.length === 0) return y;
  return record(y, 'checkpoint', [x, ...leaves], (g) => {
    // The block again, with the tape, from a leaf copy of its input: backward through it adds the
    // leaves' gradients into their .grad and leaves the input's in xLeaf.grad.
    const xLeaf = x.detach().requireGrad(true);
    replay();
    backward(fn(xLeaf), g);
    return [x.requiresGrad ? xLeaf.grad : null, ...leaves.map(() => null)];
  });
}

/**
 * The sum of the scalars fn(x[r0:r1], r0, r1) over blocks of `rows` rows of x's first axis, each
 * block recomputed in backward. What fn makes from a block (an LM head's [rows, V] logits) then
 * exists for one block at a time, in forward and in backward — checkpoint() over the whole of x
 * would rebuild all of it at once in backward. fn must be deterministic. The blocks' input
 * gradients are written into one buffer, not summed as one full-size gradient per block.
 */
export function checkpointRows(fn: (x: Tensor, r0: number, r1: number) => Tensor, x: Tensor, rows: number): Tensor {
  if (!(Number.isInteger(rows) && rows > 0)) throw new RangeError(`checkpointRows: rows must be a positive integer, got ${rows}`);
  const n = x.shape[0], row = n ? x.size / n : 0, inner = x.shape.slice(1);
  const block = (r0: number, r1: number): Tensor => new Tensor(x.data.subarray(r0 * row, r1 * row), [r1 - r0, ...inner]);
  const blocks: [number, number][] = [];
  for (let r0 = 0; r0 < n; r0 += rows) blocks.push([r0, Math.min(n, r0 + rows)]);
  const sum = (): number => blocks.reduce((total, [r0, r1]) => total + fn(block(r0, r1), r0, r1).item(), 0);
  if (!gradEnabled()) return Tensor.scalar(sum(), x.dtype);
  // The blocks are views of x's storage, so the leaves fn reads are the trainable tensors besides x.
  const { result: total, leaves } = collectLeaves(() => noGrad(sum));
  const y = Tensor.scalar(total, x.dtype);
  if (!x.requiresGrad && leaves.length === 0) return y;
  return record(y, 'checkpointRows', [x, ...leaves], (g) => {
    const dx = x.requiresGrad ? zerosLike(x) : null;
    for (const [r0, r1] of blocks) {
      const xLeaf = block(r0, r1).requireGrad(true);
      backward(fn(xLeaf, r0, r1), g);
      if (dx && xLeaf.grad) dx.data.set(xLeaf.grad.data, r0 * row);
    }
    return [dx, ...leaves.map(() => null)];
  });
}

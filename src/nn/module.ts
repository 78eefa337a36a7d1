// Module: a named tree of parameters. Names are dotted paths in the Hugging Face style
// (`model.layers.3.mlp.up_proj.weight`), so checkpoint I/O is a table lookup, not code.
import { Tensor } from '../engine/tensor.js';

export abstract class Module {
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  training = true;

  /** Registers a trainable tensor under `name` and returns it. */
  protected param(name: string, t: Tensor): Tensor {
    t.requireGrad();
    this.params.set(name, t);
    return t;
  }

  /** Registers a sub-module under `name` and returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Every parameter with its dotted name, in registration order. */
  namedParameters(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, t] of this.params) out.set(prefix + n, t);
    for (const [n, m] of this.children) for (const [pn, t] of m.namedParameters(`${prefix}${n}.`)) out.set(pn, t);
    for (const [n, t] of out) t.name ??= n;
    return out;
  }

  /** This module and every descendant with its dotted name ('' for this one), parents first:
   * how adapters (LoRA) find the layers they wrap by name. */
  namedModules(prefix = ''): Map<string, Module> {
    const out = new Map<string, Module>([[prefix.replace(/\.$/, ''), this]]);
    for (const [n, m] of this.children) for (const [mn, sub] of m.namedModules(`${prefix}${n}.`)) out.set(mn, sub);
    return out;
  }

  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  train(on = true): this {
    this.training = on;
    for (const m of this.children.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}

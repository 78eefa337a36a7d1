// An exponential moving average of trained weights (DeepSpeed-Chat's optional EMA actor):
// θ_ema ← d·θ_ema + (1 − d)·θ after every optimizer update (the loop calls update()). The averaged
// weights are swapped into the live tensors to save them, then swapped back.
import { join } from 'node:path';
import type { Tensor } from '../engine/tensor.js';
import { SafetensorsFile, writeSafetensors } from '../models/index.js';

const FILE = 'ema.safetensors';

export class Ema {
  private readonly shadow: Map<string, Float32Array>;

  constructor(private readonly params: Map<string, Tensor>, readonly decay: number) {
    this.shadow = new Map([...params].map(([n, p]) => [n, p.f.slice()]));
  }

  update(): void {
    const d = this.decay;
    for (const [n, p] of this.params) {
      const s = this.shadow.get(n)!, x = p.f;
      for (let i = 0; i < s.length; i++) s[i] = d * s[i] + (1 - d) * x[i];
    }
  }

  /** The averages' own arrays, in the parameters' order (to send them to other ranks). */
  buffers(): Float32Array[] {
    return [...this.shadow.values()];
  }

  /** Runs fn with the averaged weights in the live tensors. */
  withAveraged<T>(fn: () => T): T {
    const swap = (): void => {
      for (const [n, p] of this.params) {
        const s = this.shadow.get(n)!, live = p.f.slice();
        p.f.set(s);
        s.set(live);
      }
    };
    swap();
    try {
      return fn();
    } finally {
      swap();
    }
  }

  /** The averages, for a checkpoint folder. */
  save(dir: string): void {
    writeSafetensors(join(dir, FILE), [...this.shadow].map(([name, data]) => ({ name, shape: this.params.get(name)!.shape, data })));
  }

  load(dir: string): void {
    const file = new SafetensorsFile(join(dir, FILE));
    try {
      for (const [n, s] of this.shadow) {
        if (!file.tensors.has(n)) throw new Error(`${dir}/${FILE}: missing "${n}"`);
        s.set(file.readFloat(n));
      }
    } finally {
      file.close();
    }
  }
}

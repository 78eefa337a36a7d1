// The engine guide's example (docs/engine.md): a two-layer MLP learns y = sin(3x).
import { AdamW, Linear, Rng, Tensor, mean, square, sub, tanh } from 'rlhf-ts';

const rng = new Rng(0);
const x = Tensor.uniform([256, 1], rng, -1, 1);
const y = Tensor.from(x.data.map((v) => Math.sin(3 * v)), [256, 1]);
const fc1 = new Linear(1, 64, { rng, std: 1 }), fc2 = new Linear(64, 1, { rng, std: 0.1 });
const opt = new AdamW([...fc1.parameters(), ...fc2.parameters()], { lr: 0.01, weightDecay: 0 });
for (let step = 0; step <= 500; step++) {
  const loss = mean(square(sub(fc2.forward(tanh(fc1.forward(x))), y)));
  fc1.zeroGrad(); fc2.zeroGrad();
  loss.backward();
  opt.update();
  if (step % 100 === 0) console.log(`step ${step}  loss ${loss.item().toFixed(5)}`);
}

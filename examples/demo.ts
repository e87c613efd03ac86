// Prints the adapter and runs a few ops with a gradient: a smoke test of the set-up.
import { init, randn, tensor } from '../src/index.ts';

await init({ verbose: true });
const x = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3], { requiresGrad: true });
const w = randn([3, 2], { seed: 1 }).setRequiresGrad();
const y = x.matmul(w).tanh().sum();
y.backward();
console.log('x =', Array.from(await x.data()));
console.log('sum(tanh(x @ w)) =', await y.item());
console.log(
  'd/dx =',
  Array.from(await x.grad!.data()).map((v) => v.toFixed(4)),
);

// The functional namespace, as torch.nn.functional: `import { F } from '...'; F.conv2d(x, w, b, opts)`.
export { conv2d, convTranspose2d } from './ops/conv.ts';
export { leakyRelu, relu, sigmoid, tanh } from './ops/elementwise.ts';
export { linear } from './ops/matmul.ts';
export { batchNorm2d, instanceNorm2d } from './ops/norm.ts';
export { avgPool2d, dropout, maxPool2d, reflectionPad2d, upsample2d } from './ops/pool.ts';

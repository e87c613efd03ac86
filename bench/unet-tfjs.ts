// Our U-Net generator rebuilt from tfjs ops with the same weights, for bench/vs-tfjs.ts. The module
// tree is walked layer by layer (Conv2d, ConvTranspose2d, LeakyReLU, ReLU, Tanh, InstanceNorm2d,
// Dropout in eval mode, Sequential, the U-Net blocks with their concatenated skips), each layer turned
// into the tfjs op(s) a tfjs user would write, weights copied after the layout transposes. Anything
// else throws, so the tfjs network cannot silently differ from ours.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, ConvTranspose2d } from '../src/nn/conv.ts';
import { LeakyReLU, ReLU, Sequential, Tanh } from '../src/nn/layers.ts';
import type { AnyModule } from '../src/nn/module.ts';
import { InstanceNorm2d } from '../src/nn/norm.ts';
import { Dropout } from '../src/nn/pool.ts';
import { pair } from '../src/shape.ts';

type Layer = (x: tf.Tensor4D) => tf.Tensor4D;

/** Row-major permutation of a 4-d array: out dims = dims[perm]. */
export function permute4(a: Float32Array, dims: number[], perm: number[]): Float32Array {
  const od = perm.map((p) => dims[p]);
  const st = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const ps = perm.map((p) => st[p]);
  const out = new Float32Array(a.length);
  let o = 0;
  for (let i = 0; i < od[0]; i++)
    for (let j = 0; j < od[1]; j++)
      for (let k = 0; k < od[2]; k++) {
        const base = i * ps[0] + j * ps[1] + k * ps[2];
        for (let l = 0; l < od[3]; l++) out[o++] = a[base + l * ps[3]];
      }
  return out;
}
export const NCHW_TO_NHWC = [0, 2, 3, 1];
/** Ours [K, C, kh, kw] (and convTranspose [Cin, Cout, kh, kw]) to tfjs [kh, kw, C, K] ([kh, kw, Cout, Cin]). */
export const OIHW_TO_HWIO = [2, 3, 1, 0];

/**
 * GEMM FLOPs of a U-Net forward (G_Unet_add_input's structure): per level i (output side S / 2^(i+1))
 * a 4x4 s2 down conv c[i] -> c[i+1] and a 4x4 s2 transposed conv back, each 2 * N * out * OH * OW *
 * in * 16 counted on its small side.
 */
export function unetFlops(S: number, N: number, inNc: number, outNc: number, ngf: number, downs: number) {
  const c = [inNc];
  for (let i = 0; i < downs; i++) c.push(ngf * 2 ** Math.min(i, 3));
  let f = 0;
  for (let i = 0; i < downs; i++) {
    const OH = S / 2 ** (i + 1);
    const inner = c[i + 1];
    f += 2 * N * inner * OH * OH * c[i] * 16; // down: c[i] at 2 OH -> inner at OH
    const upIn = i === downs - 1 ? inner : 2 * inner; // all but the innermost see the skip concat
    const upOut = i === 0 ? outNc : c[i];
    f += 2 * N * upIn * OH * OH * upOut * 16; // up: upIn at OH -> upOut at 2 OH
  }
  return f;
}

/** A U-Net block (generator.ts's UnetBlock): a `model` Sequential and an `outermost` flag. */
function unetBlock(m: AnyModule): { model: Sequential; outermost: boolean } | null {
  const model = m.getModule('model');
  const outermost = (m as { outermost?: unknown }).outermost;
  return model instanceof Sequential && typeof outermost === 'boolean' ? { model, outermost } : null;
}

/** The tfjs layer for one of our modules; `owned` collects the tfjs weights (dispose them after). */
export async function toTfjs(m: AnyModule, owned: tf.Tensor[]): Promise<Layer> {
  const keep = <X extends tf.Tensor>(t: X): X => {
    owned.push(t);
    return t;
  };
  if (m instanceof Conv2d || m instanceof ConvTranspose2d) {
    const [s, sw] = pair(m.opts.stride, 1);
    const [p, pw] = pair(m.opts.padding, 0);
    const [d, dw] = pair(m.opts.dilation, 1);
    if (s !== sw || p !== pw || d !== 1 || dw !== 1) throw new Error('toTfjs: square, undilated convs only');
    const [a, b, kh, kw] = m.weight.shape;
    const w = keep(
      tf.tensor4d(permute4(await m.weight.data(), m.weight.shape, OIHW_TO_HWIO), [kh, kw, b, a]),
    );
    const bias = m.bias ? keep(tf.tensor1d(await m.bias.data())) : undefined;
    // tfjs's fused conv adds the bias in the same kernel; it has no fused transposed conv.
    if (m instanceof Conv2d) return (x) => tf.fused.conv2d({ x, filter: w, strides: s, pad: p, bias });
    if (m.opts.outputPadding !== undefined && pair(m.opts.outputPadding, 0).some((v) => v !== 0))
      throw new Error('toTfjs: no output padding');
    return (x) => {
      const [n, h, wd] = x.shape;
      const shape: [number, number, number, number] = [
        n,
        (h - 1) * s - 2 * p + kh,
        (wd - 1) * s - 2 * p + kw,
        b,
      ];
      const y = tf.conv2dTranspose(x, w, shape, s, p);
      return bias ? tf.add(y, bias) : y;
    };
  }
  if (m instanceof LeakyReLU) return (x) => tf.leakyRelu(x, m.negativeSlope);
  if (m instanceof ReLU) return (x) => tf.relu(x);
  if (m instanceof Tanh) return (x) => tf.tanh(x);
  if (m instanceof InstanceNorm2d) {
    if (m.weight || m.bias) throw new Error('toTfjs: instance norm without affine parameters only');
    // tfjs has no instance norm: moments over H, W per channel, then batchNorm (batch 1 only).
    return (x) => {
      if (x.shape[0] !== 1) throw new Error('toTfjs: instance norm at batch 1 only');
      const C = x.shape[3];
      const { mean, variance } = tf.moments(x, [1, 2]);
      const mu = tf.reshape(mean, [C]) as tf.Tensor1D;
      const v = tf.reshape(variance, [C]) as tf.Tensor1D;
      return tf.batchNorm4d(x, mu, v, undefined, undefined, m.eps);
    };
  }
  if (m instanceof Dropout) {
    if (m.training && m.p > 0) throw new Error('toTfjs: dropout in training mode');
    return (x) => x;
  }
  if (m instanceof Sequential) {
    const layers: Layer[] = [];
    for (let i = 0; i < m.length; i++) layers.push(await toTfjs(m.at(i), owned));
    return (x) => layers.reduce((h, f) => f(h), x);
  }
  const block = unetBlock(m);
  if (block) {
    const inner = await toTfjs(block.model, owned);
    return block.outermost ? inner : (x) => tf.concat([inner(x), x], 3);
  }
  throw new Error(`toTfjs: no tfjs translation for ${m.constructor.name}`);
}

/** G(A, z) for where_add 'input': z tiled over H x W and appended to A's channels, then the U-Net. */
export async function unetToTfjs(
  g: AnyModule & { opts: { whereAdd: string } },
  owned: tf.Tensor[],
): Promise<(a: tf.Tensor4D, z: tf.Tensor2D) => tf.Tensor4D> {
  if (g.opts.whereAdd !== 'input') throw new Error("unetToTfjs: where_add 'input' only");
  const model = g.getModule('model');
  if (!model) throw new Error('unetToTfjs: the generator has no model');
  const net = await toTfjs(model, owned);
  return (a, z) => {
    const [n, h, w] = a.shape;
    const zImg = tf.tile(tf.reshape(z, [n, 1, 1, z.shape[1]]), [1, h, w, 1]) as tf.Tensor4D;
    return net(tf.concat([a, zImg], 3));
  };
}

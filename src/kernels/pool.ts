// kernels/pool.wgsl (average and max pooling) and kernels/resample.wgsl (upsampling, reflection
// padding) over NCHW planes. Every entry is a gather, one thread per element it writes.
import type { Tensor } from '../tensor.ts';
import { declareKernel, type ParamValues, wgslConst } from './declare.ts';

/** Average pooling: elements per thread. */
const AVG_E = wgslConst('pool', 'E');

const POOL = declareKernel({
  name: 'pool',
  files: ['pool'],
  params: {
    planes: 'u32',
    H: 'u32',
    W: 'u32',
    OH: 'u32',
    OW: 'u32',
    kh: 'u32',
    kw: 'u32',
    sh: 'u32',
    sw: 'u32',
    ph: 'u32',
    pw: 'u32',
    include_pad: 'u32',
    accumulate: 'u32',
  },
  entries: {
    avgpool_forward: ['src', 'dst'],
    avgpool_backward: ['src', 'dst'],
    maxpool_forward: ['src', 'dst', 'arg'],
    maxpool_backward: ['src', 'dst', 'arg'],
  },
});

const RESAMPLE = declareKernel({
  name: 'resample',
  files: ['resample'],
  params: { planes: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', scale: 'u32', top: 'u32', left: 'u32' },
  entries: {
    upsample_nearest_forward: ['src', 'dst'],
    upsample_nearest_backward: ['src', 'dst'],
    upsample_bilinear_forward: ['src', 'dst'],
    upsample_bilinear_backward: ['src', 'dst'],
    reflect_pad_forward: ['src', 'dst'],
    reflect_pad_backward: ['src', 'dst'],
  },
});

export type PoolParams = ParamValues<typeof POOL.decl.params>;
export type ResampleParams = ParamValues<typeof RESAMPLE.decl.params>;

/** Average pooling forward (src = x, dst = y) or backward (src = dy, dst = dx). */
export function avgPool(
  entry: 'avgpool_forward' | 'avgpool_backward',
  p: PoolParams,
  src: Tensor,
  dst: Tensor,
): Tensor {
  if (dst.size > 0) POOL.run(entry, { params: p, bind: { src, dst }, threads: Math.ceil(dst.size / AVG_E) });
  return dst;
}

/** Max pooling forward (writes the argmax of each window into arg) or backward (reads it). */
export function maxPool(
  entry: 'maxpool_forward' | 'maxpool_backward',
  p: PoolParams,
  src: Tensor,
  dst: Tensor,
  arg: Tensor,
): Tensor {
  if (dst.size > 0) POOL.run(entry, { params: p, bind: { src, dst, arg }, threads: dst.size });
  return dst;
}

export type ResampleEntry = keyof typeof RESAMPLE.decl.entries;

/** One upsample or reflection-pad direction: dst gathers from src. */
export function resample(entry: ResampleEntry, p: ResampleParams, src: Tensor, dst: Tensor): Tensor {
  if (dst.size > 0) RESAMPLE.run(entry, { params: p, bind: { src, dst }, threads: dst.size });
  return dst;
}

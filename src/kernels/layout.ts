// kernels/layout.wgsl: the strided copy behind every copying shape op (permute, expand, slice,
// concat), and constant padding as one gather. Launchers record no gradient.
import { MAX_RANK, numel, type Shape, stridesOf } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { declareKernel } from './declare.ts';

const LAYOUT = declareKernel({
  name: 'layout',
  files: ['layout'],
  params: {
    n: 'u32',
    rank: 'u32',
    src_off: 'u32',
    dst_off: 'u32',
    value: 'f32',
    shape: 'u32x8',
    ss: 'u32x8',
    ds: 'u32x8',
    before: 'u32x8',
  },
  entries: { strided_copy: ['src', 'dst'], pad_gather: ['src', 'dst'] },
});

/** dst[dOff + idx . dStrides] = src[sOff + idx . sStrides] for every idx of `shape`. */
export function stridedCopy(
  src: Tensor,
  dst: Tensor,
  shape: Shape,
  sStrides: number[],
  sOff: number,
  dStrides: number[],
  dOff: number,
): void {
  const n = numel(shape);
  if (n === 0) return;
  // Merge dimensions that are contiguous in both tensors (a channel slice of NCHW becomes [N, C*H*W]):
  // fewer divisions per element in the kernel.
  const dims: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const k = dims.length - 1;
    if (k >= 0 && ss[k] === sStrides[i] * d && ds[k] === dStrides[i] * d) {
      dims[k] *= d;
      ss[k] = sStrides[i];
      ds[k] = dStrides[i];
    } else {
      dims.push(d);
      ss.push(sStrides[i]);
      ds.push(dStrides[i]);
    }
  });
  if (dims.length > MAX_RANK) throw new Error(`copy: at most ${MAX_RANK} dimensions are supported`);
  LAYOUT.run('strided_copy', {
    params: {
      n,
      rank: dims.length,
      src_off: sOff,
      dst_off: dOff,
      value: 0,
      shape: dims,
      ss,
      ds,
      before: [],
    },
    bind: { src, dst },
    threads: n,
  });
}

/** x broadcast to `shape` (a copy; leading dims may be added). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.ndim;
  const xs = stridesOf(x.shape);
  const src = shape.map((d, i) => (i < lead || x.shape[i - lead] !== d ? 0 : xs[i - lead]));
  const out = Tensor.empty(shape);
  stridedCopy(x, out, shape, src, 0, stridesOf(shape), 0);
  return out;
}

/** x padded with `value`: pads[i] = [before, after] of dimension i. */
export function padGather(x: Tensor, pads: [number, number][], value: number): Tensor {
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = Tensor.empty(shape);
  if (out.size === 0) return out;
  // Fold every unpadded dimension into the one outside it (NCHW padded in H, W becomes [N*C, H, W]):
  // fewer divisions per element in the gather.
  const dims: { size: number; before: number; after: number }[] = [];
  x.shape.forEach((d, i) => {
    const [b, a] = pads[i];
    const outer = dims[dims.length - 1];
    if (outer && b === 0 && a === 0) {
      outer.size *= d;
      outer.before *= d;
      outer.after *= d;
    } else dims.push({ size: d, before: b, after: a });
  });
  const inShape = dims.map((d) => d.size);
  // pad_gather reads: shape = output dims, ss = input strides, ds = input dims, before = padding.
  LAYOUT.run('pad_gather', {
    params: {
      n: out.size,
      rank: dims.length,
      src_off: 0,
      dst_off: 0,
      value,
      shape: dims.map((d) => d.size + d.before + d.after),
      ss: stridesOf(inShape),
      ds: inShape,
      before: dims.map((d) => d.before),
    },
    bind: { src: x, dst: out },
    threads: out.size,
  });
  return out;
}

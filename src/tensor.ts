// Tensor: a shape plus a reference-counted GPU storage, and the autograd fields.
// Data is float32, dense and row-major (NCHW for images). View-like ops that keep the element order
// (reshape, detach) share storage; the others copy through a strided kernel.
import {
  freeNode,
  type GradNode,
  isGradEnabled,
  keep,
  runBackward,
  setTensorCheck,
  trackTensor,
} from './autograd.ts';
import { rt } from './gpu/runtime.ts';
import * as E from './ops/elementwise.ts';
import * as M from './ops/matmul.ts';
import * as R from './ops/reduce.ts';
import * as S from './ops/shape.ts';

export type Shape = readonly number[];
export type Scalar = number;

/** GPU memory shared by tensors that are views of each other; freed with the last reference. */
export class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly size: number,
  ) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) rt().pool.release(this.buffer);
  }
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape: Shape, op: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

let nextId = 0;

export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly size: number;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The op that made this tensor, while its graph is alive (null for leaves and after backward). */
  node: GradNode | null = null;
  /** Optional name, used in error messages and checkpoints. */
  name?: string;
  private store: Storage | null;

  constructor(storage: Storage, shape: Shape, requiresGrad = false) {
    this.store = storage;
    this.shape = [...shape];
    this.size = numel(shape);
    this.requiresGrad = requiresGrad;
    trackTensor(this);
  }

  /** A fresh tensor of the given shape with uninitialised contents (for op implementations). */
  static empty(shape: Shape): Tensor {
    const n = numel(shape);
    const bytes = Math.max(4, n * 4);
    const r = rt();
    if (bytes > r.maxBinding) {
      throw new Error(
        `tensor of shape ${fmt(shape)} needs ${bytes} bytes, over this device's storage binding limit of ${r.maxBinding}`,
      );
    }
    return new Tensor(new Storage(r.pool.acquire(bytes), n), shape);
  }

  get buffer(): GPUBuffer {
    if (!this.store)
      throw new Error(`tensor ${this.name ?? this.id} ${fmt(this.shape)} was used after dispose()`);
    return this.store.buffer;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.store === null;
  }

  /** A tensor of another shape over the same storage. */
  view(shape: Shape): Tensor {
    return new Tensor(this.store!.retain(), shape);
  }

  /** Copies the values back to the host (row-major). */
  async data(): Promise<Float32Array> {
    const bytes = await rt().read(this.buffer, this.size * 4);
    return new Float32Array(bytes);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, expected 1`);
    return (await this.data())[0];
  }

  /** Frees the GPU memory (shared storage when the last view goes). Safe to call twice. */
  dispose(): void {
    if (!this.store) return;
    this.store.release();
    this.store = null;
    freeNode(this);
  }

  /** Overwrites the contents with host data of the same size. */
  assign(values: Float32Array | Tensor): this {
    if (values instanceof Tensor) {
      if (values.size !== this.size)
        throw new Error(`assign: shapes ${fmt(this.shape)} and ${fmt(values.shape)}`);
      S.copyInto(values, this);
    } else {
      if (values.length !== this.size) {
        throw new Error(`assign: ${values.length} values for shape ${fmt(this.shape)}`);
      }
      rt().upload(this.buffer, values);
    }
    return this;
  }

  accumulateGrad(g: Tensor): void {
    if (!this.grad) {
      this.grad = keep(g);
      return;
    }
    const sum = keep(this.grad.add(g));
    this.grad.dispose();
    g.dispose();
    this.grad = sum;
  }

  /**
   * Backpropagates from this tensor; a non-scalar needs the gradient of its output. The graph is freed
   * afterwards unless `retainGraph` (a second backward through shared parts, as BicycleGAN's z-loss).
   */
  backward(grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) throw new Error('backward: tensor does not require grad (no input requires it)');
    if (!grad && this.size !== 1) {
      throw new Error(
        `backward: implicit gradient only for one-element outputs, got shape ${fmt(this.shape)}`,
      );
    }
    if (grad && grad.size !== this.size) {
      throw new Error(`backward: gradient shape ${fmt(grad.shape)} does not match output ${fmt(this.shape)}`);
    }
    const seed = grad ? grad.clone().detach() : E.full(this.shape, 1);
    runBackward(this, seed, opts.retainGraph ?? false);
  }

  /** A tensor sharing this one's values, cut from the graph. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  setRequiresGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  // ---- arithmetic (ops/elementwise.ts) ----
  add(o: Tensor | Scalar): Tensor {
    return E.add(this, o);
  }
  sub(o: Tensor | Scalar): Tensor {
    return E.sub(this, o);
  }
  mul(o: Tensor | Scalar): Tensor {
    return E.mul(this, o);
  }
  div(o: Tensor | Scalar): Tensor {
    return E.div(this, o);
  }
  pow(o: Tensor | Scalar): Tensor {
    return E.pow(this, o);
  }
  maximum(o: Tensor | Scalar): Tensor {
    return E.maximum(this, o);
  }
  minimum(o: Tensor | Scalar): Tensor {
    return E.minimum(this, o);
  }
  neg(): Tensor {
    return E.neg(this);
  }
  exp(): Tensor {
    return E.exp(this);
  }
  log(): Tensor {
    return E.log(this);
  }
  sqrt(): Tensor {
    return E.sqrt(this);
  }
  abs(): Tensor {
    return E.abs(this);
  }
  square(): Tensor {
    return E.pow(this, 2);
  }
  relu(): Tensor {
    return E.relu(this);
  }
  leakyRelu(slope = 0.01): Tensor {
    return E.leakyRelu(this, slope);
  }
  tanh(): Tensor {
    return E.tanh(this);
  }
  sigmoid(): Tensor {
    return E.sigmoid(this);
  }
  clone(): Tensor {
    return E.clone(this);
  }
  gt(o: Tensor | Scalar): Tensor {
    return E.compare('gt', this, o);
  }
  lt(o: Tensor | Scalar): Tensor {
    return E.compare('lt', this, o);
  }
  ge(o: Tensor | Scalar): Tensor {
    return E.compare('ge', this, o);
  }
  le(o: Tensor | Scalar): Tensor {
    return E.compare('le', this, o);
  }
  eq(o: Tensor | Scalar): Tensor {
    return E.compare('eq', this, o);
  }
  ne(o: Tensor | Scalar): Tensor {
    return E.compare('ne', this, o);
  }

  // ---- reductions (ops/reduce.ts) ----
  sum(axes?: number | number[], keepDim = false): Tensor {
    return R.sum(this, axes, keepDim);
  }
  mean(axes?: number | number[], keepDim = false): Tensor {
    return R.mean(this, axes, keepDim);
  }
  max(axes?: number | number[], keepDim = false): Tensor {
    return R.max(this, axes, keepDim);
  }

  // ---- linear algebra (ops/matmul.ts) ----
  matmul(o: Tensor): Tensor {
    return M.matmul(this, o);
  }

  // ---- shape (ops/shape.ts) ----
  reshape(shape: Shape): Tensor {
    return S.reshape(this, shape);
  }
  flatten(startDim = 0): Tensor {
    return S.reshape(this, [...this.shape.slice(0, startDim), -1]);
  }
  permute(dims: number[]): Tensor {
    return S.permute(this, dims);
  }
  transpose(d0 = -2, d1 = -1): Tensor {
    return S.transpose(this, d0, d1);
  }
  expand(shape: Shape): Tensor {
    return S.expand(this, shape);
  }
  slice(starts: number[], ends: number[]): Tensor {
    return S.slice(this, starts, ends);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return S.narrow(this, dim, start, length);
  }
  pad(pads: [number, number][], value = 0): Tensor {
    return S.pad(this, pads, value);
  }
}

setTensorCheck((x): x is Tensor => x instanceof Tensor);

/**
 * Records `out` as made from `inputs` when any of them requires grad and recording is on.
 * `saved` are internal tensors the backward needs; they are freed with the node (or now, if none).
 */
export function record(
  out: Tensor,
  inputs: Tensor[],
  backward: GradNode['backward'],
  saved?: Tensor[],
): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { inputs, backward, saved };
  } else for (const s of saved ?? []) s.dispose();
  return out;
}

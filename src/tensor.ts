// Tensor: a shape plus a reference-counted GPU storage, and the autograd fields.
// Data is float32, dense and row-major (NCHW for images). View-like ops that keep the element order
// (reshape, detach) share storage; the others copy through a strided kernel.
/// <reference types="@webgpu/types" preserve="true" />
// (kept in the .d.ts: the types of a built package need the WebGPU globals)
import { rt } from './gpu/runtime.ts';
import { track } from './scope.ts';
import { fmt, numel, type Shape } from './shape.ts';

export type Scalar = number;

/**
 * Computes the gradients of an op's inputs from the gradient of its output (null: no gradient).
 * `into(i)` offers the gradient already accumulated for input i (or undefined): a backward that can
 * add its result into it in place (a GEMM or reduction with an accumulating write) returns that very
 * tensor, which saves the separate add; any other result is summed in by the sweep.
 */
export type BackwardFn = (grad: Tensor, into: (input: number) => Tensor | undefined) => (Tensor | null)[];

/** The op that made a tensor: its inputs and backward (micrograd's _prev/_backward). */
export interface GradNode {
  inputs: Tensor[];
  backward: BackwardFn;
  /** Internal tensors only the backward needs (e.g. normalisation statistics): freed with the node. */
  saved?: Tensor[];
}

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

let nextId = 0;

/**
 * An n-dimensional float32 array on the GPU, dense and row-major (NCHW for images), with autograd fields.
 * Made by the creation ops; its storage is freed by `dispose()` or by the enclosing `tidy`.
 */
export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly size: number;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The op that made this tensor, while its graph is alive (null for leaves and after backward). */
  node: GradNode | null = null;
  /** Set when a backward() without retainGraph freed this tensor's node: a second one must fail. */
  graphFreed = false;
  /** Optional name, used in error messages and checkpoints. */
  name?: string;
  private store: Storage | null;

  constructor(storage: Storage, shape: Shape, requiresGrad = false) {
    this.store = storage;
    this.shape = [...shape];
    this.size = numel(shape);
    this.requiresGrad = requiresGrad;
    track(this);
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

  /** Whether another tensor views the same storage (then it must not be written in place). */
  get sharesStorage(): boolean {
    return (this.store?.refs ?? 1) > 1;
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
    this.freeNode();
  }

  /** Drops this tensor's graph node, freeing what only its backward needed. */
  freeNode(): void {
    if (!this.node) return;
    for (const s of this.node.saved ?? []) s.dispose();
    this.node = null;
  }

  /** Overwrites the contents with host data or another tensor's values (same number of elements). */
  assign(values: Float32Array | Tensor): this {
    if (values instanceof Tensor) {
      if (values.size !== this.size)
        throw new Error(`assign: shapes ${fmt(this.shape)} and ${fmt(values.shape)}`);
      rt().copy(values.buffer, this.buffer, this.size * 4);
    } else {
      if (values.length !== this.size) {
        throw new Error(`assign: ${values.length} values for shape ${fmt(this.shape)}`);
      }
      rt().upload(this.buffer, values);
    }
    return this;
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
}

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
  /**
   * Inputs that did not require grad when the op ran: they get no gradient from this node even if they
   * require it by the time of the backward (PyTorch builds no edge to them).
   */
  frozen?: Tensor[];
  /** Internal tensors only the backward needs (e.g. normalisation statistics): freed with the node. */
  saved?: Tensor[];
}

/**
 * GPU memory shared by tensors that are views of each other; freed with the last reference. A region
 * (an optimizer's packed parameters) is a byte range of a parent's buffer and holds the parent.
 */
export class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly size: number,
    readonly byteOffset = 0,
    private readonly parent: Storage | null = null,
  ) {}
  get isRegion(): boolean {
    return this.parent !== null;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs > 0) return;
    if (this.parent) this.parent.release();
    else rt().pool.release(this.buffer);
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
  /**
   * A zeroed region an optimizer set aside for this leaf's next gradient: the backward sweep offers it
   * for in-place accumulation while .grad is null, and a backward that used it makes it .grad. Whoever
   * writes the region otherwise must drop it.
   */
  gradSlot: Tensor | null = null;
  /**
   * True only while the backward sweep offers this tensor, a leaf's still-zeroed gradSlot, to an op's
   * backward as its `into`: a kernel may then write its result instead of adding it (one memory read
   * less per element), and must clear the flag once it has.
   */
  zeroed = false;
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

  /**
   * A fresh tensor of the given shape with uninitialised contents (for op implementations). `exact`
   * allocates just its bytes instead of a pooled size class: for tensors that live as long as a model.
   */
  static empty(shape: Shape, { exact = false }: { exact?: boolean } = {}): Tensor {
    const n = numel(shape);
    const bytes = Math.max(4, n * 4);
    const r = rt();
    if (bytes > r.maxBinding) {
      throw new Error(
        `tensor of shape ${fmt(shape)} needs ${bytes} bytes, over this device's storage binding limit of ${r.maxBinding}`,
      );
    }
    const buf = exact ? r.pool.acquireExact(bytes) : r.pool.acquire(bytes);
    return new Tensor(new Storage(buf, n), shape);
  }

  get buffer(): GPUBuffer {
    if (!this.store)
      throw new Error(`tensor ${this.name ?? this.id} ${fmt(this.shape)} was used after dispose()`);
    return this.store.buffer;
  }

  /** Whether this tensor's storage is a region of another's buffer (see region()). */
  get isRegion(): boolean {
    return this.store?.isRegion ?? false;
  }

  /** Where the values start in `buffer` (0 except for a region). */
  get byteOffset(): number {
    return this.store?.byteOffset ?? 0;
  }

  /** What a kernel binds: the whole buffer, or a region's byte range. */
  get binding(): GPUBufferBinding {
    const buffer = this.buffer;
    const s = this.store!;
    return s.isRegion ? { buffer, offset: s.byteOffset, size: Math.max(4, this.size * 4) } : { buffer };
  }

  /**
   * A tensor over elements offset .. offset + numel(shape) - 1 of this one's storage, with a storage
   * record of its own: it keeps this storage alive but does not count as sharing it, so regions must
   * not overlap (an optimizer packs its parameters this way). offset * 4 must be a multiple of the
   * device's minStorageBufferOffsetAlignment.
   */
  region(offset: number, shape: Shape): Tensor {
    const n = numel(shape);
    const s = this.store;
    if (!s) throw new Error(`region: tensor ${this.name ?? this.id} was used after dispose()`);
    if (offset < 0 || offset + n > this.size)
      throw new Error(`region: [${offset}, ${offset + n}) is outside ${this.size} elements`);
    return new Tensor(new Storage(s.buffer, n, s.byteOffset + offset * 4, s.retain()), shape);
  }

  /**
   * Copies the values into `target` (a region of the same size) and makes this tensor use its storage
   * from now on (the tensor object, held by a module, stays the same). Refuses a shared storage: its
   * other views would stop seeing this tensor's values.
   */
  moveInto(target: Tensor): void {
    if (target.size !== this.size)
      throw new Error(`moveInto: shapes ${fmt(this.shape)} and ${fmt(target.shape)}`);
    if (this.sharesStorage) throw new Error(`moveInto: tensor ${this.name ?? this.id} shares its storage`);
    target.assign(this);
    this.store!.release();
    this.store = target.store!.retain();
    target.dispose();
  }

  /** Whether both tensors read the same values (the same storage, or two records of one range). */
  sameStorage(other: Tensor): boolean {
    return this.buffer === other.buffer && this.byteOffset === other.byteOffset;
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
    const bytes = await rt().read(this.buffer, this.size * 4, this.byteOffset);
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
    this.gradSlot?.dispose();
    this.gradSlot = null;
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
      if (values.sameStorage(this)) return this;
      const bytes = this.size * 4;
      if (values.buffer === this.buffer) {
        // Two regions of one buffer: a buffer-to-buffer copy needs distinct buffers.
        const tmp = Tensor.empty(this.shape);
        rt().copy(values.buffer, tmp.buffer, bytes, values.byteOffset, 0);
        rt().copy(tmp.buffer, this.buffer, bytes, 0, this.byteOffset);
        tmp.dispose();
      } else rt().copy(values.buffer, this.buffer, bytes, values.byteOffset, this.byteOffset);
    } else {
      if (values.length !== this.size) {
        throw new Error(`assign: ${values.length} values for shape ${fmt(this.shape)}`);
      }
      rt().upload(this.buffer, values, this.byteOffset);
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

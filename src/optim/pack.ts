// Parameters packed for the one-launch Adam step: a parameter arena, a gradient arena and the two
// moment arenas share one layout (each tensor at an offset that is a multiple of 64 elements, 256
// bytes, the coarsest storage offset alignment WebGPU allows). The parameters are moved into their
// arena (the tensor objects stay, so modules keep working); the backward sweep accumulates gradients
// straight into the gradient arena through the parameters' grad slots, which zeroGrads() clears with
// one buffer clear.
import { rt } from '../gpu/runtime.ts';
import { keep } from '../scope.ts';
import { Tensor } from '../tensor.ts';

/** Region alignment in elements: 256 bytes. */
const ALIGN = 64;

const padded = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Whether a parameter can join a pack: not empty, not viewed by another tensor, in no pack yet. */
export function packable(p: Tensor): boolean {
  return p.size > 0 && !p.sharesStorage && !p.isRegion;
}

/**
 * Splits parameters (all packable) into runs for packs: at most `maxTensors` each and at most
 * `maxBytes` per arena.
 */
export function packRuns(params: Tensor[], maxTensors: number, maxBytes: number): Tensor[][] {
  const runs: Tensor[][] = [];
  let run: Tensor[] = [];
  let bytes = 0;
  for (const p of params) {
    const b = padded(p.size) * 4;
    if (run.length > 0 && (run.length >= maxTensors || bytes + b > maxBytes)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(p);
    bytes += b;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export class ParamPack {
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  private readonly offsets = new Map<Tensor, number>();

  constructor(readonly params: Tensor[]) {
    const align = rt().device.limits.minStorageBufferOffsetAlignment;
    if ((ALIGN * 4) % align !== 0) throw new Error(`ParamPack: storage offset alignment ${align} over 256`);
    let total = 0;
    for (const p of params) {
      this.offsets.set(p, total);
      total += padded(p.size);
    }
    // exact-sized: the arenas live as long as the model (and stream faster than class-sized ones)
    const arena = () => keep(Tensor.empty([total], { exact: true }));
    this.param = arena();
    this.grad = arena();
    this.m = arena();
    this.v = arena();
    // Zeroed so that a span read past a tensor's end (the padding) never holds NaNs.
    for (const t of [this.param, this.grad, this.m, this.v]) rt().clear(t.buffer, 0, total * 4);
    for (const p of params) p.moveInto(this.region(this.param, p));
    this.zeroGrads();
  }

  /** The element offset of a parameter in every arena. */
  offset(p: Tensor): number {
    return this.offsets.get(p)!;
  }

  /** p's region of one of the arenas, as a new tensor record (kept: the caller disposes it). */
  region(arena: Tensor, p: Tensor): Tensor {
    return keep(arena.region(this.offset(p), p.shape));
  }

  /** A zeroed region of exp_avg or exp_avg_sq for a parameter's fresh state. */
  zeroedRegion(arena: Tensor, p: Tensor): Tensor {
    const r = this.region(arena, p);
    rt().clear(r.buffer, r.byteOffset, padded(p.size) * 4);
    return r;
  }

  /** Clears the gradient arena and gives every parameter its region as its grad slot. */
  zeroGrads(): void {
    rt().clear(this.grad.buffer, 0, this.grad.size * 4);
    for (const p of this.params) {
      p.gradSlot?.dispose();
      p.gradSlot = this.region(this.grad, p);
    }
  }

  /**
   * Makes sure p's gradient is in the gradient arena: it is when the backward sweep accumulated into
   * the slot; otherwise (a gradient made elsewhere) it is copied there, and the slot, no longer zero,
   * is dropped.
   */
  gatherGrad(p: Tensor): void {
    const g = p.grad!;
    const r = this.region(this.grad, p);
    if (!g.sameStorage(r)) {
      r.assign(g);
      p.gradSlot?.dispose();
      p.gradSlot = null;
    }
    r.dispose();
  }

  /** Frees the arenas this pack holds (the parameters keep theirs) and the parameters' slots. */
  dispose(): void {
    for (const p of this.params) {
      p.gradSlot?.dispose();
      p.gradSlot = null;
    }
    for (const t of [this.param, this.grad, this.m, this.v]) t.dispose();
  }
}

// GEMM FLOPs counted at launch time: Kernel.prototype.run is wrapped once, and every launch of the
// matmul and conv kernels adds the FLOPs of what it computes, read from its named launch params
// (src/kernels/gemm.ts, src/kernels/conv.ts). Exact for any network, with no model of its structure.
//   matmul:               2 * M * N * K * batches
//   conv_forward / conv_dgrad / conv_wgrad: 2 * N * K * OH * OW * C * KH * KW, the conv the launch
//     belongs to (its forward, input gradient or weight gradient; a transposed conv's forward is a
//     dgrad launch of the conv it transposes), the usual convention for all three.
// Everything else (elementwise, norms, reductions, the split-K sum of wgrad) counts nothing.
import { Kernel } from '../src/kernels/declare.ts';

type Params = Record<string, number | readonly number[]>;

/** The GEMM FLOPs of one launch of kernel `name` with these params (0 for non-GEMM kernels). */
export function launchFlops(name: string, p: Params): number {
  const n = (k: string) => p[k] as number;
  if (name === 'matmul') return 2 * n('M') * n('N') * n('K') * n('batches');
  if (name === 'conv_forward' || name === 'conv_dgrad' || name === 'conv_wgrad')
    return 2 * n('N') * n('K') * n('OH') * n('OW') * n('C') * n('KH') * n('KW');
  return 0;
}

let total = 0;
let installed = false;

/** What a launch observer is told: the kernel, entry, workgroup grid and the launch's GEMM FLOPs. */
export type LaunchObserver = (
  kernel: string,
  entry: string,
  workgroups: readonly number[] | undefined,
  flops: number,
) => void;

let observer: LaunchObserver | null = null;

/** Starts counting (idempotent). */
export function installGemmCounter(): void {
  if (installed) return;
  installed = true;
  const proto = Kernel.prototype as unknown as {
    run: (this: Kernel<never, never>, entry: string, l: { params: Params; workgroups?: number[] }) => void;
  };
  const run = proto.run;
  proto.run = function (entry, l) {
    const f = launchFlops(this.name, l.params);
    total += f;
    observer?.(this.name, entry, l.workgroups, f);
    run.call(this, entry, l);
  };
}

/** Calls `fn` at every launch from now on (null: stops); installs the counter. */
export function observeLaunches(fn: LaunchObserver | null): void {
  installGemmCounter();
  observer = fn;
}

/** GEMM FLOPs launched since the counter was installed. */
export function gemmFlops(): number {
  return total;
}

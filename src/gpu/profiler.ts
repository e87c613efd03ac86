// Per-kernel GPU time from timestamp queries: when profiling, every dispatch gets its own compute
// pass whose start and end are timestamped; at each submit the stamps are resolved and read back in
// the background, and report() sums them by kernel. Costs a pass per dispatch, so it is off by default.
import type { Settle } from './device.ts';

export interface KernelTime {
  kernel: string;
  count: number;
  ms: number;
}

const CAPACITY = 2048; // timestamps per submit (two per dispatch)

export class Profiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private labels: string[] = [];
  private readonly totals = new Map<string, { count: number; ns: number }>();
  private pending: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly settle: Settle,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: CAPACITY });
    this.resolveBuf = device.createBuffer({
      size: CAPACITY * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** True when this submit has no room for another dispatch. */
  get full(): boolean {
    return (this.labels.length + 1) * 2 > CAPACITY;
  }

  /** Timestamp writes for the pass of the next dispatch, labelled `kernel`. */
  next(kernel: string): GPUComputePassTimestampWrites {
    const i = this.labels.length;
    this.labels.push(kernel);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve into `encoder`; call collect() after submitting it. */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const n = this.labels.length;
    if (n === 0) return null;
    const labels = this.labels;
    this.labels = [];
    const staging = this.device.createBuffer({
      size: n * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    encoder.copyBufferToBuffer(this.resolveBuf, 0, staging, 0, n * 16);
    return () => {
      this.pending.push(
        staging.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(staging.getMappedRange());
          labels.forEach((k, i) => {
            const e = this.totals.get(k) ?? { count: 0, ns: 0 };
            e.count++;
            e.ns += Number(t[2 * i + 1] - t[2 * i]);
            this.totals.set(k, e);
          });
          staging.unmap();
          staging.destroy();
        }),
      );
    };
  }

  /** Kernel times summed since the last reset, longest first. */
  async report(): Promise<KernelTime[]> {
    await this.settle(Promise.all(this.pending));
    this.pending = [];
    return [...this.totals]
      .map(([kernel, v]) => ({ kernel, count: v.count, ms: v.ns / 1e6 }))
      .sort((a, b) => b.ms - a.ms);
  }

  reset(): void {
    this.totals.clear();
  }
}

// A pool of storage buffers by size class. GPU memory is invisible to the garbage collector, so tensors
// hand their buffers back here on dispose(), and the next tensor of a similar size reuses one.
// Size classes are 2^k * {1, 1.25, 1.5, 1.75}: at most 25% waste, few distinct sizes.

export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 256) return b;
  const top = 2 ** Math.floor(Math.log2(b));
  const quarter = top / 4;
  return top + Math.ceil((b - top) / quarter) * quarter;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** Buffers handed out and not yet released. */
  liveCount = 0;
  liveBytes = 0;
  /** Everything allocated from the device, live or pooled. */
  totalBytes = 0;
  /** The most liveBytes has been since the pool was made or resetPeak() last ran. */
  peakLiveBytes = 0;

  constructor(private device: GPUDevice) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (!buf) {
      buf = this.device.createBuffer({
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.totalBytes += size;
    }
    this.liveCount++;
    this.liveBytes += size;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    return buf;
  }

  release(buf: GPUBuffer): void {
    this.liveCount--;
    this.liveBytes -= buf.size;
    let list = this.free.get(buf.size);
    if (!list) this.free.set(buf.size, (list = []));
    list.push(buf);
  }

  /** Restarts the high-water mark from what is live now (e.g. before a benchmark case). */
  resetPeak(): void {
    this.peakLiveBytes = this.liveBytes;
  }

  /** Destroys pooled (not live) buffers, e.g. after a phase that used unusual sizes. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.totalBytes -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }
}

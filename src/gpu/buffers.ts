// A pool of storage buffers by size class. GPU memory is invisible to the garbage collector, so tensors
// hand their buffers back here on dispose(), and the next tensor of a similar size reuses one.
// Size classes are 2^k * {1, 1.25, 1.5, 1.75}: at most 25% waste, few distinct sizes. Long-lived
// buffers (an optimizer's arenas) are better allocated at their own size: see acquireExact().

export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 256) return b;
  const top = 2 ** Math.floor(Math.log2(b));
  const quarter = top / 4;
  return top + Math.ceil((b - top) / quarter) * quarter;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private doomed: GPUBuffer[] = [];
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
    return this.handOut(this.free.get(size)?.pop() ?? this.create(size));
  }

  /**
   * A buffer of just the bytes asked for (rounded up to 16), never from or back to the free lists
   * unless that is a class size. For buffers that live as long as a model: no class waste (up to 25%),
   * and on the CPU driver a streaming kernel over several class-sized buffers of tens of MB ran up to
   * 1.6x slower than over exact-sized ones (Adam over G's arenas: bench/RESULTS.md).
   */
  acquireExact(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    return size === sizeClass(size) ? this.acquire(size) : this.handOut(this.create(size));
  }

  release(buf: GPUBuffer): void {
    this.liveCount--;
    this.liveBytes -= buf.size;
    if (buf.size !== sizeClass(buf.size)) {
      // From acquireExact: no other tensor would ask for this size. Commands still being recorded may
      // use it, so it is destroyed only once they are submitted (destroyDoomed).
      this.totalBytes -= buf.size;
      this.doomed.push(buf);
      return;
    }
    let list = this.free.get(buf.size);
    if (!list) this.free.set(buf.size, (list = []));
    list.push(buf);
  }

  /** Destroys released exact-sized buffers; the runtime calls it after each submit. */
  destroyDoomed(): void {
    for (const buf of this.doomed) buf.destroy();
    this.doomed.length = 0;
  }

  private create(size: number): GPUBuffer {
    this.totalBytes += size;
    return this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  private handOut(buf: GPUBuffer): GPUBuffer {
    this.liveCount++;
    this.liveBytes += buf.size;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    return buf;
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

// The one object that talks to WebGPU for compute: it owns the compiled pipelines, the buffer pool,
// the open command encoder and the uniform-parameter arena. Ops call dispatch(); nothing reaches the
// GPU queue until flush(), which a readback or a full batch triggers.

import { BufferPool } from './buffers.ts';
import { type AcquiredDevice, acquireDevice, type DeviceInfo, type Settle } from './device.ts';
import { type KernelTime, Profiler } from './profiler.ts';

/** A compute pipeline: WGSL code (cached as one shader module per label), an entry point, constants. */
export interface KernelSpec {
  /** Identifies the code: one shader module per label. */
  label: string;
  /** Shown in profiles. */
  name: string;
  code: string;
  entry: string;
  constants?: Record<string, number>;
}

/** What one binding of a dispatch holds (undefined: a hole, skipped). */
export type Binding = GPUBufferBinding | GPUTextureView | undefined;

export interface DispatchArgs {
  kernel: KernelSpec;
  /** Uniform parameters as 32-bit words (src/kernels packs them from named fields). */
  params: ArrayLike<number>;
  /** Storage buffers and texture views by binding number (1-based: binding 0 is the params). Holes are skipped. */
  bindings: Binding[];
  workgroups: [number, number?, number?];
}

/** A texture of Runtime.scratchTexture. */
export interface ScratchTexture {
  texture: GPUTexture;
  view: GPUTextureView;
}

const ARENA_BYTES = 1 << 18;
// Scratch textures kept (one per size); past this many they are all destroyed and made anew.
const MAX_SCRATCH_TEXTURES = 64;
const MAX_PENDING = 512;
// Bind groups kept for reuse; past this many the cache starts over (a step needs a few hundred).
const MAX_BIND_GROUPS = 4096;
export class Runtime {
  readonly device: GPUDevice;
  readonly info: DeviceInfo;
  readonly pool: BufferPool;
  readonly maxWorkgroups: number;
  readonly maxBinding: number;
  /**
   * Awaits a promise of the device's: every wait for the GPU goes through it (in Node it keeps Dawn's
   * event polling from spinning a core; see dawn.ts).
   */
  readonly settle: Settle;
  private pipelines = new Map<string, GPUComputePipeline>();
  private pipelineIds = new WeakMap<GPUComputePipeline, number>();
  // Bind groups by (pipeline, params offset, buffers): a training step repeats the same dispatches
  // with the same pooled buffers at the same arena offsets, and creating a bind group costs about
  // as much as a small dispatch on the CPU driver. Keys hold buffer ids that are never reused, so a
  // hit names exactly the buffers the dispatch binds now.
  private bindGroups = new Map<string, GPUBindGroup>();
  private textures = new Map<string, ScratchTexture>();
  private resourceIds = new WeakMap<GPUBuffer | GPUTextureView, number>();
  private nextId = 1;
  private modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private arena: Uint32Array<ArrayBuffer>;
  private arenaUsed = 0;
  private arenaBuf: GPUBuffer;
  private readonly align: number;
  /** Dispatches recorded since start, for tests and benchmarks. */
  dispatchCount = 0;
  private profiler: Profiler | null = null;
  private profileGrids = false;
  /** The first WebGPU validation error, thrown at the next readback so a bad kernel never passes quietly. */
  private gpuError: string | null = null;

  constructor(acq: AcquiredDevice) {
    this.device = acq.device;
    this.info = acq.info;
    this.settle = acq.settle;
    this.pool = new BufferPool(this.device);
    this.maxWorkgroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    this.maxBinding = this.device.limits.maxStorageBufferBindingSize;
    this.align = Math.max(16, this.device.limits.minUniformBufferOffsetAlignment);
    this.arena = new Uint32Array(ARENA_BYTES / 4);
    this.device.addEventListener('uncapturederror', (e) => {
      this.gpuError ??= (e as GPUUncapturedErrorEvent).error.message;
    });
    this.arenaBuf = this.device.createBuffer({
      size: ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  private pipeline(k: KernelSpec): GPUComputePipeline {
    const key = `${k.label}:${k.entry}:${JSON.stringify(k.constants ?? {})}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    let module = this.modules.get(k.label);
    if (!module) {
      module = this.device.createShaderModule({ code: k.code, label: k.label });
      this.modules.set(k.label, module);
    }
    p = this.device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: k.entry, constants: k.constants },
      label: key,
    });
    this.pipelines.set(key, p);
    this.pipelineIds.set(p, this.nextId++);
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Records one compute dispatch into the open pass. */
  dispatch(a: DispatchArgs): void {
    const pipeline = this.pipeline(a.kernel);
    const words = Math.ceil(a.params.length / 4) * 4;
    const slot = Math.ceil((words * 4) / this.align) * this.align;
    if (this.arenaUsed + slot > ARENA_BYTES || this.pending >= MAX_PENDING || this.profiler?.full)
      this.flush();
    const offset = this.arenaUsed;
    this.arena.set(a.params, offset / 4);
    this.arenaUsed += slot;
    const bindGroup = this.bindGroup(pipeline, offset, words, a.bindings);
    if (this.profiler) {
      // One timestamped pass per dispatch.
      this.pass?.end();
      this.encoder ??= this.device.createCommandEncoder();
      const grid = this.profileGrids ? ` ${a.workgroups.map((n) => n ?? 1).join('x')}` : '';
      const label = `${a.kernel.name}:${a.kernel.entry}${grid}`;
      this.pass = this.encoder.beginComputePass({ timestampWrites: this.profiler.next(label) });
    } else if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = a.workgroups;
    this.pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) {
      this.pass.end();
      this.pass = null;
    }
    this.pending++;
    this.dispatchCount++;
  }

  private resourceId(b: GPUBuffer | GPUTextureView): number {
    let id = this.resourceIds.get(b);
    if (id === undefined) {
      id = this.nextId++;
      this.resourceIds.set(b, id);
    }
    return id;
  }

  private bindGroup(
    pipeline: GPUComputePipeline,
    offset: number,
    words: number,
    bindings: readonly Binding[],
  ): GPUBindGroup {
    let key = `${this.pipelineIds.get(pipeline)}:${offset}:${words}`;
    for (const r of bindings) {
      if (!r) key += ',';
      else if ('buffer' in r) key += `,${this.resourceId(r.buffer)}:${r.offset ?? 0}:${r.size ?? -1}`;
      else key += `,t${this.resourceId(r)}`;
    }
    let g = this.bindGroups.get(key);
    if (g) return g;
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.arenaBuf, offset, size: words * 4 } },
    ];
    bindings.forEach((resource, i) => {
      if (resource) entries.push({ binding: i + 1, resource });
    });
    g = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
    this.bindGroups.set(key, g);
    return g;
  }

  /**
   * A scratch rgba32float 2D-array texture of this size (one view, bound to sample it or to store
   * into it), shared by every launch that asks for the same size: dispatches run in queue order, so a
   * launch that refills it never overwrites what an earlier one still has to read.
   */
  scratchTexture(width: number, height: number, layers: number): ScratchTexture {
    const key = `${width}x${height}x${layers}`;
    let t = this.textures.get(key);
    if (t) return t;
    if (this.textures.size >= MAX_SCRATCH_TEXTURES) {
      // destroy() waits for submitted work, so flush what still reads them first
      this.flush();
      for (const old of this.textures.values()) old.texture.destroy();
      this.textures.clear();
    }
    const texture = this.device.createTexture({
      size: [width, height, layers],
      format: 'rgba32float',
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING,
    });
    t = { texture, view: texture.createView({ dimension: '2d-array' }) };
    this.textures.set(key, t);
    return t;
  }

  /** Splits a 1D count of workgroups into a grid within the per-dimension limit. */
  grid(groups: number): [number, number] {
    if (groups <= this.maxWorkgroups) return [Math.max(1, groups), 1];
    const y = Math.ceil(groups / this.maxWorkgroups);
    return [Math.ceil(groups / y), y];
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) {
      this.pool.destroyDoomed();
      return;
    }
    this.pass?.end();
    this.pass = null;
    // The arena is rewritten for every batch; queue order puts this write after the previous submit.
    if (this.arenaUsed > 0)
      this.device.queue.writeBuffer(this.arenaBuf, 0, this.arena, 0, this.arenaUsed / 4);
    const collect = this.profiler?.resolve(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    collect?.();
    // destroy() waits for submitted work, so buffers released while recording can go now
    this.pool.destroyDoomed();
    this.encoder = null;
    this.arenaUsed = 0;
    this.pending = 0;
  }

  /** Writes host data into a buffer at a byte offset, ordered after all work recorded so far. */
  upload(buf: GPUBuffer, data: Float32Array, offset = 0): void {
    this.flush();
    this.device.queue.writeBuffer(buf, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copies `bytes` from one buffer to another (distinct ones), in order with the recorded dispatches. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes === 0) return;
    this.encoderOutsidePass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, Math.ceil(bytes / 4) * 4);
  }

  /** Zeroes `bytes` of a buffer from a byte offset (multiples of 4), in order with the dispatches. */
  clear(buf: GPUBuffer, offset: number, bytes: number): void {
    if (bytes === 0) return;
    this.encoderOutsidePass().clearBuffer(buf, offset, bytes);
  }

  private encoderOutsidePass(): GPUCommandEncoder {
    this.pass?.end();
    this.pass = null;
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Copies `bytes` of a buffer from a byte offset back to the host. */
  async read(buf: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const staging = this.device.createBuffer({
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.encoderOutsidePass().copyBufferToBuffer(buf, offset, staging, 0, Math.min(size, buf.size - offset));
    this.flush();
    await this.settle(staging.mapAsync(GPUMapMode.READ));
    this.throwGpuError();
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Waits until the GPU has finished all submitted work (for timing). */
  async sync(): Promise<void> {
    this.flush();
    await this.settle(this.device.queue.onSubmittedWorkDone());
    this.throwGpuError();
  }

  /**
   * Starts timing every dispatch on the GPU (needs the adapter's timestamp-query feature); with
   * `grids`, launches are told apart by their workgroup grid too (which shape of a kernel costs).
   */
  startProfile(opts: { grids?: boolean } = {}): void {
    this.profileGrids = opts.grids ?? false;
    if (!this.device.features.has('timestamp-query'))
      throw new Error('profiling needs the timestamp-query feature');
    this.flush();
    this.profiler ??= new Profiler(this.device, this.settle);
    this.profiler.reset();
  }

  /** Stops timing and returns GPU time per kernel (ms), longest first. */
  async stopProfile(): Promise<KernelTime[]> {
    if (!this.profiler) return [];
    this.flush();
    const report = await this.profiler.report();
    this.profiler = null;
    return report;
  }

  private throwGpuError(): void {
    if (this.gpuError === null) return;
    const msg = this.gpuError;
    this.gpuError = null;
    throw new Error(`WebGPU error: ${msg}`);
  }
}

let runtime: Runtime | null = null;
let starting: Promise<Runtime> | null = null;

/** Acquires the device (once; later calls return the same runtime). */
export function initRuntime(opts: { verbose?: boolean } = {}): Promise<Runtime> {
  if (runtime) return Promise.resolve(runtime);
  starting ??= acquireDevice(opts).then((acq) => (runtime = new Runtime(acq)));
  return starting;
}

export function rt(): Runtime {
  if (!runtime) throw new Error('WebGPU is not initialised: call `await init()` first');
  return runtime;
}

// Acquires the WebGPU adapter and device once per process. The browser's navigator.gpu is used when
// present; in Node, Dawn (./dawn.ts) is loaded on demand. A real GPU is preferred over a software one.

/// <reference types="@webgpu/types" preserve="true" />
// (kept in the .d.ts: the types of a built package need the WebGPU globals)
/** The WebGPU adapter in use, as deviceStats().adapter reports it. */
export interface DeviceInfo {
  description: string;
  vendor: string;
  architecture: string;
  isFallback: boolean;
  /** A software rasteriser (lavapipe, SwiftShader): kernels pick CPU-friendly tile shapes. */
  isCpu: boolean;
  /** Subgroup sizes the adapter may use (0 when unknown or without the subgroups feature). */
  subgroupMinSize: number;
  subgroupMaxSize: number;
  /** The host's CPU threads: a CPU driver runs a dispatch's workgroups on one per core (lavapipe). */
  hostThreads: number;
}

/**
 * Whether every subgroup has exactly 8 lanes (lavapipe on AVX2): the kernels written for one 8-lane
 * subgroup per workgroup (gemm_subgroup, norm_subgroup) need it.
 */
export function subgroupsOf8(info: DeviceInfo): boolean {
  return info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
}

/** How the host awaits the device's promises (buffer mappings, queue completion). */
export type Settle = <T>(p: Promise<T>) => Promise<T>;

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: DeviceInfo;
  /** A plain await in browsers; in Node one that does not busy-poll a core (dawn.ts). */
  settle: Settle;
}

const NO_ADAPTER = `No WebGPU adapter found.
In Node this library runs on Dawn's Vulkan backend. Without a GPU it needs Mesa's lavapipe >= 23
(Debian 12: the bookworm-backports suite). Run \`bash scripts/setup.sh\` as root, which installs it.`;

const DAWN: string = './dawn.ts';

async function hostGPU(): Promise<{ gpu: GPU; threads: number; settle: Settle }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU; hardwareConcurrency?: number } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, threads: nav.hardwareConcurrency ?? 1, settle: (p) => p };
  // The specifier is a variable so that bundlers leave Dawn (Node-only) out of browser bundles; in the
  // built package TypeScript rewrites it to ./dawn.js at run time.
  const { dawnGPU, hostThreads, settleWithoutSpinning } = (await import(
    /* @vite-ignore */ /* webpackIgnore: true */ DAWN
  )) as typeof import('./dawn.ts');
  return { gpu: dawnGPU(), threads: hostThreads(), settle: settleWithoutSpinning };
}

function describe(adapter: GPUAdapter, hostThreads: number): DeviceInfo {
  const i = adapter.info;
  const description = i?.description || i?.device || 'unknown adapter';
  const cpuNames = /llvmpipe|lavapipe|swiftshader|software/i;
  const sg = (i ?? {}) as { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    description,
    vendor: i?.vendor || 'unknown vendor',
    architecture: i?.architecture || '',
    isFallback: Boolean((i as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
    isCpu: cpuNames.test(`${description} ${i?.vendor} ${i?.architecture}`),
    subgroupMinSize: adapter.features.has('subgroups') ? (sg.subgroupMinSize ?? 0) : 0,
    subgroupMaxSize: adapter.features.has('subgroups') ? (sg.subgroupMaxSize ?? 0) : 0,
    hostThreads,
  };
}

export async function acquireDevice(opts: { verbose?: boolean } = {}): Promise<AcquiredDevice> {
  const { gpu, threads, settle } = await hostGPU();
  const adapter =
    (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? (await gpu.requestAdapter());
  if (!adapter) throw new Error(NO_ADAPTER);
  // Ask for everything the adapter offers: big models need large storage bindings.
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, number>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const wanted: GPUFeatureName[] = ['subgroups', 'timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = describe(adapter, threads);
  if (opts.verbose) {
    console.log(
      `WebGPU adapter: ${info.description} (${info.vendor}${info.architecture ? `, ${info.architecture}` : ''})`,
    );
  }
  return { device, adapter, info, settle };
}

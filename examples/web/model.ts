// The browser demo's model side: a trained BicycleGAN's G and E loaded from a training run's checkpoint
// files fetched over HTTP (net_G.safetensors, net_E.safetensors and state.json, as src/train/checkpoint.ts
// writes them), and inference on them. Browser-safe: only the library core, no Node import.
import { deviceStats, init, keep, noGrad, type Tensor, tensor, tidy } from '../../src/index.ts';
import { loadModuleBytes } from '../../src/io/checkpoint.ts';
import { type BicycleGANOptions, DEFAULT_OPTIONS } from '../../src/models/bicyclegan/model.ts';
import { defineE, defineG, netSize } from '../../src/models/bicyclegan/networks.ts';

/** A loaded generator and encoder, and what the page needs to know about them. */
export interface DemoModel {
  opts: BicycleGANOptions;
  /** Side of the square input and output images. */
  size: number;
  /** The WebGPU adapter in use. */
  adapter: string;
  /** Epoch and iteration of the checkpoint (from state.json). */
  epoch: number;
  iter: number;
  /**
   * G(A, z) for one input A (CHW in [-1, 1], inputNc x size x size) and each code z (nz values), in
   * one batch. Returns the outputs (CHW in [-1, 1]) and the wall time per sample, readback included.
   */
  generate(
    input: Float32Array,
    codes: Float32Array[],
  ): Promise<{ images: Float32Array[]; msPerSample: number }>;
  /** mu of E(photo) for a photo B (CHW in [-1, 1], outputNc x size x size): its style as a code. */
  encode(photo: Float32Array): Promise<Float32Array>;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The adapter as words: browsers often leave the description empty and give vendor and architecture. */
function describeAdapter(): string {
  const a = deviceStats().adapter;
  const parts = [a.vendor, a.architecture].filter((p) => p && p !== 'unknown vendor');
  const desc = a.description === 'unknown adapter' ? '' : a.description;
  return [desc, parts.join(' ')].filter(Boolean).join(', ') || 'an unnamed WebGPU adapter';
}

/** Loads `${base}state.json`, `${base}net_G.safetensors` and `${base}net_E.safetensors`. */
export async function loadDemoModel(base: string): Promise<DemoModel> {
  const stateUrl = `${base}state.json`;
  const r = await fetch(stateUrl);
  if (!r.ok) throw new Error(`${stateUrl}: HTTP ${r.status} ${r.statusText}`);
  const state = (await r.json()) as { model?: Partial<BicycleGANOptions>; epoch?: number; iter?: number };
  if (!state.model || typeof state.model !== 'object')
    throw new Error(`${stateUrl}: no model options (not a checkpoint state.json)`);
  const opts: BicycleGANOptions = { ...DEFAULT_OPTIONS, ...state.model };
  const [gBytes, eBytes] = await Promise.all([
    fetchBytes(`${base}net_G.safetensors`),
    fetchBytes(`${base}net_E.safetensors`),
  ]);
  await init();
  // The same construction as BicycleGAN's (model.ts), without D, D2 and the optimizers.
  const G = defineG(opts.netG, opts);
  const E = defineE(opts.netE, {
    inputNc: opts.outputNc,
    nz: opts.nz,
    nef: opts.nef,
    norm: opts.norm,
    nl: 'lrelu',
  });
  loadModuleBytes(G, gBytes, { fileName: 'net_G.safetensors' });
  loadModuleBytes(E, eBytes, { fileName: 'net_E.safetensors' });
  G.eval();
  E.eval();
  const size = netSize(opts.netG);
  const plane = size * size;

  function check(what: string, x: Float32Array, channels: number): void {
    if (x.length !== channels * plane)
      throw new Error(
        `${what}: expected ${channels}x${size}x${size} = ${channels * plane} values, got ${x.length}`,
      );
  }

  async function read(t: Tensor): Promise<Float32Array> {
    try {
      return await t.data();
    } finally {
      t.dispose();
    }
  }

  return {
    opts,
    size,
    adapter: describeAdapter(),
    epoch: state.epoch ?? 0,
    iter: state.iter ?? 0,
    async generate(input, codes) {
      check('generate: input', input, opts.inputNc);
      for (const z of codes) if (z.length !== opts.nz) throw new Error(`generate: z needs ${opts.nz} values`);
      const n = codes.length;
      const t0 = performance.now();
      const out = noGrad(() =>
        tidy(() => {
          const a = new Float32Array(n * input.length);
          const zs = new Float32Array(n * opts.nz);
          codes.forEach((z, k) => {
            a.set(input, k * input.length);
            zs.set(z, k * opts.nz);
          });
          return keep(G.call(tensor(a, [n, opts.inputNc, size, size]), tensor(zs, [n, opts.nz])));
        }),
      );
      const flat = await read(out);
      const msPerSample = (performance.now() - t0) / n;
      const per = opts.outputNc * plane;
      return { images: codes.map((_, k) => flat.slice(k * per, (k + 1) * per)), msPerSample };
    },
    async encode(photo) {
      check('encode: photo', photo, opts.outputNc);
      const mu = noGrad(() => tidy(() => keep(E.call(tensor(photo, [1, opts.outputNc, size, size])).mu)));
      return read(mu);
    },
  };
}

// The browser demo's page: draw an edge map, see N outputs of a trained BicycleGAN from random z, walk
// along z, interpolate between two samples, and take the style of a photo through the encoder. All of
// it runs on the visitor's GPU through WebGPU (the library's own WGSL kernels). Built by build.ts.
// window.__demo is a small hook for the browser test (test/web.test.ts).
import {
  fromCHW,
  mulberry32,
  type RGBImage,
  syntheticSample,
  toCHW,
  toGrayscale,
} from '../../src/data/index.ts';
import { interpolate } from '../../src/models/bicyclegan/sampler.ts';
import { loadDemoModel } from './model.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $('status');

/** What the browser test reads and calls. */
interface DemoHook {
  state: 'loading' | 'ready' | 'error' | 'no-webgpu';
  error?: string;
  size?: number;
  inputNc?: number;
  outputNc?: number;
  nz?: number;
  adapter?: string;
  /** The edge map on the canvas as the network sees it (CHW in [-1, 1]). */
  input?: () => number[];
  /** G(input, z) for one input and one z; the output CHW in [-1, 1]. */
  generate?: (input: number[], z: number[]) => Promise<{ data: number[]; ms: number }>;
  /** mu of E(photo). */
  encode?: (photo: number[]) => Promise<number[]>;
  /** The codes of the grid and its last outputs (CHW). */
  codes?: () => number[][];
  outputs?: () => number[][];
  /** Resolves when every queued GPU job is done. */
  idle?: () => Promise<void>;
}
const hook: DemoHook = { state: 'loading' };
(window as unknown as { __demo: DemoHook }).__demo = hook;

function fail(state: 'error' | 'no-webgpu', message: string): void {
  hook.state = state;
  hook.error = message;
  statusEl.textContent = message;
  statusEl.className = 'error';
  document.body.dataset.state = state;
}

// ---- image helpers ---------------------------------------------------------------------------

/** An RGB image from a canvas (alpha dropped; the canvases are opaque). */
function canvasImage(c: HTMLCanvasElement): RGBImage {
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  const rgb = new Uint8Array(c.width * c.height * 3);
  for (let i = 0, j = 0; i < d.length; i += 4, j += 3) {
    rgb[j] = d[i]!;
    rgb[j + 1] = d[i + 1]!;
    rgb[j + 2] = d[i + 2]!;
  }
  return { width: c.width, height: c.height, channels: 3, data: rgb };
}

/** CHW in [-1, 1] with `channels` channels (grayscale for 1, as the data loader does). */
function canvasCHW(c: HTMLCanvasElement, channels: number): Float32Array {
  const img = canvasImage(c);
  return toCHW(channels === 1 ? toGrayscale(img) : img);
}

/** Draws an RGBImage (1 or 3 channels) onto a canvas of its size. */
function putImage(c: HTMLCanvasElement, img: RGBImage): void {
  c.width = img.width;
  c.height = img.height;
  const ctx = c.getContext('2d')!;
  const out = ctx.createImageData(img.width, img.height);
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++)
      out.data[4 * i + k] = img.data[i * img.channels + (img.channels === 1 ? 0 : k)]!;
    out.data[4 * i + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}

function drawOutput(c: HTMLCanvasElement, chw: Float32Array, channels: number, size: number): void {
  putImage(c, fromCHW(chw, channels as 1 | 3, size, size));
}

/** A canvas of side `size` showing `src` scaled to fill it (on white). */
function scaledCanvas(src: CanvasImageSource, sx: number, sy: number, sw: number, sh: number, size: number) {
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, sx, sy, sw, sh, 0, 0, size, size);
  return c;
}

async function loadImage(url: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}

/** An image file or URL as [A side, B side or null]: wider than high is an A|B pair. */
async function splitPair(url: string, direction: string, size: number) {
  const img = await loadImage(url);
  const w = img.naturalWidth;
  const h = img.naturalHeight;
  if (w <= h) return { a: scaledCanvas(img, 0, 0, w, h, size), b: null };
  const half = Math.floor(w / 2);
  const left = scaledCanvas(img, 0, 0, half, h, size);
  const right = scaledCanvas(img, half, 0, w - half, h, size);
  return direction === 'BtoA' ? { a: right, b: left } : { a: left, b: right };
}

/** n codes from N(0, I) (Box-Muller on a seeded generator). */
function gaussianCodes(n: number, nz: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: n }, () => Float32Array.from({ length: nz }, normal));
}

// ---- the page ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  document.body.dataset.state = 'loading';
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    return fail(
      'no-webgpu',
      'This browser has no WebGPU (navigator.gpu is missing), so the demo cannot run: it computes the ' +
        'networks on your GPU through WebGPU. Use a browser with WebGPU enabled (recent Chrome or Edge; ' +
        'Safari 26; Firefox 141 on Windows), over http://127.0.0.1 or https.',
    );
  }
  if (!(await gpu.requestAdapter())) {
    return fail(
      'no-webgpu',
      'WebGPU is present but no GPU adapter is available (the GPU may be blocklisted or disabled), ' +
        'so the demo cannot run.',
    );
  }
  statusEl.textContent = 'Loading the checkpoint…';
  const model = await loadDemoModel('checkpoint/');
  const { size, opts } = model;
  const inC = opts.inputNc;
  const outC = opts.outputNc;

  // ---- a queue of GPU jobs, one at a time; a newer job of the same kind replaces a waiting one ----
  let chain: Promise<void> = Promise.resolve();
  const versions = new Map<string, number>();
  function enqueue(kind: string, job: () => Promise<void>): Promise<void> {
    const v = (versions.get(kind) ?? 0) + 1;
    versions.set(kind, v);
    chain = chain
      .then(async () => {
        if (versions.get(kind) !== v) return; // superseded while waiting
        document.body.dataset.busy = '1';
        await job();
      })
      .catch((e) => {
        statusEl.textContent = `error: ${(e as Error).message}`;
        statusEl.className = 'error';
      })
      .finally(() => {
        delete document.body.dataset.busy;
      });
    return chain;
  }

  // ---- the sketch canvas ----
  const sketch = $<HTMLCanvasElement>('sketch');
  sketch.width = sketch.height = size;
  const sctx = sketch.getContext('2d', { willReadFrequently: true })!;
  sctx.fillStyle = '#fff';
  sctx.fillRect(0, 0, size, size);
  const undo: ImageData[] = [];
  const snapshot = () => {
    undo.push(sctx.getImageData(0, 0, size, size));
    if (undo.length > 50) undo.shift();
  };
  let tool: 'pen' | 'eraser' = 'pen';
  const penWidth = Math.max(2, size / 64);
  let drawing = false;
  let last: [number, number] = [0, 0];
  const toCanvas = (e: PointerEvent): [number, number] => {
    const r = sketch.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * size, ((e.clientY - r.top) / r.height) * size];
  };
  const stroke = (from: [number, number], to: [number, number]) => {
    sctx.strokeStyle = tool === 'pen' ? '#000' : '#fff';
    sctx.lineWidth = tool === 'pen' ? penWidth : penWidth * 3;
    sctx.lineCap = sctx.lineJoin = 'round';
    sctx.beginPath();
    sctx.moveTo(...from);
    sctx.lineTo(...to);
    sctx.stroke();
  };
  sketch.addEventListener('pointerdown', (e) => {
    snapshot();
    drawing = true;
    sketch.setPointerCapture(e.pointerId);
    last = toCanvas(e);
    stroke(last, last);
  });
  sketch.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const p = toCanvas(e);
    stroke(last, p);
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    inputChanged();
  };
  sketch.addEventListener('pointerup', end);
  sketch.addEventListener('pointercancel', end);
  const setTool = (t: 'pen' | 'eraser') => {
    tool = t;
    $('pen').classList.toggle('on', t === 'pen');
    $('eraser').classList.toggle('on', t === 'eraser');
  };
  $('pen').onclick = () => setTool('pen');
  $('eraser').onclick = () => setTool('eraser');
  $('clear').onclick = () => {
    snapshot();
    sctx.fillStyle = '#fff';
    sctx.fillRect(0, 0, size, size);
    inputChanged();
  };
  $('undo').onclick = () => {
    const prev = undo.pop();
    if (!prev) return;
    sctx.putImageData(prev, 0, 0);
    inputChanged();
  };
  const setSketch = (src: HTMLCanvasElement) => {
    snapshot();
    sctx.drawImage(src, 0, 0, size, size);
    inputChanged();
  };
  const input = () => canvasCHW(sketch, inC);

  // ---- the samples grid ----
  let seed = 1;
  let codes: Float32Array[] = [];
  let outputs: Float32Array[] = [];
  let selected = 0;
  let other = 1;
  const grid = $('grid');
  const timing = $('timing');
  const countSel = $<HTMLSelectElement>('count');
  const fromSel = $<HTMLSelectElement>('from');
  const toSel = $<HTMLSelectElement>('to');
  function newCodes() {
    codes = gaussianCodes(Number(countSel.value), opts.nz, seed++);
    selected = 0;
    other = Math.min(1, codes.length - 1);
    grid.replaceChildren(
      ...codes.map((_, k) => {
        const c = document.createElement('canvas');
        c.width = c.height = size;
        c.title = `sample ${k + 1}`;
        c.onclick = (e) => {
          if (e.shiftKey) other = k;
          else selected = k;
          markSelection();
          if (!e.shiftKey) resetSliders();
        };
        return c;
      }),
    );
    for (const sel of [fromSel, toSel])
      sel.replaceChildren(...codes.map((_, k) => new Option(String(k + 1), String(k))));
    markSelection();
    resetSliders();
  }
  function markSelection() {
    Array.from(grid.children).forEach((c, k) => {
      c.classList.toggle('sel', k === selected);
      c.classList.toggle('sel2', k === other && k !== selected);
    });
    fromSel.value = String(selected);
    toSel.value = String(other);
  }
  function renderGrid() {
    return enqueue('grid', async () => {
      const r = await model.generate(input(), codes);
      outputs = r.images;
      r.images.forEach((img, k) => {
        drawOutput(grid.children[k] as HTMLCanvasElement, img, outC, size);
      });
      timing.textContent = `${r.msPerSample.toFixed(1)} ms per sample (${codes.length} in one batch)`;
    });
  }

  // ---- sliders along the first z dimensions of the selected sample ----
  const dims = Math.min(opts.nz, 4);
  const sliders = $('sliders');
  const exploreOut = $<HTMLCanvasElement>('explore-out');
  let exploreZ = new Float32Array(opts.nz);
  const inputs: HTMLInputElement[] = [];
  for (let d = 0; d < dims; d++) {
    const label = document.createElement('label');
    const range = document.createElement('input');
    range.type = 'range';
    range.min = '-3';
    range.max = '3';
    range.step = '0.05';
    const value = document.createElement('span');
    range.oninput = () => {
      exploreZ[d] = Number(range.value);
      value.textContent = exploreZ[d]!.toFixed(2);
      renderExplore();
    };
    label.append(`z[${d}]`, range, value);
    sliders.append(label);
    inputs.push(range);
  }
  function resetSliders() {
    exploreZ = Float32Array.from(codes[selected]!);
    inputs.forEach((r, d) => {
      r.value = String(exploreZ[d]);
      (r.nextSibling as HTMLElement).textContent = exploreZ[d]!.toFixed(2);
    });
    renderExplore();
  }
  function renderExplore() {
    const z = Float32Array.from(exploreZ);
    return enqueue('explore', async () => {
      const r = await model.generate(input(), [z]);
      drawOutput(exploreOut, r.images[0]!, outC, size);
    });
  }

  // ---- interpolation ----
  const strip = $('strip');
  function renderInterp() {
    const steps = 8;
    const zs = interpolate(
      codes[Number(fromSel.value)]!,
      codes[Number(toSel.value)]!,
      steps,
      $<HTMLSelectElement>('mode').value as 'linear' | 'slerp',
    );
    return enqueue('interp', async () => {
      const r = await model.generate(input(), zs);
      strip.replaceChildren(
        ...r.images.map((img) => {
          const c = document.createElement('canvas');
          drawOutput(c, img, outC, size);
          return c;
        }),
      );
    });
  }
  $('interp').onclick = () => renderInterp();
  fromSel.onchange = () => {
    selected = Number(fromSel.value);
    markSelection();
    resetSliders();
  };
  toSel.onchange = () => {
    other = Number(toSel.value);
    markSelection();
  };

  // ---- style of a photo ----
  const photo = $<HTMLCanvasElement>('photo');
  const styled = $<HTMLCanvasElement>('styled');
  let styleCode: Float32Array | null = null;
  let examplePhoto: HTMLCanvasElement | null = null;
  function setPhoto(src: HTMLCanvasElement) {
    photo.width = photo.height = size;
    photo.getContext('2d')!.drawImage(src, 0, 0, size, size);
    const b = canvasCHW(photo, outC);
    return enqueue('encode', async () => {
      styleCode = await model.encode(b);
    }).then(renderStyled);
  }
  function renderStyled() {
    if (!styleCode) return Promise.resolve();
    const z = styleCode;
    return enqueue('styled', async () => {
      const r = await model.generate(input(), [z]);
      drawOutput(styled, r.images[0]!, outC, size);
    });
  }
  $<HTMLInputElement>('upload-photo').onchange = async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    const url = URL.createObjectURL(f);
    const img = await loadImage(url);
    URL.revokeObjectURL(url);
    setPhoto(scaledCanvas(img, 0, 0, img.naturalWidth, img.naturalHeight, size));
  };
  const exampleBtn = $<HTMLButtonElement>('example-photo');
  exampleBtn.onclick = () => examplePhoto && setPhoto(examplePhoto);

  // ---- input changes re-render everything that depends on the edge map ----
  function inputChanged() {
    renderGrid();
    renderExplore();
    renderStyled();
    if (strip.children.length) renderInterp();
  }
  $('new-samples').onclick = () => {
    newCodes();
    renderGrid();
  };
  countSel.onchange = () => $('new-samples').click();

  // ---- edge images: upload and examples (the run's val set, else the synthetic outlines) ----
  const ex = (await (await fetch('examples.json')).json().catch(() => ({}))) as {
    direction?: string;
    files?: { name: string; url: string }[];
  };
  const direction = ex.direction ?? 'AtoB';
  $<HTMLInputElement>('upload-edges').onchange = async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    const url = URL.createObjectURL(f);
    const { a, b } = await splitPair(url, direction, size);
    URL.revokeObjectURL(url);
    examplePhoto = b;
    exampleBtn.disabled = !b;
    setSketch(a);
  };
  let pairs: { a: HTMLCanvasElement; b: HTMLCanvasElement | null; name: string }[] = [];
  if (ex.files?.length) {
    pairs = await Promise.all(
      ex.files.map(async (f) => ({ ...(await splitPair(f.url, direction, size)), name: f.name })),
    );
  } else {
    pairs = Array.from({ length: 12 }, (_, i) => {
      const s = syntheticSample('val', i, { size });
      const a = document.createElement('canvas');
      const b = document.createElement('canvas');
      putImage(a, s.A);
      putImage(b, s.B);
      return { a, b, name: `synthetic outline ${i}` };
    });
  }
  $('examples').replaceChildren(
    ...pairs.map((p) => {
      const thumb = document.createElement('canvas');
      thumb.width = thumb.height = size;
      thumb.getContext('2d')!.drawImage(p.a, 0, 0);
      thumb.title = p.name;
      thumb.onclick = () => {
        examplePhoto = p.b;
        exampleBtn.disabled = !p.b;
        setSketch(p.a);
      };
      return thumb;
    }),
  );

  // ---- start: the first example, 8 samples ----
  if (pairs[0]) {
    sctx.drawImage(pairs[0].a, 0, 0, size, size);
    examplePhoto = pairs[0].b;
    exampleBtn.disabled = !pairs[0].b;
  }
  newCodes();
  await renderGrid();
  $('app').hidden = false;
  statusEl.textContent =
    `${opts.netG} generator (ngf ${opts.ngf}, nz ${opts.nz}, ${size}x${size}, ${inC === 1 ? 'grayscale' : 'RGB'} input) and ` +
    `${opts.netE} encoder after ${model.iter} training iterations, on ${model.adapter}.`;

  Object.assign(hook, {
    size,
    inputNc: inC,
    outputNc: outC,
    nz: opts.nz,
    adapter: model.adapter,
    input: () => Array.from(input()),
    generate: async (x: number[], z: number[]) => {
      let out: { images: Float32Array[]; msPerSample: number } | undefined;
      await enqueue(`hook${Math.random()}`, async () => {
        out = await model.generate(Float32Array.from(x), [Float32Array.from(z)]);
      });
      if (!out) throw new Error('generate failed (see the status line)');
      return { data: Array.from(out.images[0]!), ms: out.msPerSample };
    },
    encode: async (p: number[]) => {
      let mu: Float32Array | undefined;
      await enqueue(`hook${Math.random()}`, async () => {
        mu = await model.encode(Float32Array.from(p));
      });
      if (!mu) throw new Error('encode failed (see the status line)');
      return Array.from(mu);
    },
    codes: () => codes.map((c) => Array.from(c)),
    outputs: () => outputs.map((o) => Array.from(o)),
    idle: async () => {
      let c: Promise<void>;
      do {
        c = chain;
        await c;
      } while (c !== chain);
    },
  } satisfies Partial<DemoHook>);
  hook.state = 'ready';
  document.body.dataset.state = 'ready';
}

main().catch((e) => fail('error', `The demo failed to start: ${(e as Error).message}`));

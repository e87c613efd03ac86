// The browser demo (examples/web) in a real browser: Debian's chromium driven by playwright-core, WebGPU
// on Chromium's software Vulkan (SwiftShader). A tiny BicycleGAN checkpoint is written in the training
// format, the page is built and served with it; the test draws strokes, generates, checks that
// different z give different images, and that the page's outputs (and E's codes) equal the Node
// library's for the same weights, input and z. It saves a screenshot under the OS temp folder.
// Skips, saying why, when chromium or playwright-core is missing or the browser has no WebGPU.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer } from '../examples/web/serve.ts';
import { encodePNGCompressed } from '../src/data/files.ts';
import { concatHorizontal, toCHW } from '../src/data/image.ts';
import { syntheticSample } from '../src/data/synthetic.ts';
import { init, noGrad, tensor } from '../src/index.ts';
import { BicycleGAN, type BicycleGANOptions } from '../src/models/bicyclegan/model.ts';
import { checkpointFiles, loadCheckpoint, writeCheckpointFolder } from '../src/train/checkpoint.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** WebGPU on Chromium's software Vulkan (no GPU, no display, no network). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SCREENSHOT = join(tmpdir(), 'bicycle-webgpu-web-demo.png');

const dir = mkdtempSync(join(tmpdir(), 'bicycle-web-'));
const OPTS: Partial<BicycleGANOptions> = {
  inputNc: 1,
  outputNc: 3,
  nz: 8,
  netG: 'unet_64',
  netE: 'resnet_64',
  netD: 'basic_64',
  netD2: 'basic_64',
  ngf: 4,
  nef: 4,
  ndf: 4,
  whereAdd: 'all',
  // larger than the reference's 0.02 so that untrained nets answer z visibly
  initGain: 0.5,
};

type Hook = {
  state: string;
  error?: string;
  input(): number[];
  generate(x: number[], z: number[]): Promise<{ data: number[]; ms: number }>;
  encode(p: number[]): Promise<number[]>;
  codes(): number[][];
  outputs(): number[][];
  idle(): Promise<void>;
};
declare global {
  interface Window {
    __demo: Hook;
  }
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.is(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

let server: Server | undefined;
let browser: { close(): Promise<void> } | undefined;
test.after(async () => {
  await browser?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the browser demo draws, samples and matches the Node library (chromium, WebGPU on SwiftShader)', async () => {
  const t0 = Date.now();
  if (!existsSync(CHROMIUM))
    return console.log(`  skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    return console.log(`  skipped: playwright-core is not installed (${(e as Error).message})`);
  }

  // A freshly initialised checkpoint in the training format, and two A|B examples.
  await init();
  const model = await BicycleGAN.create(OPTS, 5);
  const run = join(dir, 'run');
  const state = { epoch: 1, batch: 0, iter: 0, rng: 0, model: model.opts, train: { direction: 'AtoB' } };
  const folder = writeCheckpointFolder(
    join(run, 'checkpoints'),
    'latest',
    await checkpointFiles(model, state),
  );
  const examples = join(dir, 'val');
  mkdirSync(examples);
  const photos: number[][] = [];
  for (let i = 0; i < 2; i++) {
    const s = syntheticSample('val', i, { size: 64 });
    writeFileSync(join(examples, `${i}.png`), encodePNGCompressed(concatHorizontal(s.A, s.B)));
    photos.push(Array.from(toCHW(s.B)));
    if (i === 0) writeFileSync(join(dir, 'photo.png'), encodePNGCompressed(s.B));
  }
  // The Node side: the same checkpoint loaded the way examples/sample.ts does.
  const node = await BicycleGAN.create(model.opts);
  loadCheckpoint(folder, node, { weightsOnly: true });
  node.eval();

  const served = await startServer({ run, port: 0, dist: join(dir, 'dist'), examples });
  server = served.server;
  const b = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  browser = b;
  const page = await b.newPage({ viewport: { width: 1300, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  await page.waitForFunction(() => window.__demo?.state !== 'loading', null, { timeout: 180_000 });
  const { state: st, error } = await page.evaluate(() => ({
    state: window.__demo.state,
    error: window.__demo.error,
  }));
  if (st === 'no-webgpu') {
    return console.log(
      `  skipped: this chromium has no WebGPU on SwiftShader with ${CHROMIUM_ARGS.join(' ')}: ${error}`,
    );
  }
  assert.is(st, 'ready', `the page failed: ${error}`);
  const tLoaded = Date.now();
  const idle = () => page.evaluate(() => window.__demo.idle());
  const dark = (x: number[]) => x.filter((v) => v < 0).length;

  // Draw: clear, two strokes, undo the second.
  const box = (await page.locator('#sketch').boundingBox())!;
  const at = (u: number, v: number) => [box.x + u * box.width, box.y + v * box.height] as const;
  const strokeAlong = async (pts: [number, number][]) => {
    await page.mouse.move(...at(...pts[0]!));
    await page.mouse.down();
    for (const p of pts.slice(1)) await page.mouse.move(...at(...p), { steps: 6 });
    await page.mouse.up();
  };
  await page.click('#clear');
  await idle();
  assert.is(dark(await page.evaluate(() => window.__demo.input())), 0, 'cleared');
  // a shoe-like outline: sole, toe, heel
  await strokeAlong([
    [0.15, 0.7],
    [0.85, 0.7],
    [0.85, 0.55],
    [0.55, 0.45],
    [0.4, 0.25],
    [0.2, 0.25],
    [0.15, 0.7],
  ]);
  const oneStroke = await page.evaluate(() => window.__demo.input());
  assert.ok(dark(oneStroke) > 100, `the stroke is on the input (${dark(oneStroke)} dark pixels)`);
  await strokeAlong([
    [0.3, 0.4],
    [0.6, 0.6],
  ]);
  assert.ok(dark(await page.evaluate(() => window.__demo.input())) > dark(oneStroke), 'second stroke');
  await page.click('#undo');
  assert.equal(await page.evaluate(() => window.__demo.input()), oneStroke, 'undo restores the first stroke');

  // New samples: N outputs from different z differ.
  await page.click('#new-samples');
  await idle();
  const input = await page.evaluate(() => window.__demo.input());
  const codes = await page.evaluate(() => window.__demo.codes());
  const outputs = await page.evaluate(() => window.__demo.outputs());
  assert.is(codes.length, 8);
  assert.is(outputs.length, 8);
  const zDiff = maxAbsDiff(outputs[0]!, outputs[1]!);
  assert.ok(zDiff > 1e-2, `different z give different images (max diff ${zDiff})`);

  // Parity with Node: the grid (one batch of 8), one sample through the hook, and E's code.
  const A = tensor(
    Float32Array.from({ length: 8 * input.length }, (_, i) => input[i % input.length]!),
    [8, 1, 64, 64],
  );
  const Z = tensor(Float32Array.from(codes.flat()), [8, 8]);
  const nodeOut = await node.generate(A, Z).data();
  const per = 3 * 64 * 64;
  let parity = 0;
  outputs.forEach((o, k) => {
    parity = Math.max(parity, maxAbsDiff(o, nodeOut.subarray(k * per, (k + 1) * per)));
  });
  const z = [0.5, -1, 1.5, 0, 2, -0.5, 0.25, -2];
  const one = await page.evaluate(([x, zz]) => window.__demo.generate(x, zz), [input, z] as const);
  const nodeOne = await node.generate(tensor(input, [1, 1, 64, 64]), tensor(z, [1, 8])).data();
  parity = Math.max(parity, maxAbsDiff(one.data, nodeOne));
  const mu = await page.evaluate((p) => window.__demo.encode(p), photos[0]!);
  const nodeMu = await noGrad(() => node.E.call(tensor(photos[0]!, [1, 3, 64, 64])).mu).data();
  const muDiff = maxAbsDiff(mu, nodeMu);
  console.log(
    `  parity with Node: outputs max abs diff ${parity.toExponential(2)}, E's mu ${muDiff.toExponential(2)}; ` +
      `different z: ${zDiff.toFixed(3)}; ${one.ms.toFixed(0)} ms per sample in the page`,
  );
  assert.ok(parity < 1e-3, `browser and Node outputs agree (max abs diff ${parity})`);
  assert.ok(muDiff < 1e-3, `browser and Node codes agree (max abs diff ${muDiff})`);

  // The other controls: a slider, the interpolation, a photo's style, an example.
  await page.locator('#sliders input').first().fill('2.5');
  await page.click('#interp');
  await page.setInputFiles('#upload-photo', join(dir, 'photo.png'));
  await page.waitForFunction(() => (document.getElementById('styled') as HTMLCanvasElement).width === 64);
  await idle();
  assert.is(await page.locator('#strip canvas').count(), 8, 'interpolation strip');
  assert.is(await page.locator('#examples canvas').count(), 2, 'the served examples');
  assert.equal(errors, [], 'no page errors');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`  screenshot: ${SCREENSHOT}`);

  // Without WebGPU the page says so.
  const bare = await b.newPage();
  await bare.addInitScript(() =>
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true }),
  );
  await bare.goto(served.url);
  await bare.waitForFunction(() => window.__demo?.state !== 'loading');
  assert.is(await bare.evaluate(() => window.__demo.state), 'no-webgpu');
  assert.match((await bare.locator('#status').textContent()) ?? '', /no WebGPU/);
  console.log(
    `  ${((tLoaded - t0) / 1000).toFixed(1)} s to a loaded page, ${((Date.now() - t0) / 1000).toFixed(1)} s in all`,
  );
});

test.run();

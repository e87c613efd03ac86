// The package as a consumer gets it: `npm pack` (which builds dist/ through prepack), the tarball
// installed into a fresh project outside the repository (`--prefer-offline`: dependencies come from the
// npm cache when they are there), then a tiny model trained for a few Adam steps from plain JavaScript
// (.mjs) and from TypeScript type-checked against the shipped .d.ts (the repository's tsc, strict,
// skipLibCheck off, nodenext resolution) and run. Also: internal modules are not reachable, and a browser
// bundle of the browser-safe entry points has no Node import. Skipped, with the reason printed, only when
// npm itself is unavailable.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npmVersion = spawnSync(npm, ['--version'], { encoding: 'utf8' });
const npmMissing =
  npmVersion.status !== 0 ? `npm is not available (${npmVersion.error?.message ?? npmVersion.stderr})` : '';

const tmp = mkdtempSync(join(tmpdir(), 'bicycle-pack-'));
const app = join(tmp, 'app');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// The consumer's code: every public entry point, a few optimizer steps, a checkpoint round trip.
const CONSUMER = `
import { Adam, init, nn, stack, tensor, tidy, keep } from 'bicycle-webgpu';
import { Sequential } from 'bicycle-webgpu/nn';
import { linearDecay } from 'bicycle-webgpu/optim';
import { parse } from 'bicycle-webgpu/io';
import { mulberry32 } from 'bicycle-webgpu/data';
import { UnetGenerator } from 'bicycle-webgpu/models';
import { loadModule, readFileBytes, saveModule } from 'bicycle-webgpu/node';

await init();
const x = tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
const y = tensor([0, 1, 1, 0], [4, 1]);
const net = new Sequential(new nn.Linear(2, 8, true, { seed: 1 }), new nn.Tanh(), new nn.Linear(8, 1, true, { seed: 2 }));
const opt = new Adam(net.namedParameters(), { lr: 0.05, betas: [0.5, 0.999] });
const sched = linearDecay(opt, { niter: 1, niterDecay: 1 });
const losses = [];
for (let i = 0; i < 30; i++) {
  const l = tidy(() => {
    opt.zeroGrad();
    const loss = nn.bceWithLogitsLoss(net.call(x), y);
    loss.backward();
    opt.step();
    return keep(stack([loss.detach()]));
  });
  losses.push((await l.data())[0]);
  l.dispose();
}
sched.step();
const file = process.argv[2];
await saveModule(net, file, { steps: '30' });
const names = Object.keys(parse(readFileBytes(file), file).tensors).sort();
loadModule(net, file);
const g = new UnetGenerator({ inputNc: 1, outputNc: 3, nz: 0, numDowns: 5, ngf: 2, whereAdd: 'input' });
const r = mulberry32(1)();
console.log(JSON.stringify({ first: losses[0], last: losses.at(-1), names, lr: opt.lr, g: g.parameters().length, r }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['ES2022', 'DOM'],
    strict: true,
    skipLibCheck: false,
    outDir: 'out',
    // @types/node from the repository (a consumer has its own); @webgpu/types comes with the package.
    typeRoots: [join(root, 'node_modules', '@types')],
    types: ['node'],
  },
  files: ['consumer.ts'],
};

let packed = '';
test('npm pack builds a small tarball with dist/ and no sources or scripts', () => {
  if (npmMissing) return console.log(`  skipped: ${npmMissing}`);
  const t0 = Date.now();
  const out = run(npm, ['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], root);
  const info = JSON.parse(out.slice(out.indexOf('[')))[0] as {
    filename: string;
    size: number;
    files: { path: string }[];
  };
  packed = join(tmp, info.filename);
  const paths = info.files.map((f) => f.path);
  assert.ok(paths.includes('dist/index.js') && paths.includes('dist/index.d.ts'), 'dist/index.{js,d.ts}');
  assert.ok(paths.includes('dist/kernels/wgsl.gen.js'), 'the embedded kernels');
  assert.ok(paths.includes('dist/data/worker-boot.mjs'), 'the decode worker boot file');
  const stray = paths.filter((p) => !(p.startsWith('dist/') || ['package.json', 'README.md'].includes(p)));
  assert.equal(stray, [], 'only dist/, package.json and README.md');
  assert.ok(info.size < 400_000, `tarball ${info.size} bytes`);
  console.log(
    `  npm pack: ${(info.size / 1000).toFixed(1)} kB, ${paths.length} files, ${Date.now() - t0} ms`,
  );
});

test('the tarball installs into a fresh project; JavaScript and type-checked TypeScript train with it', () => {
  if (npmMissing) return console.log(`  skipped: ${npmMissing}`);
  assert.ok(packed, 'packed');
  const t0 = Date.now();
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run(npm, ['install', packed, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  const tInstall = Date.now() - t0;
  assert.ok(readdirSync(join(app, 'node_modules')).includes('bicycle-webgpu'));

  const checkRun = (script: string, what: string) => {
    const out = run(process.execPath, [script, join(app, `${what}.safetensors`)], app);
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    assert.ok(r.last < r.first, `${what}: the loss fell (${r.first} -> ${r.last})`);
    assert.equal(r.names, ['0.bias', '0.weight', '2.bias', '2.weight'], `${what}: checkpoint names`);
    assert.is(r.lr, 0.025, `${what}: the schedule`);
    assert.ok(r.g > 0 && r.r > 0 && r.r < 1, `${what}: models and data entry points`);
  };

  writeFileSync(join(app, 'consumer.mjs'), CONSUMER);
  checkRun('consumer.mjs', 'js');

  // TypeScript: the same program with annotations, checked against the installed .d.ts, then run.
  const ts = CONSUMER.replace('const losses = [];', 'const losses: number[] = [];').replace(
    "import { Adam, init, nn, stack, tensor, tidy, keep } from 'bicycle-webgpu';",
    "import { Adam, init, nn, stack, type Tensor, tensor, tidy, keep } from 'bicycle-webgpu';\n" +
      'const typed: (t: Tensor) => readonly number[] = (t) => t.shape;\nvoid typed;',
  );
  writeFileSync(join(app, 'consumer.ts'), ts);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
  checkRun(join('out', 'consumer.js'), 'ts');

  // A type error in the consumer is caught against the shipped types.
  writeFileSync(
    join(app, 'bad.ts'),
    "import { tensor } from 'bicycle-webgpu';\ntensor([1], 'not a shape');\n",
  );
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['bad.ts'] }));
  const bad = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.'],
    { cwd: app, encoding: 'utf8' },
  );
  assert.is.not(bad.status, 0, 'a wrong argument type is an error');
  assert.match(bad.stdout, /bad\.ts/);
  console.log(`  npm install: ${tInstall} ms; install + both consumers: ${Date.now() - t0} ms`);
});

test('only the public entry points are reachable', () => {
  if (npmMissing) return console.log(`  skipped: ${npmMissing}`);
  const probe = `
    const results = [];
    for (const spec of ['bicycle-webgpu/dist/tensor.js', 'bicycle-webgpu/src/index.ts', 'bicycle-webgpu/gpu/dawn', 'bicycle-webgpu/train/trainer']) {
      try { await import(spec); results.push(spec + ': reachable'); } catch (e) { results.push(spec + ': ' + e.code); }
    }
    console.log(JSON.stringify(results));`;
  writeFileSync(join(app, 'probe.mjs'), probe);
  const out = JSON.parse(run(process.execPath, ['probe.mjs'], app).trim()) as string[];
  for (const line of out) assert.match(line, /ERR_PACKAGE_PATH_NOT_EXPORTED/, line);
});

test('a browser bundle of the installed browser-safe entry points has no Node-only import', async () => {
  if (npmMissing) return console.log(`  skipped: ${npmMissing}`);
  // esbuild is in node_modules as tsx's dependency.
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    return console.log(`  skipped: esbuild is not installed (${(e as Error).message})`);
  }
  for (const entry of ['', '/nn', '/optim', '/io', '/data', '/models']) {
    const spec = `bicycle-webgpu${entry}`;
    writeFileSync(join(app, 'entry.mjs'), `export * from '${spec}';\n`);
    // platform=browser cannot resolve node: or Node built-in imports: any one fails the build.
    const r = await esbuild.build({
      absWorkingDir: app,
      entryPoints: ['entry.mjs'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    const bad = inputs.filter((p) =>
      /node_modules\/(webgpu|pngjs|yargs)\/|\/(dawn|files|node|trainer)\.js$/.test(p),
    );
    assert.equal(bad, [], `${spec} pulls in Node-only modules`);
    assert.ok(
      inputs.some((p) => p.includes('bicycle-webgpu/dist/')),
      `${spec}: bundled from the package`,
    );
  }
});

test.run();

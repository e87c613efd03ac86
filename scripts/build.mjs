// Builds the package into dist/: embeds the kernels (src/kernels/wgsl.gen.ts), compiles src/ with
// tsconfig.build.json (ESM JavaScript + .d.ts; `rewriteRelativeImportExtensions` turns the sources'
// `./x.ts` imports into `./x.js`), then
//   - rewrites the relative `.ts` specifiers TypeScript leaves in the .d.ts files to `.js`, so the types
//     resolve under every consumer's moduleResolution (node16, nodenext, bundler);
//   - copies the one plain JavaScript source (src/data/worker-boot.mjs, the decode worker's boot file).
//   node scripts/build.mjs        (npm run build; also run by `npm pack` through prepack)
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

execFileSync(process.execPath, [join(root, 'scripts', 'embed-kernels.mjs')], { stdio: 'inherit' });
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
  cwd: root,
});

const files = (dir) =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });

// `from './x.ts'`, `import('./x.ts')`, `import './x.ts'`, `declare module './x.ts'`.
const SPEC = /((?:from|import|module)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.ts\2/g;
let rewritten = 0;
for (const f of files(dist)) {
  if (!f.endsWith('.d.ts')) continue;
  const text = readFileSync(f, 'utf8');
  const out = text.replace(SPEC, (_m, pre, q, path) => `${pre}${q}${path}.js${q}`);
  if (out !== text) {
    writeFileSync(f, out);
    rewritten++;
  }
}
copyFileSync(join(root, 'src', 'data', 'worker-boot.mjs'), join(dist, 'data', 'worker-boot.mjs'));
const left = files(dist).filter(
  (f) =>
    /\.(d\.ts|js)$/.test(f) && /(from|import)\s*\(?\s*['"]\.[^'"]*\.ts['"]/.test(readFileSync(f, 'utf8')),
);
if (left.length) throw new Error(`build: .ts specifiers left in ${left.join(', ')}`);
console.log(`build: dist/ written (${files(dist).length} files, ${rewritten} .d.ts rewritten)`);

// Builds the browser demo into examples/web/dist/ (or `outdir`): embeds the kernels, bundles app.ts
// with esbuild (ESM, platform browser: a Node-only import fails the build) and copies index.html.
//   npm run web:build
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
/** Where `npm run web:build` writes the page (git-ignored). */
export const DIST = join(here, 'dist');

/** Builds the page into `outdir`; returns the bundle's size in bytes. */
export async function buildWeb(outdir = DIST, opts: { quiet?: boolean } = {}): Promise<number> {
  execFileSync(process.execPath, [join(root, 'scripts', 'embed-kernels.mjs')], {
    stdio: opts.quiet ? 'ignore' : 'inherit',
  });
  mkdirSync(outdir, { recursive: true });
  const r = await esbuild.build({
    entryPoints: [join(here, 'app.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: opts.quiet ? 'silent' : 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
  return r.metafile.outputs[Object.keys(r.metafile.outputs).find((f) => f.endsWith('app.js'))!].bytes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const bytes = await buildWeb();
  console.log(`built ${join(DIST, 'app.js')} (${(bytes / 1024).toFixed(0)} kB) and index.html`);
}

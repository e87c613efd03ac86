// The training report (src/train/report.ts) rendered by headless Chromium: the curves and the images
// must render (the page sets data-status="ok" and the counts once every image has loaded) without
// console errors; a missing image must be reported by the page. Skips, saying why, only when chromium
// is absent and cannot be installed (scripts/setup.sh installs it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeGridPNG } from '../src/data/files.ts';
import { lossCurveSVG, runReportHTML, writeRunReport } from '../src/train/report.ts';

const tmp = mkdtempSync(join(tmpdir(), 'report-test-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

function chromium(): string | null {
  let bin = findChromium();
  if (!bin && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    bin = findChromium();
  }
  return bin;
}

/** Loads a page in headless Chromium: the DOM after scripts ran, and the console lines it logged. */
function render(bin: string, file: string): { dom: string; console: string[] } {
  const r = spawnSync(
    bin,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--enable-logging=stderr',
      '--v=0',
      '--virtual-time-budget=5000',
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: tmp } },
  );
  const console = r.stderr.split('\n').filter((l) => l.includes(':CONSOLE'));
  return { dom: r.stdout, console };
}

async function fakeRun(dir: string): Promise<void> {
  mkdirSync(join(dir, 'samples'), { recursive: true });
  const lines = Array.from({ length: 120 }, (_, i) =>
    JSON.stringify({
      epoch: 1 + Math.floor(i / 60),
      batch: i % 60,
      iter: i + 1,
      lr: 0.001,
      ms: 200,
      G_L1: 5 / (1 + i / 10),
      D: 0.5 + 0.1 * Math.sin(i),
    }),
  );
  writeFileSync(join(dir, 'loss_log.jsonl'), `${lines.join('\n')}\n`);
  const data = Float32Array.from({ length: 2 * 3 * 4 * 8 }, (_, i) => Math.sin(i));
  for (const name of ['iter_0000050', 'iter_0000100', 'final'])
    await writeGridPNG(join(dir, 'samples', `${name}.png`), [{ data, shape: [2, 3, 4, 8] }]);
}

test('the report lists the curves, the grids newest first and the throughput', async () => {
  const dir = join(tmp, 'run');
  await fakeRun(dir);
  const html = runReportHTML(dir, { options: { lr: 0.001 } });
  assert.match(html, /120 iterations logged/);
  assert.match(html, /5\.00 it\/s/);
  assert.ok(html.indexOf('samples/final.png') < html.indexOf('samples/iter_0000100.png'));
  assert.ok(html.indexOf('samples/iter_0000100.png') < html.indexOf('samples/iter_0000050.png'));
  assert.is((html.match(/<svg class="curve"/g) ?? []).length, 3); // G_L1, D, lr
  assert.not.match(html.replace(/http:\/\/www.w3.org\/2000\/svg/g, ''), /https?:\/\//);
  assert.match(lossCurveSVG('x', [1, 2], [Number.NaN, 1]), /<polyline/);
});

test('headless Chromium renders the report: curves and images, no console errors', async () => {
  const bin = chromium();
  if (!bin) {
    console.log(
      '  skipped: chromium is not installed and could not be installed (scripts/setup.sh installs it)',
    );
    return;
  }
  const dir = join(tmp, 'run');
  await fakeRun(dir);
  const path = writeRunReport(dir);
  const ok = render(bin, path);
  assert.match(ok.dom, /data-status="ok"/, ok.dom.slice(0, 400));
  assert.match(ok.dom, /data-images="3"/);
  assert.match(ok.dom, /data-curves="6"/); // two polylines per curve
  assert.match(ok.dom, /<title>report ready<\/title>/);
  assert.equal(ok.console, []);
  // the checks bite: a missing image is reported by the page, a console error is seen in the log
  unlinkSync(join(dir, 'samples', 'iter_0000050.png'));
  const broken = render(bin, path);
  assert.match(broken.dom, /data-status="error: samples\/iter_0000050.png did not load"/);
  const noisy = join(dir, 'noisy.html');
  writeFileSync(noisy, '<!doctype html><html><body><script>console.error("boom")</script></body></html>');
  assert.ok(
    render(bin, noisy).console.some((l) => l.includes('boom')),
    'console errors are captured',
  );
});

test.run();

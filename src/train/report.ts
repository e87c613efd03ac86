// The training report: one self-contained report.html in a run folder (no network resources) with the
// loss curves drawn as inline SVG, the latest and earlier sample grids (relative links to samples/),
// the options of the run, its throughput and, when eval.json is there, the evaluation table. The Trainer
// rewrites it at every sample grid and checkpoint; examples/evaluate.ts after an evaluation. Once every
// image has loaded the page sets document.title to "report ready" and body[data-status] to "ok"
// ("error: ..." when an image fails), so a headless browser can check that it renders.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/files.ts';
import { type EvalResult, evalRows } from './evaluate.ts';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One loss curve as an inline SVG: the raw values (light) and a moving average (dark). */
export function lossCurveSVG(
  name: string,
  iters: number[],
  values: number[],
  width = 320,
  height = 160,
): string {
  const pad = { l: 44, r: 8, t: 18, b: 22 };
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(lo + 1e-9, ...finite);
  const x0 = iters[0] ?? 0;
  const x1 = Math.max(x0 + 1, iters[iters.length - 1] ?? 1);
  const X = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const Y = (y: number) => height - pad.b - ((y - lo) / (hi - lo)) * (height - pad.t - pad.b);
  // at most ~300 points per line
  const step = Math.max(1, Math.ceil(values.length / 300));
  const pts = (vs: number[]) =>
    vs
      .map((v, i) => [i, v] as const)
      .filter(([i, v]) => i % step === 0 && Number.isFinite(v))
      .map(([i, v]) => `${X(iters[i]!).toFixed(1)},${Y(v).toFixed(1)}`)
      .join(' ');
  const win = Math.max(1, Math.round(values.length / 20));
  const smooth = values.map((_, i) => {
    const a = values.slice(Math.max(0, i - win + 1), i + 1).filter(Number.isFinite);
    return a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  });
  return (
    `<svg class="curve" data-loss="${esc(name)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff" stroke="#ccc"/>` +
    `<text x="${pad.l}" y="13" font-size="12" font-family="sans-serif">${esc(name)}</text>` +
    `<line x1="${pad.l}" y1="${Y(lo)}" x2="${width - pad.r}" y2="${Y(lo)}" stroke="#999"/>` +
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#999"/>` +
    `<text x="${pad.l - 4}" y="${Y(hi) + 4}" font-size="10" text-anchor="end" font-family="sans-serif">${hi.toPrecision(3)}</text>` +
    `<text x="${pad.l - 4}" y="${Y(lo) + 4}" font-size="10" text-anchor="end" font-family="sans-serif">${lo.toPrecision(3)}</text>` +
    `<text x="${X(x1)}" y="${height - 6}" font-size="10" text-anchor="end" font-family="sans-serif">iter ${x1}</text>` +
    `<polyline fill="none" stroke="#9ec5ee" stroke-width="1" points="${pts(values)}"/>` +
    `<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="${pts(smooth)}"/>` +
    '</svg>'
  );
}

/** What the report shows besides the files it finds in the run folder. */
export interface ReportExtras {
  /** Title (default: the folder). */
  title?: string;
  /** Options to list (default: state.json of checkpoints/latest, when there is one). */
  options?: Record<string, unknown>;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The report's HTML for the run folder `dir` as it is now. */
export function runReportHTML(dir: string, extras: ReportExtras = {}): string {
  const log: Record<string, number>[] = [];
  const logPath = join(dir, 'loss_log.jsonl');
  if (existsSync(logPath)) {
    for (const line of readFileSync(logPath, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        log.push(JSON.parse(line));
      } catch {
        // a line being written
      }
    }
  }
  const skip = new Set(['epoch', 'batch', 'iter', 'lr', 'ms']);
  const names = log.length
    ? Object.keys(log[log.length - 1]!).filter(
        (k) => !skip.has(k) && typeof log[log.length - 1]![k] === 'number',
      )
    : [];
  const iters = log.map((e) => e.iter!);
  const curves = names.map((n) =>
    lossCurveSVG(
      n,
      iters,
      log.map((e) => e[n] ?? Number.NaN),
    ),
  );
  if (log.some((e) => typeof e.lr === 'number'))
    curves.push(
      lossCurveSVG(
        'lr',
        iters,
        log.map((e) => e.lr ?? Number.NaN),
      ),
    );
  const ms = log.map((e) => e.ms ?? 0);
  const recent = ms.slice(-100);
  const meanMs = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
  const totalS = ms.reduce((a, b) => a + b, 0) / 1000;
  const samplesDir = join(dir, 'samples');
  const grids = existsSync(samplesDir)
    ? readdirSync(samplesDir)
        .filter((f) => f.endsWith('.png'))
        .sort()
    : [];
  const ordered = [
    ...grids.filter((f) => f === 'final.png'),
    ...grids.filter((f) => f !== 'final.png').reverse(),
  ];
  const state = readJson(join(dir, 'checkpoints', 'latest', 'state.json')) as
    | { model?: object; train?: object }
    | undefined;
  const options = extras.options ?? (state ? { ...(state.train ?? {}), model: state.model } : undefined);
  const evalJson = readJson(join(dir, 'eval.json')) as (EvalResult & { iter?: number }) | undefined;
  const title = extras.title ?? `Training report: ${dir}`;
  const img = (f: string, cls: string) =>
    `<figure><img class="${cls}" src="samples/${encodeURIComponent(f)}" alt="${esc(f)}"><figcaption>${esc(f)}</figcaption></figure>`;
  const parts = [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    '<style>body{font-family:sans-serif;margin:16px;max-width:1400px}figure{display:inline-block;margin:4px}img.latest{image-rendering:pixelated;max-width:100%}img.thumb{width:220px;image-rendering:pixelated}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:400px}.curve{margin:4px}</style>',
    '</head><body data-status="loading">',
    `<h1>${esc(title)}</h1>`,
    `<p id="progress">${log.length} iterations logged${log.length ? ` (epoch ${log[log.length - 1]!.epoch}, iteration ${iters[iters.length - 1]})` : ''}; throughput ${meanMs > 0 ? (1000 / meanMs).toFixed(2) : 'n/a'} it/s over the last ${recent.length} iterations (${meanMs.toFixed(0)} ms each), ${(totalS / 60).toFixed(1)} min of steps in all. Updated ${new Date().toISOString()}.</p>`,
    '<h2>Losses</h2>',
    `<div id="curves">${curves.join('\n') || '<p>no iterations yet</p>'}</div>`,
  ];
  if (evalJson?.diversity) {
    parts.push(
      `<h2>Evaluation</h2><p>${evalJson.iter !== undefined ? `checkpoint at iteration ${evalJson.iter}, ` : ''}${evalJson.inputs} inputs x ${evalJson.samples} samples on ${esc(String(evalJson.dataroot))} (eval.json)</p>`,
      `<table id="eval"><tr><th>measure</th><th>value</th><th>reference</th></tr>${evalRows(evalJson)
        .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
        .join('')}</table>`,
    );
  }
  parts.push('<h2>Samples</h2>');
  if (ordered.length) {
    parts.push(`<div id="latest">${img(ordered[0]!, 'latest')}</div>`);
    parts.push(
      `<div id="earlier">${ordered
        .slice(1)
        .map((f) => img(f, 'thumb'))
        .join('')}</div>`,
    );
  } else parts.push('<p>no sample grids yet</p>');
  if (options) parts.push(`<h2>Options</h2><pre id="options">${esc(JSON.stringify(options, null, 1))}</pre>`);
  parts.push(
    `<script>
(function () {
  var imgs = Array.prototype.slice.call(document.images);
  var left = imgs.length;
  function done(err) {
    if (err) { document.body.dataset.status = 'error: ' + err; document.title = 'report error'; return; }
    if (document.body.dataset.status === 'loading') {
      document.body.dataset.status = 'ok';
      document.body.dataset.images = String(imgs.length);
      document.body.dataset.curves = String(document.querySelectorAll('svg.curve polyline').length);
      document.title = 'report ready';
    }
  }
  if (left === 0) done();
  imgs.forEach(function (im) {
    function one() { if (!im.naturalWidth) { done(im.getAttribute('src') + ' did not load'); return; } if (--left === 0) done(); }
    if (im.complete) one(); else { im.addEventListener('load', one); im.addEventListener('error', function () { done(im.getAttribute('src') + ' did not load'); }); }
  });
})();
</script>`,
    '</body></html>',
  );
  return `${parts.join('\n')}\n`;
}

/** Writes (atomically) `dir`/report.html; returns its path. */
export function writeRunReport(dir: string, extras: ReportExtras = {}): string {
  const path = join(dir, 'report.html');
  writeFileAtomic(path, runReportHTML(dir, extras));
  return path;
}

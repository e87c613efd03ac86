// Checks the import graph of src/: no cycles (type-only imports included), every layer imports only
// layers below it, and the core imports nothing Node-only (it must run in a browser's WebGPU).
//   node scripts/check-imports.mjs      prints the problems, exit 1 if any
// test/imports.test.ts runs the same check in CI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/**
 * Layers, lowest first: a file may import its own layer's files and lower layers only. Within a
 * layer, cycles are still refused. Paths are relative to src/ (a folder or a file without .ts).
 */
export const LAYERS = [
  ['shape', 'scope', 'gpu'],
  ['tensor'],
  ['kernels'],
  ['autograd'],
  ['ops'],
  ['methods', 'functional'],
  ['nn'],
  ['optim'],
  ['io'],
  ['models'],
  ['data'],
  ['eval'],
  ['train'],
  ['index', 'node'],
];

/** Core layers: nothing Node-only (node:*, Dawn, file or image packages) may be imported statically. */
const CORE = [
  'shape',
  'scope',
  'gpu',
  'tensor',
  'kernels',
  'autograd',
  'ops',
  'methods',
  'functional',
  'nn',
  'optim',
  'models',
  'eval',
];
const NODE_ONLY = /^(node:|webgpu$|pngjs$|fs$|path$|os$|worker_threads$)/;
/** Files of the core allowed to reach Node: Dawn is loaded lazily by gpu/device.ts. */
const NODE_ALLOWED = new Set(['gpu/dawn.ts']);

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return f.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file) {
  const r = relative(src, file).replace(/\.ts$/, '');
  const i = LAYERS.findIndex((names) => names.some((n) => r === n || r.startsWith(`${n}/`)));
  return { index: i, top: r.split('/')[0] };
}

/** Static imports and re-exports of a file: [specifier, typeOnly]. Dynamic import() is lazy: skipped. */
function importsOf(text) {
  const out = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) out.push([m[3], Boolean(m[2])]);
  return out;
}

export function checkImports() {
  const problems = [];
  const graph = new Map();
  for (const file of files(src)) {
    const rel = relative(src, file);
    const text = readFileSync(file, 'utf8');
    const from = layerOf(file);
    if (from.index < 0) problems.push(`${rel}: not in any layer of scripts/check-imports.mjs`);
    const edges = [];
    for (const [spec] of importsOf(text)) {
      if (!spec.startsWith('.')) {
        if (CORE.includes(from.top) && NODE_ONLY.test(spec) && !NODE_ALLOWED.has(rel))
          problems.push(`${rel}: the core imports Node-only '${spec}'`);
        continue;
      }
      const target = normalize(join(dirname(file), spec));
      edges.push(target);
      const to = layerOf(target);
      if (to.index > from.index)
        problems.push(
          `${rel} imports ${relative(src, target)}, a higher layer (${to.top} above ${from.top})`,
        );
    }
    graph.set(normalize(file), edges);
  }
  // Cycles: depth-first search with colours; report each cycle once.
  const state = new Map();
  const stack = [];
  const visit = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 1) {
        const cycle = stack
          .slice(stack.indexOf(g))
          .concat(g)
          .map((x) => relative(src, x));
        problems.push(`import cycle: ${cycle.join(' -> ')}`);
      } else if (!state.has(g) && graph.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const problems = checkImports();
  for (const p of problems) console.log(p);
  console.log(
    problems.length ? `${problems.length} import problem(s)` : 'imports: no cycle, layers in order',
  );
  process.exit(problems.length ? 1 : 0);
}

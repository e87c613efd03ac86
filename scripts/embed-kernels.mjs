// Embeds kernels/*.wgsl into src/kernels/wgsl.gen.ts, with what TypeScript needs to know of each file,
// read from the WGSL itself so the two sides cannot drift:
//   params    the fields of `struct Params` (the uniform at binding 0): word offset and type
//   bindings  storage-buffer and texture bindings by name -> binding number
//   consts    integer module constants (`const TM: u32 = 4u;`): tile sizes, opcodes shared with TS
//   overrides pipeline-overridable constants (`override WG_X: u32 = 8u;`)
//   entries   compute entry points -> workgroup size (numbers, or override names)
//   ops       op tables: a line `// @optable NAME PREFIX (ARGS) -> TYPE` makes a function
//             `fn NAME(op: u32, ARGS) -> TYPE` that switches over every `fn PREFIXname(ARGS)` of the
//             file in order; op numbers are the order (TypeScript gets { name: number }).
// Runs before tests, demos and builds (and on npm install); the output is not committed.
// `generate()` is exported so a test can check that the generated file is current.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(root, 'src', 'kernels', 'wgsl.gen.ts');

const stripComments = (s) => s.replace(/\/\/[^\n]*/g, '');

/** WGSL type of a Params field -> the declaration's type name and its size/alignment in words. */
function fieldType(file, name, t) {
  if (t === 'u32' || t === 'i32' || t === 'f32') return { type: t, words: 1, align: 1 };
  const vec = t.match(/^vec4([uif])$/);
  if (vec)
    return { type: `${vec[1] === 'f' ? 'f32' : vec[1] === 'i' ? 'i32' : 'u32'}x4`, words: 4, align: 4 };
  const arr = t.match(/^array<\s*vec4([uif])\s*,\s*(\d+)u?\s*>$/);
  if (arr) {
    const n = 4 * Number(arr[2]);
    return { type: `${arr[1] === 'f' ? 'f32' : arr[1] === 'i' ? 'i32' : 'u32'}x${n}`, words: n, align: 4 };
  }
  throw new Error(
    `kernels/${file}.wgsl: Params.${name} has type ${t}; use u32, i32, f32, vec4 or array<vec4, N>`,
  );
}

function parseParams(file, code) {
  const m = code.match(/struct\s+Params\s*\{([\s\S]*?)\n?\}/);
  if (!m) return null;
  const fields = {};
  let offset = 0;
  for (const f of m[1].matchAll(/(\w+)\s*:\s*(array<[^>]*>|\w+)/g)) {
    const t = fieldType(file, f[1], f[2]);
    offset = Math.ceil(offset / t.align) * t.align;
    fields[f[1]] = { offset, type: t.type };
    offset += t.words;
  }
  return { fields, words: Math.ceil(offset / 4) * 4 };
}

function parseFile(file, text) {
  const code = stripComments(text);
  const bindings = {};
  // Storage buffers and textures: binding 0 is the Params uniform, bound by the runtime.
  for (const b of code.matchAll(/@group\(0\)\s*@binding\((\d+)\)\s*var<storage[^>]*>\s+(\w+)/g))
    bindings[b[2]] = Number(b[1]);
  for (const b of code.matchAll(/@group\(0\)\s*@binding\((\d+)\)\s*var\s+(\w+)\s*:\s*texture_/g))
    bindings[b[2]] = Number(b[1]);
  const consts = {};
  for (const c of code.matchAll(/^const\s+(\w+)\s*(?::\s*[ui]32\s*)?=\s*(-?\d+)[ui]?\s*;/gm))
    consts[c[1]] = Number(c[2]);
  const overrides = [...code.matchAll(/^override\s+(\w+)/gm)].map((o) => o[1]);
  const entries = {};
  for (const e of code.matchAll(/@compute\s+@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)/g)) {
    const dims = e[1]
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean);
    while (dims.length < 3) dims.push('1');
    entries[e[2]] = dims.map((d) => (/^\d+u?$/.test(d) ? Number.parseInt(d, 10) : d));
  }
  const ops = {};
  let generated = '';
  for (const t of text.matchAll(/^\/\/ @optable (\w+) (\w+) \(([^)]*)\) -> (\w+)\s*$/gm)) {
    const [, name, prefix, args, ret] = t;
    const argNames = args.split(',').map((a) => a.split(':')[0].trim());
    const fnRe = new RegExp(`^fn ${prefix}(\\w+)\\s*\\(`, 'gm');
    const names = [...code.matchAll(fnRe)].map((f) => f[1]);
    if (names.length === 0) throw new Error(`kernels/${file}.wgsl: @optable ${name} finds no fn ${prefix}*`);
    ops[name] = Object.fromEntries(names.map((n, i) => [n, i]));
    const call = (n) => `${prefix}${n}(${argNames.join(', ')})`;
    generated += `\n// Generated from the @optable ${name} line: op i calls the i-th fn ${prefix}* above.\n`;
    generated += `fn ${name}(op: u32, ${args}) -> ${ret} {\n  switch op {\n`;
    names.forEach((n, i) => {
      generated += `    case ${i}u: { return ${call(n)}; }\n`;
    });
    generated += `    default: { return ${call(names[0])}; }\n  }\n}\n`;
  }
  return {
    source: text + generated,
    params: parseParams(file, code),
    bindings,
    consts,
    overrides,
    entries,
    ops,
  };
}

/** The text of src/kernels/wgsl.gen.ts for the current kernels/*.wgsl. */
export function generate() {
  const dir = join(root, 'kernels');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.wgsl'))
    .sort();
  let text =
    '// Generated by scripts/embed-kernels.mjs from kernels/*.wgsl (`npm run kernels`). Do not edit.\n';
  text += 'export const WGSL = {\n';
  for (const f of files) {
    const name = f.replace(/\.wgsl$/, '');
    const info = parseFile(name, readFileSync(join(dir, f), 'utf8'));
    text += `  ${JSON.stringify(name)}: ${JSON.stringify(info)},\n`;
  }
  text += '} as const;\n';
  return text;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = generate();
  if (!existsSync(OUT) || readFileSync(OUT, 'utf8') !== text) writeFileSync(OUT, text);
}

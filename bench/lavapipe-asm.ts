// What the CPU driver makes of a GEMM body: runs one small matmul (or conv) in a child process with
// lavapipe's code dump on (GALLIVM_DEBUG=asm, shader cache off), finds the compute shader's machine
// code and counts, inside its main loop (first to last vector multiply of the unrolled chunk):
// vector multiplies and adds (the FMAs), the per-lane bounds checks of storage loads (cmp + jae
// pairs, one per float each lane loads) and every other instruction. On lavapipe these counts, not
// the FLOPs, set a GEMM's speed (README, Benchmarks: what sets the GEMM's speed on the CPU driver).
//   bash scripts/run.sh bench/lavapipe-asm.ts [--body gemm_subgroup|gemm_subgroup_rows|gemm_texture|gemm] [--op matmul|conv]
//   (ASM_OUT=file also writes the main loop's instructions there, one per line)
// Only meaningful on lavapipe (llvmpipe); on a GPU there is no such dump.
import { spawnSync } from 'node:child_process';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const argv = yargs(hideBin(process.argv))
  .usage('$0 [--body B] [--op matmul|conv]: instruction counts of a GEMM body on lavapipe')
  .option('body', {
    choices: ['gemm_subgroup', 'gemm_subgroup_rows', 'gemm_texture', 'gemm'] as const,
    default: 'gemm_subgroup' as const,
  })
  .option('op', { choices: ['matmul', 'conv'] as const, default: 'matmul' as const })
  .option('child', { type: 'boolean', hidden: true, default: false })
  .strict()
  .help()
  .parseSync();

if (argv.child) {
  const T = await import('../src/index.ts');
  const { forceGemmBody } = await import('../src/kernels/gemm.ts');
  await T.init({});
  forceGemmBody(argv.body);
  const y =
    argv.op === 'matmul'
      ? T.ones([64, 64]).matmul(T.ones([64, 64]))
      : T.conv2d(T.ones([1, 16, 32, 32]), T.ones([16, 16, 4, 4]), null, { stride: 2, padding: 1 });
  await y.data();
  process.exit(0);
}

const child = spawnSync(
  process.execPath,
  [...process.execArgv, process.argv[1]!, '--child', '--body', argv.body, '--op', argv.op],
  {
    env: { ...process.env, GALLIVM_DEBUG: 'asm', MESA_SHADER_CACHE_DISABLE: 'true' },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  },
);
const dump = `${child.stdout}\n${child.stderr}`;
if (child.status !== 0) throw new Error(`child failed (${child.status}):\n${dump.slice(-2000)}`);
// Each shader lavapipe compiles is a function named cs_co_variant; ours is the one with the most vector
// multiplies (the rest fill the operands with ones).
interface Line {
  addr: number;
  op: string;
  arg: string;
}
const isMul = (op: string) => op === 'vmulps' || op.startsWith('vfmadd');
const shaders = dump
  .split(/\ncs_co_variant:\n/)
  .slice(1)
  .map((text) =>
    text
      .split(/\ncs_co_variant\.resume:/)[0]!
      .split('\n')
      .map((l): Line | null => {
        const m = l.match(/^\s*([0-9a-f]+):\t(\S+)\t?(.*)$/);
        return m ? { addr: Number.parseInt(m[1]!, 16), op: m[2]!, arg: m[3]! } : null;
      })
      .filter((l): l is Line => l !== null),
  );
const muls = (ls: Line[]) => ls.filter((l) => isMul(l.op)).length;
const shader = shaders.sort((x, y) => muls(y) - muls(x))[0];
if (!shader || muls(shader) === 0)
  throw new Error(
    'no compute shader with vector multiplies in the dump: is the adapter lavapipe (llvmpipe)?',
  );
// The main k-loop: of the backward jumps (relative target < 0), the one whose body holds the most
// multiplies.
let loop: Line[] = [];
for (let i = 0; i < shader.length; i++) {
  const l = shader[i]!;
  const rel = Number(l.arg);
  if (!l.op.startsWith('j') || !(rel < 0)) continue;
  const body = shader.filter((x) => x.addr >= l.addr + rel && x.addr <= l.addr);
  if (muls(body) > muls(loop)) loop = body;
}
const ops = shader.map((l) => l.op);
const count = (f: (op: string) => boolean) => loop.filter((l) => f(l.op)).length;
const mul = count(isMul);
const add = count((op) => op === 'vaddps');
let checks = 0;
for (let i = 1; i < loop.length; i++)
  if (loop[i]!.op === 'jae' && loop[i - 1]!.op.startsWith('cmp')) checks++;
const row = {
  body: argv.body,
  op: argv.op,
  shaderInstructions: ops.length,
  loopInstructions: loop.length,
  vectorMul: mul,
  vectorAdd: add,
  laneLoadChecks: checks,
  instructionsPerFma: +(loop.length / (mul * 8)).toFixed(2),
};
console.table([row]);
if (process.env.ASM_OUT)
  (await import('node:fs')).writeFileSync(
    process.env.ASM_OUT,
    loop.map((l) => `${l.op}\t${l.arg}`).join('\n'),
  );
console.log(
  `main loop: ${loop.length} instructions for ${mul} vector multiplies (x 8 lanes); ` +
    `${checks} per-lane load checks, ${((100 * (mul + add)) / loop.length).toFixed(0)}% arithmetic`,
);

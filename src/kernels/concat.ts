// kernels/concat.wgsl: a concatenation of up to 4 tensors in one launch (a part may repeat over the
// trailing dimensions, as an expanded z), and the gradient split back into the parts in one launch.
// Launchers record no gradient.
import { rt } from '../gpu/runtime.ts';
import type { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

const BCAST_INNER = wgslConst('concat', 'BCAST_INNER');
const WRITE = wgslConst('concat', 'WRITE');
const ACCUMULATE = wgslConst('concat', 'ACCUMULATE');
const MAX_PARTS = 4;
/** Output elements per thread. */
const E = wgslConst('concat', 'E');

const CONCAT = declareKernel({
  name: 'concat',
  files: ['concat'],
  params: { n: 'u32', count: 'u32', along: 'u32', inner: 'u32', parts: 'u32x16' },
  entries: {
    concat_join: ['in0', 'in1', 'in2', 'in3', 'out'],
    concat_split: ['g', 'g0', 'g1', 'g2', 'g3'],
  },
});

/** The output viewed as [outer, along, inner] around the concatenated dimension. */
export interface ConcatGeom {
  along: number;
  inner: number;
  /** Elements of the output. */
  n: number;
}

/** One part: `rows` rows of `along` from `start`; bcastInner: [outer, rows] repeated over inner. */
export interface ConcatPart {
  start: number;
  rows: number;
  bcastInner?: boolean;
}

/** Distinct small buffers bound where a split has no gradient to write (writable bindings must not alias). */
const scratch: GPUBuffer[] = [];
function spare(i: number): GPUBuffer {
  scratch[i] ??= rt().pool.acquire(16);
  return scratch[i];
}

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += MAX_PARTS) out.push(list.slice(i, i + MAX_PARTS));
  return out;
}

const table = (parts: { part: ConcatPart; flags: number }[]) =>
  parts.flatMap(({ part, flags }) => [part.start, part.rows, flags | (part.bcastInner ? BCAST_INNER : 0), 0]);

/** out = the parts joined (one launch per 4 parts). */
export function concatJoin(parts: { t: Tensor; part: ConcatPart }[], out: Tensor, geom: ConcatGeom): void {
  if (geom.n === 0) return;
  for (const c of chunks(parts.filter((x) => x.part.rows > 0))) {
    const bind = { in0: c[0].t, in1: (c[1] ?? c[0]).t, in2: (c[2] ?? c[0]).t, in3: (c[3] ?? c[0]).t, out };
    CONCAT.run('concat_join', {
      params: { ...geom, count: c.length, parts: table(c.map(({ part }) => ({ part, flags: 0 }))) },
      bind,
      threads: Math.ceil(geom.n / E),
    });
  }
}

/**
 * Each part's slice of g written to (or, with accumulate, added to) its gradient tensor; parts with
 * no tensor are skipped. One launch per 4 parts.
 */
export function concatSplit(
  g: Tensor,
  parts: { grad: Tensor | null; accumulate: boolean; part: ConcatPart }[],
  geom: ConcatGeom,
): void {
  if (geom.n === 0) return;
  for (const c of chunks(parts.filter((x) => x.part.rows > 0))) {
    if (c.every((x) => !x.grad)) continue;
    const gs = [0, 1, 2, 3].map((i) => c[i]?.grad ?? spare(i));
    CONCAT.run('concat_split', {
      params: {
        ...geom,
        count: c.length,
        parts: table(
          c.map((x) => ({ part: x.part, flags: x.grad ? WRITE | (x.accumulate ? ACCUMULATE : 0) : 0 })),
        ),
      },
      bind: { g, g0: gs[0], g1: gs[1], g2: gs[2], g3: gs[3] },
      threads: Math.ceil(geom.n / E),
    });
  }
}

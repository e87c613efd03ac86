// Train BicycleGAN. With --dataroot, on an aligned pix2pix data set (edges2shoes: A|B 512x256 JPEGs)
// with the reference's edges2shoes recipe; without it, on a procedural multimodal data set generated
// once into data/synthetic-64 (outlines -> one of four colour/texture fills), small enough to show
// learning on a CPU: the embedded demo is 1400 iterations, about 2 minutes at 11 it/s on 2 cores.
// Options are the official code's (snake_case), all in one table (src/train/bicyclegan-options.ts);
// precedence: defaults < recipe < a JSON file given with --config < the command line.
//   npx tsx examples/edges2shoes.ts --help
import { hideBin } from 'yargs/helpers';
import { ensureSyntheticDataset } from '../src/data/synthetic-files.ts';
import { init } from '../src/index.ts';
import { trainBicycleGAN } from '../src/train/bicyclegan.ts';
import { parseTrainCommand } from '../src/train/bicyclegan-options.ts';

let parsed: Awaited<ReturnType<typeof parseTrainCommand>>;
try {
  parsed = await parseTrainCommand(hideBin(process.argv));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
const { options, train } = parsed;

await init({ verbose: options.verbose });
if (!options.dataroot) {
  const m = await ensureSyntheticDataset(train.dataroot, {
    size: 64,
    train: 400,
    val: 16,
    modes: 4,
    seed: 0,
  });
  console.log(`no --dataroot: using the synthetic set ${train.dataroot} (${m.modeNames.join(', ')})`);
}

try {
  const r = await trainBicycleGAN(train);
  console.log(`${r.stopped}: ${r.state.iter} iterations; checkpoints and samples in ${train.outputDir}`);
  process.exit(r.stopped === 'interrupted' ? 130 : 0);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}

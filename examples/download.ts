// Downloads a pix2pix / BicycleGAN data set into ./datasets/<name>, as the official
// datasets/download_dataset.sh does. Fails fast (no hang) when the network is unreachable.
//   node --import tsx examples/download.ts edges2shoes
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DATASETS, datasetURL, downloadDataset } from '../src/data/download.ts';

const argv = await yargs(hideBin(process.argv))
  .scriptName('download')
  .usage('$0 <name>\n\nDownloads a pix2pix data set (A|B JPEG pairs) and unpacks it into <dir>/<name>.')
  .command('$0 <name>', 'download one data set', (y) =>
    y.positional('name', { type: 'string', describe: `one of: ${DATASETS.join(', ')}`, demandOption: true }),
  )
  .option('dir', { type: 'string', default: 'datasets', describe: 'folder that receives <name>/' })
  .option('url', { type: 'string', describe: `archive URL (default ${datasetURL('<name>')})` })
  .option('timeout', { type: 'number', default: 15, describe: 'seconds to wait for a response' })
  .option('stall', { type: 'number', default: 60, describe: 'seconds without data before giving up' })
  .option('force', {
    type: 'boolean',
    default: false,
    describe: 'download again even if the folder has data',
  })
  .example('$0 edges2shoes', 'fetch edges2shoes (2.2 GB) into ./datasets/edges2shoes')
  .strict()
  .help()
  .parseAsync();

try {
  const dir = await downloadDataset(String(argv.name), {
    dir: argv.dir,
    url: argv.url,
    connectTimeoutMs: argv.timeout * 1000,
    stallTimeoutMs: argv.stall * 1000,
    force: argv.force,
    log: (m) => console.log(m),
  });
  console.log(dir);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}

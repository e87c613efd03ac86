// Serves the browser demo on 127.0.0.1: the page (built into examples/web/dist first, about a second),
// the generator and encoder of a training run's checkpoint, and example edge maps from the run's
// validation set. Nothing else is served: no directory listings, no other file of the run.
//   npm run web -- --run runs/synthetic [--epoch latest] [--port 8080] [--examples data/synthetic-64/val]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkpointDir, readState } from '../../src/train/checkpoint.ts';
import { buildWeb, DIST } from './build.ts';

/** Options of startServer. */
export interface ServeOptions {
  /** A training run folder (with checkpoints/). */
  run: string;
  /** Checkpoint tag (default latest). */
  epoch?: string;
  /** Port (default 8080; 0: any free one). */
  port?: number;
  host?: string;
  /** Where the page is built (default examples/web/dist). */
  dist?: string;
  /** Build the page first (default true); false serves what `dist` holds. */
  build?: boolean;
  /** A folder of example images (A|B pairs or A alone); default: the run's dataroot/val. */
  examples?: string;
  /** At most this many examples (default 12). */
  maxExamples?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.safetensors': 'application/octet-stream',
};

/** Starts the server; resolves when it listens. */
export async function startServer(o: ServeOptions): Promise<{ url: string; server: Server; folder: string }> {
  const folder = checkpointDir(join(o.run, 'checkpoints'), o.epoch ?? 'latest');
  const state = readState(folder);
  const train = (state.train ?? {}) as { dataroot?: string; direction?: string };
  const dist = o.dist ?? DIST;
  if (o.build !== false) await buildWeb(dist, { quiet: true });
  const exDir = o.examples ?? (train.dataroot ? join(train.dataroot, 'val') : undefined);
  const exFiles =
    exDir && statSync(exDir, { throwIfNoEntry: false })?.isDirectory()
      ? readdirSync(exDir)
          .filter((f) => /\.(png|jpe?g)$/i.test(f))
          .sort()
          .slice(0, o.maxExamples ?? 12)
      : [];
  // The routes, fixed at start: URL path -> file.
  const routes = new Map<string, string>([
    ['/', join(dist, 'index.html')],
    ['/index.html', join(dist, 'index.html')],
    ['/app.js', join(dist, 'app.js')],
    ['/app.js.map', join(dist, 'app.js.map')],
  ]);
  for (const f of ['state.json', 'net_G.safetensors', 'net_E.safetensors'])
    routes.set(`/checkpoint/${f}`, join(folder, f));
  exFiles.forEach((f, i) => {
    routes.set(`/examples/${i}${extname(f).toLowerCase()}`, join(exDir!, f));
  });
  const examples = JSON.stringify({
    direction: train.direction ?? 'AtoB',
    files: exFiles.map((f, i) => ({ name: f, url: `examples/${i}${extname(f).toLowerCase()}` })),
  });
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/examples.json') {
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' }).end(examples);
      return;
    }
    const file = routes.get(path);
    if (!file || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    const body = readFileSync(file);
    res
      .writeHead(200, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
      })
      .end(req.method === 'HEAD' ? undefined : body);
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 8080, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}/`, server, folder };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { values } = parseArgs({
      options: {
        run: { type: 'string' },
        epoch: { type: 'string', default: 'latest' },
        port: { type: 'string', default: '8080' },
        examples: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help || !values.run) {
      console.log(
        'usage: npm run web -- --run <run folder> [--epoch latest] [--port 8080] [--examples <folder>]',
      );
      process.exit(values.help ? 0 : 1);
    }
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port ${values.port}: not a port`);
    const { url, folder } = await startServer({
      run: values.run,
      epoch: values.epoch,
      port,
      examples: values.examples ? resolve(values.examples) : undefined,
    });
    console.log(`serving the demo with ${folder} at ${url} (Ctrl-C stops)`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}

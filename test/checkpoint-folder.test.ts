// Checkpoint folders of any model (src/train/checkpoint-folder.ts): a round trip of two networks and
// their Adam states, all-or-nothing loading of a damaged folder, the state-last rule, and the fallback
// to `<tag>.old`. (The kill-at-every-step test of the swap is in train.test.ts, on BicycleGAN.)
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, init, nn, tensor } from '../src/index.ts';
import {
  checkpointable,
  loadModelCheckpoint,
  readCheckpointState,
  saveModelCheckpoint,
  writeCheckpointFolder,
} from '../src/train/checkpoint-folder.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bicycle-ckpt-folder-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** Two small networks and their optimizers, seeded. */
function model(seed: number) {
  const G = new nn.Sequential(new nn.Linear(3, 4, true, { seed }), new nn.Tanh());
  const D = new nn.Linear(4, 1, true, { seed: seed + 1 });
  const optG = new Adam(G.namedParameters(), { lr: 0.01 });
  const optD = new Adam(D.namedParameters(), { lr: 0.02 });
  return { G, D, optG, optD, parts: checkpointable({ G, D }, { G: optG, D: optD }) };
}

/** One Adam step of both networks on a fixed batch (so the moments are not zero). */
function step(m: ReturnType<typeof model>): void {
  const x = tensor([0.5, -1, 2, 1, 0, -0.5], [2, 3]);
  m.optG.zeroGrad();
  m.optD.zeroGrad();
  m.D.call(m.G.call(x)).square().mean().backward();
  m.optG.step();
  m.optD.step();
}

const weights = async (m: ReturnType<typeof model>) =>
  Promise.all([...m.G.parameters(), ...m.D.parameters()].map(async (p) => Array.from(await p.data())));

test.before(async () => {
  await init();
});

test('saveModelCheckpoint / loadModelCheckpoint: weights, Adam moments and the state come back', async () => {
  const a = model(1);
  step(a);
  const dir = join(tmp, 'roundtrip');
  const folder = await saveModelCheckpoint(dir, 'latest', a.parts, { epoch: 2, batch: 1, iter: 7, rng: 3 });
  assert.is(folder, join(dir, 'latest'));
  const b = model(10);
  const { state } = loadModelCheckpoint<{ iter: number }>(dir, 'latest', b.parts);
  assert.is(state.iter, 7);
  assert.equal(await weights(b), await weights(a));
  // The same next step from the same moments gives the same weights.
  step(a);
  step(b);
  assert.equal(await weights(b), await weights(a));
  assert.is(readCheckpointState<{ epoch: number }>(dir, 'latest').epoch, 2);
});

test('a damaged folder is refused with every problem named, and no weight changes', async () => {
  const a = model(1);
  const dir = join(tmp, 'damaged');
  await saveModelCheckpoint(dir, 'latest', a.parts, { iter: 1 });
  writeFileSync(join(dir, 'latest', 'net_D.safetensors'), 'not a safetensors file');
  rmSync(join(dir, 'latest', 'opt_G.safetensors'));
  const b = model(20);
  const before = await weights(b);
  assert.throws(
    () => loadModelCheckpoint(dir, 'latest', b.parts),
    (e: Error) =>
      e.message.includes('nothing was changed') &&
      e.message.includes('net_D.safetensors') &&
      e.message.includes('opt_G.safetensors'),
  );
  assert.equal(await weights(b), before, 'G was not loaded either');
});

test('a network of another shape is named with both shapes', async () => {
  const dir = join(tmp, 'shapes');
  await saveModelCheckpoint(dir, 'latest', model(1).parts, {});
  const other = checkpointable({
    G: new nn.Sequential(new nn.Linear(3, 5, true, { seed: 1 }), new nn.Tanh()),
  });
  assert.throws(
    () => loadModelCheckpoint(dir, 'latest', other),
    (e: Error) => /net_G\.safetensors: .*\[4,3\].*\[5,3\]/.test(e.message),
  );
});

test('state.json must be the last file written; a missing tag is named; <tag>.old is the fallback', async () => {
  const dir = join(tmp, 'rules');
  assert.throws(
    () =>
      writeCheckpointFolder(dir, 'latest', [
        ['state.json', '{}'],
        ['net_G.safetensors', new Uint8Array(1)],
      ]),
    /state\.json must be the last file/,
  );
  assert.throws(() => readCheckpointState(dir, 'latest'), /no checkpoint 'latest' in/);
  await saveModelCheckpoint(dir, 'latest', model(1).parts, { iter: 5 });
  renameSync(join(dir, 'latest'), join(dir, 'latest.old')); // a swap killed between its renames
  const { state, folder } = loadModelCheckpoint<{ iter: number }>(dir, 'latest', model(2).parts);
  assert.is(state.iter, 5);
  assert.is(folder, join(dir, 'latest.old'));
});

test.run();

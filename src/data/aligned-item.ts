// Loads one aligned item from disk (Node): read, decode, transform. Runs in the decode workers and,
// without workers, on the main thread.
import { readImageFile } from './files.ts';
import {
  type AlignedItem,
  type AlignedTransformSpec,
  type AugmentDraw,
  transformAligned,
} from './transform.ts';

export interface ItemTask {
  path: string;
  spec: AlignedTransformSpec;
  draw: AugmentDraw;
}

export async function loadAlignedItem(task: ItemTask): Promise<AlignedItem> {
  const img = await readImageFile(task.path);
  return transformAligned(img, task.spec, task.draw, task.path);
}

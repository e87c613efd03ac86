// The Node-only side of the library (`bicycle-webgpu/node`): checkpoint files and folders, image files
// and data sets, the Trainer loop and its option tables, and BicycleGAN's training command. Nothing here runs in
// a browser; the package root and its other subpaths never import this file.
export * from './data/node.ts';
export * from './eval/index.ts';
export * from './io/files.ts';
export {
  sampleGrid as bicycleGANSampleGrid,
  type TrainOptions,
  type TrainResult,
  trainBicycleGAN,
} from './train/bicyclegan.ts';
export { EMBEDDED, PRESETS, parseTrainCommand, RECIPE } from './train/bicyclegan-options.ts';
export * from './train/checkpoint-folder.ts';
export * from './train/evaluate.ts';
export * from './train/options.ts';
export * from './train/report.ts';
export * from './train/trainer.ts';

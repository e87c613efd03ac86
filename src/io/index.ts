// Checkpoints as bytes (browser-safe). The Node file helpers are in ./files.ts, imported separately.
export {
  FORMAT_VERSION,
  type LoadedModule,
  loadModuleBytes,
  loadOptimizerBytes,
  type MetadataInput,
  moduleToBytes,
  optimizerToBytes,
} from './checkpoint.ts';
export { type HostArray, parse, type Safetensors, serialize } from './safetensors.ts';

// The data side's pure modules (no Node imports): usable in a browser as they are.
// Node-only parts (files, the aligned loader, the synthetic set writer, downloads) are in node.ts.
export * from './grid.ts';
export * from './image.ts';
export * from './rng.ts';
export * from './synthetic.ts';
export * from './transform.ts';

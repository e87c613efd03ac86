// Everything of the data side, Node parts included: the aligned loader, image files, the synthetic
// set writer and data set downloads.
export * from './aligned.ts';
export * from './download.ts';
export * from './files.ts';
export * from './headers.ts';
export * from './index.ts';
export * from './synthetic-files.ts';

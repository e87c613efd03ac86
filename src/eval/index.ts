// Evaluation measures without pretrained weights (diversity, mode coverage, NDB/JSD, reconstruction).
export * from './metrics.ts';
export * from './msssim.ts';

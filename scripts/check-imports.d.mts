// Types of check-imports.mjs (for test/kernels.test.ts).
export declare const LAYERS: string[][];
/** Problems found in the import graph of src/ (empty: none). */
export declare function checkImports(): string[];

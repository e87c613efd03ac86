// Types of embed-kernels.mjs (for test/kernels.test.ts).
/** Path of the generated src/kernels/wgsl.gen.ts. */
export declare const OUT: string;
/** The text that file must have for the current kernels/*.wgsl. */
export declare function generate(): string;

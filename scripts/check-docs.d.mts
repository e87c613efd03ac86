// Types of check-docs.mjs (for test/docs.test.ts).
/** The public entry points: package.json `exports` subpath -> source file. */
export declare const ENTRY_POINTS: Record<string, string>;
/** Exported names of the public entry points without a doc comment (empty: none). */
export declare function checkDocs(): string[];

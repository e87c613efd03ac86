// Checks that every name exported by the package's public entry points has a doc comment (/** ... */
// on its declaration, or on the export statement that names it).
//   node scripts/check-docs.mjs      lists the undocumented names, exit 1 if any
// test/docs.test.ts runs the same check in CI.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The public entry points: package.json `exports` subpath -> source file. */
export const ENTRY_POINTS = {
  '.': 'src/index.ts',
  './nn': 'src/nn/index.ts',
  './optim': 'src/optim/index.ts',
  './data': 'src/data/index.ts',
  './io': 'src/io/index.ts',
  './models': 'src/models/index.ts',
  './node': 'src/node.ts',
};

const hasDoc = (node) => ts.getJSDocCommentsAndTags(node).length > 0 || /\/\*\*/.test(leading(node));

function leading(node) {
  const text = node.getSourceFile().getFullText();
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  return ranges.map((r) => text.slice(r.pos, r.end)).join('\n');
}

/** The statement a declaration belongs to (a `const` declarator's VariableStatement, and so on). */
function statementOf(node) {
  let n = node;
  while (n.parent && !ts.isSourceFile(n.parent) && !ts.isModuleBlock(n.parent)) n = n.parent;
  return n;
}

export function checkDocs() {
  const files = Object.values(ENTRY_POINTS).map((f) => join(root, f));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const missing = [];
  for (const [sub, file] of Object.entries(ENTRY_POINTS)) {
    const sf = program.getSourceFile(join(root, file));
    const mod = checker.getSymbolAtLocation(sf);
    for (const sym of checker.getExportsOfModule(mod)) {
      // The export specifier itself may carry the comment (export { x } with /** */ above it).
      const exportDocs = (sym.declarations ?? []).some(
        (d) => hasDoc(statementOf(d)) && statementOf(d) !== sf,
      );
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      const decls = target.declarations ?? [];
      const documented =
        exportDocs ||
        decls.some(
          (d) =>
            hasDoc(d) ||
            hasDoc(statementOf(d)) ||
            (ts.isSourceFile(d) && /^\/\/|^\/\*/.test(d.getFullText().trimStart())),
        );
      if (!documented) {
        const d = decls[0];
        const where = d
          ? `${relative(root, d.getSourceFile().fileName)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}`
          : '?';
        missing.push(
          `${sub === '.' ? 'bicycle-webgpu' : `bicycle-webgpu/${sub.slice(2)}`}: ${sym.name} (${where})`,
        );
      }
    }
  }
  return missing;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const missing = checkDocs();
  for (const m of missing) console.log(m);
  console.log(
    missing.length
      ? `${missing.length} exported name(s) without a doc comment`
      : 'docs: every exported name has a doc comment',
  );
  process.exit(missing.length ? 1 : 0);
}

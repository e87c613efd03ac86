// The public API is documented and is what package.json exports: every name exported by an entry point
// has a doc comment (scripts/check-docs.mjs), and the entry points are exactly the `exports` subpaths.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkDocs, ENTRY_POINTS } from '../scripts/check-docs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('every exported name of the public entry points has a doc comment', () => {
  const missing = checkDocs();
  assert.equal(missing, [], `undocumented:\n${missing.join('\n')}`);
});

test('the entry points are the package exports, built from their sources', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  assert.equal(subpaths.sort(), Object.keys(ENTRY_POINTS).sort());
  for (const [sub, file] of Object.entries(ENTRY_POINTS)) {
    const js = file.replace(/^src\//, './dist/').replace(/\.ts$/, '.js');
    assert.equal(pkg.exports[sub], { types: js.replace(/\.js$/, '.d.ts'), default: js }, sub);
  }
  assert.is(pkg.exports['.'].default, pkg.main);
  assert.is(pkg.exports['.'].types, pkg.types);
  assert.not.ok(pkg.scripts.postinstall, 'no postinstall: scripts/ is not in the package');
});

test.run();

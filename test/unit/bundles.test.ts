// The shipped bundles copy each external module once (scripts/build.mjs, the one-copy plugin):
// esbuild would wrap every `import * as x from 'vscode'` of a CommonJS module in a getter copy of
// its own per importing file — 55 copies of the VS Code API in the extension host.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dist = path.resolve(__dirname, '../..');

for (const bundle of ['extension.js', 'cli.js', 'snapshotWorker.js']) {
  test(`${bundle} wraps each external module at most once`, () => {
    const text = fs.readFileSync(path.join(dist, bundle), 'utf8');
    const wraps = new Map<string, number>();
    for (const m of text.matchAll(/(?:__toESM|__reExport\([\w$]+,)\s*\(?require\("([^"]+)"\)/g)) wraps.set(m[1], (wraps.get(m[1]) ?? 0) + 1);
    assert.ok(wraps.size > 0, 'no wrapped require found: the pattern no longer matches the bundle');
    const twice = [...wraps].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], `modules copied more than once: ${twice.map(([m, n]) => `${m} ×${n}`).join(', ')}`);
    if (bundle === 'extension.js') assert.equal(wraps.get('vscode'), 1);
  });
}

// The README's Settings table against the manifest: every ipcInspector.* setting listed once, with
// the manifest's default (a setting documented twice with two defaults went unnoticed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

test('the README lists every setting of package.json once, with its default', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  };
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = new Map<string, string[]>();
  for (const m of readme.matchAll(/^\| `(ipcInspector\.[\w.]+)` \| `([^`]*)` \|/gm)) rows.set(m[1], [...(rows.get(m[1]) ?? []), m[2]]);
  for (const [key, spec] of Object.entries(pkg.contributes.configuration.properties)) {
    const listed = rows.get(key);
    assert.ok(listed, `${key} is not in the README's Settings table`);
    assert.equal(listed.length, 1, `${key} is listed ${listed.length} times: ${listed.join(', ')}`);
    const want = typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default);
    assert.equal(listed[0], want, `${key}: the README says ${listed[0]}, the manifest ${want}`);
  }
  for (const key of rows.keys()) assert.ok(key in pkg.contributes.configuration.properties, `the README lists ${key}, which the manifest does not have`);
});

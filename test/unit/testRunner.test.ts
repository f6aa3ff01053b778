// scripts/test.mjs (`npm test`) ends with `N passed, N failed` over every layer: a failing
// integration test must show in that line, not only the VS Code layers' counts (it once read
// "51 passed, 0 failed" with an integration test failing). Runs the real script on a tiny tree
// of built tests (--dist): one passing unit test, one failing and one passing integration test.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');

test('the closing line of npm test counts the tests of every layer, failures included', () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-runner-'));
  try {
    const write = (rel: string, body: string): void => {
      fs.mkdirSync(path.dirname(path.join(dist, rel)), { recursive: true });
      fs.writeFileSync(path.join(dist, rel), `const { test } = require('node:test');\nconst assert = require('node:assert');\n${body}\n`);
    };
    write('test/unit/a.test.js', "test('unit passes', () => assert.equal(1, 1));");
    write('test/integration/b.test.js', "test('integration passes', () => assert.equal(1, 1));\ntest('integration fails', () => assert.equal(1, 2));");
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, [path.join(repo, 'scripts/test.mjs'), '--only', 'unit,integration', '--dist', dist], { encoding: 'utf8', env, timeout: 120_000 });
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), '2 passed, 1 failed', r.stdout.slice(-1500));
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /FAIL {2}integration/);
  } finally {
    fs.rmSync(dist, { recursive: true, force: true });
  }
});

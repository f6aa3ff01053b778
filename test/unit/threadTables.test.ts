// The cap on threads with an fd table of their own walked per process lives in C (both native
// walks: native/src/walkrows.h kMaxThreadTables) and in the snapshot's warning (MAX_THREAD_TABLES):
// the C constant is read here, not copied by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_THREAD_TABLES } from '../../src/core/native';

test('MAX_THREAD_TABLES is native/src/walkrows.h kMaxThreadTables', () => {
  const h = fs.readFileSync(path.resolve(__dirname, '../../../native/src/walkrows.h'), 'utf8');
  const m = /constexpr uint32_t kMaxThreadTables = (\d+);/.exec(h);
  assert.ok(m, 'kMaxThreadTables in walkrows.h');
  assert.equal(Number(m[1]), MAX_THREAD_TABLES);
});

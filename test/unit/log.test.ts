// The Output channel's door (src/log.ts): other users' text never starts a line of its own or
// writes control characters, not even through an Error's stack.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logArg } from '../../src/log';

test('an Error whose message holds a forged frame and a forged log line: one line of message, frames of code only', () => {
  const e = new Error("open '/tmp/s\n    at x\n[error] forged\x1b]0;t\x07'");
  const safe = logArg(e) as Error;
  const [first, ...rest] = safe.stack!.split('\n');
  assert.equal(first, "Error: open '/tmp/s\\n    at x\\n[error] forged\\x1b]0;t\\x07'");
  assert.ok(rest.length > 0 && rest.every((l) => /^ {4}at /.test(l)), rest.join('\n'));
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(safe.stack!), 'no control characters');
  assert.ok(!safe.stack!.split('\n').some((l) => l.startsWith('[error]')), 'no forged line');
});

test('a stack that is not what V8 wrote for this message: its frames are left out', () => {
  const e = new Error('plain');
  e.stack = 'something else\n    at y\n[error] forged';
  assert.equal((logArg(e) as Error).stack, 'Error: plain');
});

test('an Error with an empty message keeps its frames', () => {
  const safe = logArg(new Error('')) as Error;
  const [first, ...rest] = safe.stack!.split('\n');
  assert.equal(first, 'Error');
  assert.ok(rest.length > 0 && rest.every((l) => /^ {4}at /.test(l)), safe.stack);
});

test('text and other arguments: escaped, one line', () => {
  assert.equal(logArg('a\nb\u202e'), 'a\\nb\\u202e');
  assert.equal(logArg({ p: 'x\ny' }), '{"p":"x\\ny"}');
  assert.equal(logArg(3), 3);
});

// Host-side validation of what the inspector webview posts: the webview is untrusted, so every
// malformed or hostile message must be rejected with a reason (and never reach an action).
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateWebviewMessage, checkShown, isHostMessage, depthOf, base64FromBytes, bytesFromBase64, type WebviewMessage } from '../../src/webviews/inspector/protocol';

const ok = (m: unknown) => {
  const v = validateWebviewMessage(m);
  assert.equal(v.ok, true, v.ok ? '' : `rejected: ${v.reason} for ${JSON.stringify(m)}`);
  return v.ok ? v.message : (undefined as never);
};
const bad = (m: unknown, re?: RegExp) => {
  const v = validateWebviewMessage(m);
  assert.equal(v.ok, false, `accepted: ${JSON.stringify(m)}`);
  if (re && !v.ok) assert.match(v.reason, re);
};

describe('valid messages pass', () => {
  test('every type', () => {
    ok({ type: 'ready' });
    ok({ type: 'peek', requestId: 1, channelId: 'sysv-msg:32768', offset: 0 });
    ok({ type: 'peek', requestId: 2, channelId: 'sysv-shm:5', offset: 4096, maxBytes: 65536 });
    ok({ type: 'sendSignal', requestId: 3, pid: 1234, startTime: 98765, signal: 10 });
    ok({ type: 'sendSignal', requestId: 4, pid: 1234, startTime: 98765, signal: 37, value: 42 });
    ok({ type: 'sendSignal', requestId: 4, pid: 1234, startTime: 98765, signal: 37, value: -2147483648 });
    ok({ type: 'receiveMq', requestId: 5, channelId: 'posix-mq:q1' });
    ok({ type: 'copy', channelId: 'pipe:77', format: 'hex' });
    ok({ type: 'save', channelId: 'sysv-msg:1', index: 3 });
    // a message a consuming receive took, named by that receive's request id
    ok({ type: 'copy', channelId: 'posix-mq:q1', format: 'text', received: 4 });
    ok({ type: 'save', channelId: 'posix-mq:q1', received: 4 });
    ok({ type: 'inspect', pid: 7 });
    ok({ type: 'inspect', channelId: 'tcp:127.0.0.1:80->127.0.0.1:5000' });
    ok({ type: 'setLive', live: false });
    ok({ type: 'rendered', view: 'channel', texts: ['a', 'b'], elementCount: 10, imgCount: 0, scriptCount: 1 });
  });
  test('an object without prototype is accepted (structured clone may produce plain objects only, but be lenient)', () => {
    const m = Object.assign(Object.create(null), { type: 'ready' });
    ok(m);
  });
});

describe('malformed messages are rejected', () => {
  test('not objects', () => {
    for (const m of [null, undefined, 0, 1, 'ready', true, [], [{ type: 'ready' }], () => 0]) bad(m, /not a plain object/);
  });
  test('class instances and exotic objects', () => {
    bad(new Date(), /not a plain object/);
    bad(new Map([['type', 'ready']]), /not a plain object/);
    class Fake { type = 'ready'; }
    bad(new Fake(), /not a plain object/);
  });
  test('unknown or missing kinds', () => {
    bad({}, /unknown message type/);
    bad({ type: 'exec', command: 'rm -rf /' }, /unknown message type/);
    bad({ type: 'READY' }, /unknown message type/);
    bad({ type: 42 }, /unknown message type/);
    bad({ type: 'toString' }, /unknown message type/);
    bad({ type: 'hasOwnProperty' }, /unknown message type/);
    bad({ type: '__proto__' }, /unknown message type/);
  });
  test('wrong types', () => {
    bad({ type: 'peek', requestId: '1', channelId: 'pipe:1', offset: 0 }, /requestId/);
    bad({ type: 'peek', requestId: 1, channelId: 7, offset: 0 }, /channelId/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: '0' }, /offset/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: null }, /offset/);
    bad({ type: 'sendSignal', requestId: 1, pid: '1234', startTime: 1, signal: 10 }, /pid/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 'SIGKILL' }, /signal/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 10, value: '42' }, /value/);
    bad({ type: 'sendSignal', requestId: 1, pid: [1234], startTime: 1, signal: 10 }, /pid/);
    bad({ type: 'sendSignal', requestId: 1, pid: { valueOf: 1234 }, startTime: 1, signal: 10 }, /pid/);
    bad({ type: 'setLive', live: 'yes' }, /live/);
    bad({ type: 'copy', channelId: 'pipe:1', format: 'html' }, /format/);
    bad({ type: 'copy', channelId: 'posix-mq:q1', format: 'hex', index: 1, received: 2 }, /at most one/);
    bad({ type: 'save', channelId: 'posix-mq:q1', received: -1 }, /received/);
    bad({ type: 'rendered', view: 'x', texts: [1, 2], elementCount: 0, imgCount: 0, scriptCount: 0 }, /texts/);
  });
  test('missing and extra fields', () => {
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1' }, /missing field offset/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, signal: 10 }, /missing field startTime/);
    bad({ type: 'ready', extra: 1 }, /unexpected field/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 10, force: true }, /unexpected field/);
    bad({ type: 'inspect' }, /exactly one/);
    bad({ type: 'inspect', pid: 1, channelId: 'pipe:1' }, /exactly one/);
  });
  test('huge, fractional, negative and non-finite numbers', () => {
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: -1 }, /out of range/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: 1.5 }, /integer/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: 2 ** 60 }, /integer/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: Infinity }, /integer/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: NaN }, /integer/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: 0, maxBytes: 1e12 }, /out of range/);
    bad({ type: 'peek', requestId: 1, channelId: 'pipe:1', offset: 0, maxBytes: 0 }, /out of range/);
    bad({ type: 'peek', requestId: -1, channelId: 'pipe:1', offset: 0 }, /out of range/);
    bad({ type: 'peek', requestId: 2 ** 31, channelId: 'pipe:1', offset: 0 }, /out of range/);
    bad({ type: 'sendSignal', requestId: 1, pid: 0, startTime: 1, signal: 10 }, /pid/);
    bad({ type: 'sendSignal', requestId: 1, pid: -1, startTime: 1, signal: 10 }, /pid/);
    bad({ type: 'sendSignal', requestId: 1, pid: 99999999, startTime: 1, signal: 10 }, /pid/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: -5, signal: 10 }, /startTime/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 0 }, /signal/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 65 }, /signal/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 10, value: 2 ** 31 }, /value/);
    bad({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 1, signal: 10, value: 0.5 }, /value/);
  });
  test('malformed channel ids', () => {
    for (const id of ['', 'pipe', 'pipe:', 'bogus:1', ' pipe:1', 'PIPE:1', 'sysv-msg:' + 'x'.repeat(600), 'pipe:\u0000', 'posix-mq:a\u0000b']) {
      bad({ type: 'peek', requestId: 1, channelId: id, offset: 0 }, /channelId/);
    }
  });
  test('POSIX names may hold anything but NUL (the host then accepts only ids it showed)', () => {
    ok({ type: 'peek', requestId: 1, channelId: 'posix-mq:<img src=x onerror=alert(1)>\nnext line', offset: 0 });
  });
  test('oversized test reports', () => {
    bad({ type: 'rendered', view: 'x', texts: new Array(3000).fill('a'), elementCount: 0, imgCount: 0, scriptCount: 0 }, /texts/);
  });
});

describe('prototype pollution keys are rejected', () => {
  test('__proto__ / constructor / prototype as own keys', () => {
    bad(JSON.parse('{"type":"ready","__proto__":{"polluted":true}}'), /forbidden key/);
    bad(JSON.parse('{"type":"peek","requestId":1,"channelId":"pipe:1","offset":0,"constructor":{"prototype":{"x":1}}}'), /forbidden key/);
    bad({ type: 'ready', prototype: {} }, /forbidden key/);
    bad(JSON.parse('{"__proto__":{"type":"ready"}}'), /forbidden key/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  test('a type inherited through the prototype chain does not count', () => {
    const m = Object.create({ type: 'ready' });
    bad(m, /not a plain object/);
  });
  test('symbol keys', () => {
    bad({ type: 'ready', [Symbol('x')]: 1 }, /symbol/);
  });
});

describe('semantic check: only what the panel showed', () => {
  const shown = { pids: new Map([[1234, 5000]]), channels: new Set(['sysv-msg:1']), signalPid: 1234, isLive: (pid: number) => pid === 1234 };
  const v = (m: unknown) => ok(m) as WebviewMessage;
  test('shown things pass', () => {
    assert.equal(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 5000, signal: 10 }), shown), null);
    assert.equal(checkShown(v({ type: 'peek', requestId: 1, channelId: 'sysv-msg:1', offset: 0 }), shown), null);
    assert.equal(checkShown(v({ type: 'inspect', pid: 1234 }), shown), null);
  });
  test('pids not in the snapshot / not shown are rejected', () => {
    assert.match(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1, startTime: 5000, signal: 9 }), shown)!, /not shown/);
    assert.match(checkShown(v({ type: 'inspect', pid: 999 }), shown)!, /not shown/);
  });
  test('a different start time (recycled pid) is rejected', () => {
    assert.match(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 4999, signal: 10 }), shown)!, /start time/);
  });
  test('a dead pid is rejected', () => {
    assert.match(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 5000, signal: 10 }), { ...shown, isLive: () => false })!, /not a live process/);
  });
  test('only the inspected process may be signalled: a holder shown in a channel view may not', () => {
    // A channel view shows its holders (pids with start times) but inspects no process.
    const channelView = { pids: new Map([[1234, 5000], [77, 900]]), channels: new Set(['sysv-msg:1']), signalPid: null, isLive: () => true };
    assert.match(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 5000, signal: 15 }), channelView)!, /not the process inspected/);
    // A process view that also lists another shown pid: only its own process.
    const processView = { ...channelView, signalPid: 1234 };
    assert.equal(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 5000, signal: 15 }), processView), null);
    assert.match(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 77, startTime: 900, signal: 15 }), processView)!, /not the process inspected/);
    // No signalPid at all (a caller that forgot it): nothing may be signalled.
    const { signalPid: _omit, ...unset } = processView;
    assert.match(checkShown(v({ type: 'sendSignal', requestId: 1, pid: 1234, startTime: 5000, signal: 15 }), unset)!, /not the process inspected/);
  });
  test('channels not shown are rejected', () => {
    for (const t of ['peek', 'receiveMq']) {
      assert.match(checkShown(v({ type: t, requestId: 1, channelId: 'sysv-msg:2', ...(t === 'peek' ? { offset: 0 } : {}) }), shown)!, /not shown/);
    }
    assert.match(checkShown(v({ type: 'copy', channelId: 'pipe:1', format: 'text' }), shown)!, /not shown/);
    assert.match(checkShown(v({ type: 'save', channelId: 'pipe:1' }), shown)!, /not shown/);
  });
});

describe('helpers', () => {
  test('host message guard', () => {
    assert.equal(isHostMessage({ type: 'update' }), true);
    assert.equal(isHostMessage({ type: 'exec' }), false);
    assert.equal(isHostMessage(null), false);
  });
  test('base64 round trip of every byte value', () => {
    const b = new Uint8Array(70000).map((_, i) => i & 255);
    const s = base64FromBytes(b);
    assert.equal(s, Buffer.from(b).toString('base64'));
    assert.deepEqual(bytesFromBase64(s), b);
  });
  test('depth series', () => {
    const q = { id: 'sysv-msg:1', kind: 'sysv-msg', messages: 3, bytes: 30 } as never;
    assert.deepEqual(depthOf(q), { messages: 3, bytes: 30 });
    assert.deepEqual(depthOf({ id: 's', kind: 'sysv-sem', values: [1, 2] } as never), { 'sem[0]': 1, 'sem[1]': 2 });
  });
});

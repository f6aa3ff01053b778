// POSIX object names are bytes: the id of a name that is not UTF-8 carries its bytes
// (core/posixNames.ts), and the actions reach an object by those bytes (peek/common.ts
// posixNameBytes, posixObjectFile) — never by the text shown, which has U+FFFD where the bytes
// were and can be another object's real name. A deleted (unlinked while held) queue has no name to
// reach it by: it shows as deleted and cannot be removed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mqOpenName, posixIdBytes, posixIdTail } from '../../src/core/posixNames';
import { posixNameBytes, posixObjectFile } from '../../src/core/actions/peek';
import { ActionError } from '../../src/core/actions/errors';
import { describe, isChannelId } from '../../src/core/kinds';
import { validateWebviewMessage } from '../../src/webviews/inspector/protocol';
import type { Channel, PosixMqChannel } from '../../src/core/model';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const QUEUE: PosixMqChannel = {
  id: 'posix-mq:jobs', kind: 'posix-mq', endpoints: [{ pid: 10, fd: 3, mode: 'rw' }], name: 'jobs', messages: 1, maxMessages: 10, messageSize: 128, bytes: 5, notifyPid: null,
  uid: 0, owner: 'root', mode: '0600', deleted: false,
};
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('an id tail is the name when its bytes are UTF-8, else bytes/HEX; two names that read alike get two ids', () => {
  assert.equal(posixIdTail(Buffer.from('jobs')), 'jobs');
  assert.equal(posixIdTail(Buffer.from('q\ufffd')), 'q\ufffd', 'U+FFFD written as UTF-8 is a name like any other');
  assert.equal(posixIdTail(bytes('q', [0xff])), 'bytes/71ff');
  assert.equal(posixIdTail(bytes('q', [0xfe])), 'bytes/71fe');
  assert.equal(posixIdTail(bytes('q', [0xed, 0xa0, 0x80])), 'bytes/71eda080', 'an encoded surrogate is not UTF-8');
  assert.equal(posixIdTail(bytes('q', [0xc0, 0xaf])), 'bytes/71c0af', 'nor is an overlong /');
});

test('mq_open gets a string for a UTF-8 name (every addon build takes one) and the bytes otherwise', () => {
  assert.equal(mqOpenName(Buffer.from('q\ufffd')), '/q\ufffd');
  assert.deepEqual(mqOpenName(bytes('q', [0xff])), bytes('/q', [0xff]));
});

test('the bytes come back from a bytes/HEX id of the same kind only', () => {
  assert.deepEqual(posixIdBytes('posix-mq:bytes/71ff', 'posix-mq'), bytes('q', [0xff]));
  assert.equal(posixIdBytes('posix-mq:bytes/71ff', 'posix-shm'), null);
  assert.equal(posixIdBytes('posix-mq:jobs', 'posix-mq'), null);
  assert.equal(posixIdBytes('posix-mq:bytes/7', 'posix-mq'), null, 'odd hex');
  assert.equal(posixIdBytes('posix-mq:bytes/71FF', 'posix-mq'), null, 'upper case is not what the probe writes');
  assert.equal(posixIdBytes('posix-mq:deleted/0:20:1234', 'posix-mq'), null);
});

test('actions take the bytes from the id, never the shown text; names that would escape the directory are refused', () => {
  const mq = { ...QUEUE, id: 'posix-mq:bytes/71ff', name: 'q\ufffd' };
  assert.deepEqual(posixNameBytes(mq), bytes('q', [0xff]));
  assert.deepEqual(posixObjectFile(mq, '/dev', 'mqueue'), bytes('/dev/mqueue/q', [0xff]));
  assert.deepEqual(posixNameBytes({ ...mq, id: 'posix-mq:q\ufffd' }), Buffer.from('q\ufffd'), 'a UTF-8 name: its text');
  assert.equal(posixObjectFile({ ...mq, id: 'posix-mq:q\ufffd' }, '/dev', 'mqueue'), '/dev/mqueue/q\ufffd');
  assert.deepEqual(posixObjectFile({ id: 'posix-sem:bytes/6dff', kind: 'posix-sem', name: 'm\ufffd' }, '/dev', 'shm', 'sem.'), bytes('/dev/shm/sem.m', [0xff]));
  for (const hex of ['2e', '2e2e', '612f62', '6100ff', 'ff'.repeat(256)]) {
    assert.throws(() => posixNameBytes({ ...mq, id: `posix-mq:bytes/${hex}` }), (e: unknown) => e instanceof ActionError && e.code === 'EINVAL', hex);
  }
});

test('a queue unlinked while held: shown as deleted, not removable', () => {
  const gone = { ...QUEUE, id: 'posix-mq:deleted/0:20:1234', name: 'jobs', messages: null, maxMessages: null, bytes: null, uid: null, owner: null, mode: null, deleted: true };
  const d = describe(gone);
  assert.equal(d.name(gone, 80), '/jobs (deleted)');
  assert.equal(d.description(gone), 'deleted');
  assert.equal(d.remove(gone), null);
  assert.notEqual(d.remove(QUEUE), null);
});

test('the longest bytes id (a 255-byte name, none of it UTF-8) is a channel id the webview and the CLI accept', () => {
  const longest = posixIdTail(Buffer.alloc(255, 0xff));
  for (const kind of ['posix-mq', 'posix-shm', 'posix-sem']) {
    const id = `${kind}:${longest}`;
    assert.ok(isChannelId(id), `${kind}: ${id.length} characters`);
    assert.equal(validateWebviewMessage({ type: 'peek', requestId: 1, channelId: id, offset: 0 }).ok, true, `${kind}: a peek request of it`);
  }
  assert.ok(!isChannelId(`posix-mq:${posixIdTail(Buffer.alloc(256, 0xff))}`), 'no name is longer');
  assert.ok(isChannelId(`posix-mq:${'x'.repeat(255)}`));
});

test('what a POSIX queue action says names a name that is not UTF-8 by its bytes, never by its lossy text another queue can have', async () => {
  const { receivePosixMq, peekChannel } = await import('../../src/core/actions/peek');
  const q = (hex: string, extra: Partial<PosixMqChannel>): PosixMqChannel =>
    ({ id: `posix-mq:bytes/${hex}`, kind: 'posix-mq', name: 'q\ufffd', endpoints: [], messages: 1, bytes: 1, maxMessages: 10, maxMessageSize: 8192, uid: 0, owner: 'root', mode: '0600', ...extra }) as PosixMqChannel;
  const messages: string[] = [];
  for (const [hex, extra] of [['71ff', { deleted: true }], ['71fe', { otherNamespace: true }]] as const) {
    await assert.rejects(receivePosixMq(q(hex, extra), { native: null }), (e: Error) => (messages.push(e.message), true));
    // the peek answers through a holder's fd; with none, its note says why
    const r = await peekChannel(q(hex, extra), [], { native: null });
    messages.push(r.notes.join(' '));
  }
  assert.ok(messages.slice(0, 2).every((m) => m.includes('/q\\xff ')), messages.join('\n'));
  assert.ok(messages.slice(2).every((m) => m.includes('/q\\xfe ')), messages.join('\n'));
  assert.ok(!messages.some((m) => m.includes('\ufffd')), messages.join('\n'));
  // shared memory: a remove that finds nothing names the file by its bytes
  const { removeObject } = await import('../../src/core/actions/remove');
  const shm = { id: 'posix-shm:bytes/71ff', kind: 'posix-shm', name: 'q\ufffd', size: 1, uid: 0, owner: 'root', mode: '0600', endpoints: [] } as unknown as Channel;
  const devRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-names-'));
  try {
    fs.mkdirSync(path.join(devRoot, 'shm'));
    await assert.rejects(removeObject({ ...shm, deleted: false } as Channel, { devRoot }), (e: Error) => e.message.includes('/shm/q\\xff') && !e.message.includes('\ufffd'));
  } finally {
    fs.rmSync(devRoot, { recursive: true, force: true });
  }
});

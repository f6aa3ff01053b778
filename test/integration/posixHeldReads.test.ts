// What POSIX objects no name reaches tell only through their holders — the counts of a queue
// mq_unlink-ed while held (through a holder's fd), the value of a semaphore sem_unlink-ed while
// mapped (through a holder's mapping) — is read 64 times a snapshot at most, and that bound is
// shared by users in turn (core/heldObjects.ts readOrder): an unprivileged attacker (nobody) holds
// more such objects than that, all older than another user's two; a machine-wide snapshot must
// still read the other user's, and the attacker's only in part. In the order before (by inode, as
// listed), the attacker's took the whole bound. Each object's message size (16 + i) or value
// (1000 + i) tells that it was read, and which. (/dev/shm sizes: shmSize.test.ts; memfds:
// anonShm.test.ts.)
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/posixHeldReads.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { PosixMqChannel, PosixSemChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { LONE_UID, NOBODY, SYSTEM_PYTHON } from '../harness/otherUser';
import { assertReadInTurns, holdAs } from './sharedBound';

// n queues named PREFIX-i, message size 16 + i, each unlinked at once and held by its fd
const HOLD_UNLINKED = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [('flags', ctypes.c_long), ('maxmsg', ctypes.c_long), ('msgsize', ctypes.c_long), ('curmsgs', ctypes.c_long), ('pad', ctypes.c_long * 4)]
libc.mq_open.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Attr)]
pre, n = sys.argv[1], int(sys.argv[2])
fds = []
for i in range(n):
    name = ('/%s-%d' % (pre, i)).encode()
    fd = libc.mq_open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(Attr(0, 2, 16 + i, 0)))
    if fd < 0:
        sys.exit('mq_open %s: %s' % (name, os.strerror(ctypes.get_errno())))
    libc.mq_unlink(name)
    fds.append(fd)
print('ready', flush=True)
sys.stdin.readline()
`;
// n semaphores named PREFIX-i of value 1000 + i, each unlinked at once and kept mapped
const HOLD_UNLINKED_SEMS = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.sem_open.restype = ctypes.c_void_p
libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
pre, n = sys.argv[1], int(sys.argv[2])
sems = []
for i in range(n):
    name = ('/%s-%d' % (pre, i)).encode()
    s = libc.sem_open(name, os.O_CREAT | os.O_EXCL, 0o600, 1000 + i)
    if not s:
        sys.exit('sem_open %s: %s' % (name, os.strerror(ctypes.get_errno())))
    libc.sem_unlink(name)
    sems.append(s)
print('ready', flush=True)
sys.stdin.readline()
`;
const native = loadNative().addon;

describe('deleted POSIX queues and semaphores: one user\'s many leave another user\'s their reads', {
  skip: !SYSTEM_PYTHON ? 'no /usr/bin/python3 (one other users can run)' : !native?.mqGetattrFd ? 'needs the native addon (no reads through holders)' : process.geteuid?.() !== 0 ? 'needs root: runs processes as other users' : false,
}, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.stdin?.end(); // EOF ends the holders (their queues go with them)
  });
  const holder = (uid: number, pre: string, n: number, script = HOLD_UNLINKED) => holdAs(uid, script, pre, n, children);

  it('queues, on both walks', async () => {
    const attacker = await holder(NOBODY.uid, `ipci-mqfair-${process.pid}-a`, 80);
    const victim = await holder(LONE_UID, `ipci-mqfair-${process.pid}-v`, 2);
    for (const walk of ['proc', 'bpf-iter'] as const) {
      const snap = await takeSnapshot({ kinds: ['posix-mq'], walk });
      const of = (pid: number) => snap.channels.filter((c): c is PosixMqChannel => c.kind === 'posix-mq' && c.deleted && c.endpoints.some((e) => e.pid === pid));
      const read = (c: PosixMqChannel) => c.messageSize === 16 + Number(c.name.slice(c.name.lastIndexOf('-') + 1)) && c.messages === 0;
      assertReadInTurns(walk, of(attacker), of(victim), [80, 2], read, (c) => ({ name: c.name, messageSize: c.messageSize, errors: c.errors }));
    }
  });

  it('semaphores, on both walks', { skip: native?.memRead ? false : 'needs the native addon (no reads through mappings)' }, async () => {
    const attacker = await holder(NOBODY.uid, `ipci-semfair-${process.pid}-a`, 80, HOLD_UNLINKED_SEMS);
    const victim = await holder(LONE_UID, `ipci-semfair-${process.pid}-v`, 2, HOLD_UNLINKED_SEMS);
    for (const walk of ['proc', 'bpf-iter'] as const) {
      const snap = await takeSnapshot({ kinds: ['posix-sem'], walk });
      const of = (pid: number) => snap.channels.filter((c): c is PosixSemChannel => c.kind === 'posix-sem' && c.endpoints.some((e) => e.pid === pid));
      // (the name its mapping shows is glibc's temp file's: the value tells which it is)
      const read = (c: PosixSemChannel) => c.value !== null && c.value >= 1000 && c.value < 1080;
      const mine = of(victim);
      assertReadInTurns(walk, of(attacker), mine, [80, 2], read, (c) => ({ name: c.name, value: c.value, errors: c.errors }));
      assert.deepEqual(mine.map((c) => c.value).sort(), [1000, 1001], walk);
    }
  });
});

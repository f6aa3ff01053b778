// /dev/shm names another user chooses to hide or double an object: bytes that are not UTF-8
// (`\xff\xfe`: Node's string readdir decodes them lossily, and the decoded name is no file), and a
// live object whose own name ends in ` (deleted)` (the text of its fd links and maps lines then
// reads like an unlinked object's). `ls /dev/shm` and `lsof` show each exactly once; so must the
// snapshot, with its holder, on both fd walks — and two names that differ only in such bytes (both
// read as the same U+FFFD text) are two channels with two ids, which peek and remove reach by
// their bytes, not by the shown text. The attacker is nobody (uid 65534), holding each file open.
//
//   node scripts/build.mjs && node --test dist/test/integration/devShmNames.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { PosixSemChannel, PosixShmChannel } from '../../src/core/model';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, removeObject } from '../../src/core/actions';
import { canRunAttacker, NOBODY } from '../harness/otherUser';
import { lineReader } from './childLines';

const tag = `ipcsweep-${process.pid}`;
// byte names, as the attacker makes them (perl: no decoding)
const BAD = `${tag}-bad\\xff\\xfeutf8`;
const BAD2 = `${tag}-bad\\xfd\\xfcutf8`;
const LIVE = `${tag}-live (deleted)`;
const SCRIPT = String.raw`
use strict; use Fcntl qw(O_CREAT O_EXCL O_RDWR);
my @made; my @fh;
for my $n ("/dev/shm/${BAD}", "/dev/shm/sem.${BAD}", "/dev/shm/${BAD2}", "/dev/shm/sem.${BAD2}", "/dev/shm/${LIVE}") {
  sysopen(my $fh, $n, O_CREAT | O_EXCL | O_RDWR, 0600) or die "open $n: $!\n";
  # a sem_t of value 1 (glibc: value in the low 32 bits, 32 bytes)
  syswrite($fh, pack('V', 1) . ("\0" x 28));
  push @made, $n; push @fh, $fh;
}
$| = 1; print "ready\n";
while (<STDIN>) {}
unlink @made;
`;

const skip = !canRunAttacker() ? 'needs root and perl to run an attacker as nobody' : false;

describe('/dev/shm objects with names that are not UTF-8 or end in " (deleted)"', { skip }, () => {
  let child: ChildProcess;
  const files = [`/dev/shm/${tag}-bad`, `/dev/shm/sem.${tag}-bad`].flatMap((p) =>
    [
      [0xff, 0xfe],
      [0xfd, 0xfc],
    ].map((bytes) => Buffer.concat([Buffer.from(p), Buffer.from(bytes), Buffer.from('utf8')])),
  );
  before(async () => {
    child = spawn('perl', ['-e', SCRIPT], { ...NOBODY, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin' } });
    assert.equal(await lineReader(child).next('the attacker'), 'ready');
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await gone;
    }
    for (const f of [...files, `/dev/shm/${LIVE}`]) fs.rmSync(f, { force: true });
  });

  for (const walk of ['bpf-iter', 'proc'] as const) {
    it(`each is listed once, with its holder (walk ${walk})`, async () => {
      const snap = await takeSnapshot({ kinds: ['posix-shm', 'posix-sem'], pids: [child.pid!], walk });
      const held = (c: { endpoints: Array<{ pid: number }> }) => c.endpoints.some((e) => e.pid === child.pid);
      const shm = snap.channels.filter((c): c is PosixShmChannel => c.kind === 'posix-shm' && held(c));
      const sem = snap.channels.filter((c): c is PosixSemChannel => c.kind === 'posix-sem' && held(c));
      const lossy = `${tag}-bad\ufffd\ufffdutf8`;
      assert.deepEqual(
        shm.map((c) => [c.name, c.deleted]).sort(),
        [[lossy, false], [lossy, false], [LIVE, false]].sort(),
        'both not-UTF-8 objects are listed (their names shown with U+FFFD), the " (deleted)" one once and live',
      );
      assert.deepEqual(sem.map((c) => [c.name, c.value]), [[lossy, 1], [lossy, 1]], 'both not-UTF-8 semaphores are listed and read');
      const hex = (b: number[]) => Buffer.concat([Buffer.from(`${tag}-bad`), Buffer.from(b), Buffer.from('utf8')]).toString('hex');
      assert.deepEqual(
        [...shm.map((c) => c.id), ...sem.map((c) => c.id)].sort(),
        [`posix-shm:${LIVE}`, ...[[0xff, 0xfe], [0xfd, 0xfc]].flatMap((b) => [`posix-shm:bytes/${hex(b)}`, `posix-sem:bytes/${hex(b)}`])].sort(),
        'a name that is not UTF-8 has its bytes as its id: one id per object',
      );
      assert.equal(new Set(snap.channels.map((c) => c.id)).size, snap.channels.length, 'no id twice in the snapshot');
    });
  }

  it('peek and remove reach such an object by its bytes, not a file named with the text it shows', async () => {
    // decoys named with the text the snapshot shows for the attacker's objects (U+FFFD, valid
    // UTF-8): what opening or unlinking by the shown name would reach — here root's own files
    const lossy = `${tag}-bad\ufffd\ufffdutf8`;
    const decoys = [`/dev/shm/${lossy}`, `/dev/shm/sem.${lossy}`];
    fs.writeFileSync(decoys[0], 'decoy, not the attacker object');
    fs.writeFileSync(decoys[1], Buffer.concat([Buffer.from([7, 0, 0, 0]), Buffer.alloc(28)]));
    try {
      const snap = await takeSnapshot({ kinds: ['posix-shm', 'posix-sem'], pids: [child.pid!] });
      const hex = Buffer.concat([Buffer.from(`${tag}-bad`), Buffer.from([0xff, 0xfe]), Buffer.from('utf8')]).toString('hex');
      const shm = snap.channels.find((c) => c.id === `posix-shm:bytes/${hex}`);
      const sem = snap.channels.find((c) => c.id === `posix-sem:bytes/${hex}`);
      assert.ok(shm && sem, 'both objects listed by their bytes');
      const seen = await peekChannel(shm, snap.processes);
      assert.equal(seen.type, 'bytes');
      assert.deepEqual([...(seen as { data: Buffer }).data], [1, 0, 0, 0, ...new Array(28).fill(0)], 'the attacker object read, not the decoy');
      const value = await peekChannel(sem, snap.processes);
      assert.equal(value.type === 'semaphores' ? value.semaphores[0].value : null, 1, 'the semaphore read, not the decoy (7)');
      const r = await removeObject(shm);
      assert.equal(fs.existsSync(files[0]), false, `unlinked: ${r.action}`);
      assert.equal(fs.existsSync(decoys[0]), true, 'the decoy named with the shown text is still there');
    } finally {
      for (const d of decoys) fs.rmSync(d, { force: true });
    }
  });
});

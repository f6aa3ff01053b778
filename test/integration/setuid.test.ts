// A setuid-root program another user starts runs with root's rights under that user's real uid. The
// snapshot says both (`uid` the real one, `euid` the effective one) on every fd walk, as the kernel's
// own /proc/PID/status Uid line does, and an ordinary process's euid is its uid.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/setuid.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { takeSnapshot } from '../../src/core/snapshot';
import { NOBODY } from '../harness/otherUser';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-setuid-'));
fs.chmodSync(tmp, 0o755);
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Real and effective uid from the kernel's status text. */
function statusUids(pid: number): [number, number] {
  const m = /^Uid:\t(\d+)\t(\d+)\t/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `Uid line of ${pid}`);
  return [Number(m[1]), Number(m[2])];
}

const skip = process.getuid?.() !== 0 ? 'needs root (a setuid-root copy of sleep, started as uid 65534)' : false;

describe('a setuid program', { skip }, () => {
  it('has its real uid as uid and root as euid on every walk, like /proc/PID/status; a plain process has euid = uid', async (t) => {
    const sleeper = path.join(tmp, 'sleep-setuid');
    fs.copyFileSync('/bin/sleep', sleeper);
    fs.chmodSync(sleeper, 0o4755);
    const plain = spawn('/bin/sleep', ['600'], { ...NOBODY, stdio: 'ignore' });
    const setuid = spawn(sleeper, ['600'], { ...NOBODY, stdio: 'ignore' });
    children.push(plain, setuid);
    await new Promise((r) => setTimeout(r, 200));
    const [real, effective] = statusUids(setuid.pid!);
    assert.equal(real, NOBODY.uid);
    if (effective !== 0) return t.skip(`the kernel did not honour the setuid bit here (a nosuid mount: ${tmp})`);
    assert.deepEqual(statusUids(plain.pid!), [NOBODY.uid, NOBODY.uid]);
    for (const walk of ['proc', 'proc-ts', 'bpf-iter'] as const) {
      const snap = await takeSnapshot({ walk, processes: 'all', kinds: [] });
      const s = snap.processes.find((p) => p.pid === setuid.pid);
      const p = snap.processes.find((x) => x.pid === plain.pid);
      assert.ok(s && p, `${walk}: both processes listed`);
      assert.deepEqual([s.uid, s.euid], [NOBODY.uid, 0], `${walk}: the setuid program`);
      assert.deepEqual([p.uid, p.euid], [NOBODY.uid, NOBODY.uid], `${walk}: the plain one`);
      const me = snap.processes.find((x) => x.pid === process.pid);
      if (me) assert.equal(me.euid, me.uid);
    }
  });
});

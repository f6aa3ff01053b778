// Rule 3 (stale or hijacked socket path) on names whose meaning depends on who reads them, found
// in a sweep against ss and lsof on real services: haproxy binds each Unix listener as
// NAME.PID.tmp and renames it to NAME, so the kernel (and ss, lsof, our snapshot) keep the
// temporary name while clients reach the socket at the new one — the rule said "path removed,
// new clients get ENOENT". And an unprivileged user (nobody) can bind the text of a root
// service's socket path where it names another file — inside a chroot or a mount namespace of
// its own, both open to it through a user namespace — or bind a name that is not UTF-8: the
// rule judged those names by what the text names for us, and called the root service's socket a
// takeover of the attacker's path ("stop one of the two"), or the attacker's path removed.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/socketPathViews.test.js
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnosis } from '../../src/core/diagnose';
import { loadNative } from '../../src/core/native';
import { helper, python, Sampler, stopHelpers, touching } from './diagnoseUtil';

const native = loadNative().addon;
const root = process.geteuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };
const dirs: string[] = [];

/** A fresh directory under /tmp (random name: other tests run at the same time), optionally the attacker's. */
function dir(prefix: string, owner?: { uid: number; gid: number }): string {
  const d = fs.mkdtempSync(path.join('/tmp', prefix));
  fs.chmodSync(d, 0o755);
  if (owner) fs.chownSync(d, owner.uid, owner.gid);
  dirs.push(d);
  return d;
}

after(async () => {
  await stopHelpers();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Why nobody cannot enter a user namespace here (false: it can). */
function noUserns(extra: string[] = []): string | false {
  if (!root) return 'needs root to run the attacker as nobody';
  const r = spawnSync('unshare', ['-r', ...extra, 'true'], { ...NOBODY, encoding: 'utf8' });
  if (r.error) return `unshare (util-linux) cannot run: ${r.error.message}`;
  return r.status === 0 ? false : `an unprivileged user namespace cannot be made here (unshare -r ${extra.join(' ')}: ${r.stderr.trim()})`;
}

const LISTEN = 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(4)\nprint("READY",flush=True)\nsys.stdin.read()';

/** The inode of the listening socket a helper holds at fd 3 (its only fd past stdio). */
function socketInode(pid: number): number {
  const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/3`));
  assert.ok(m, `pid ${pid} fd 3 is not a socket`);
  return Number(m[1]);
}

const socketPath = (pids: number[]) => (d: Diagnosis) => touching(d, { rule: 'socket-path', pids });

describe('rule 3: a socket name is judged where its holder stands', { skip: native ? false : `native addon not loaded (${loadNative().error}): no bound inode from sock_diag` }, () => {
  test('a listener renamed after bind (NAME.PID.tmp → NAME, as haproxy does) is reachable: information naming where it is now, never "path removed"', async () => {
    const d = dir('ipc-diag-renamed-');
    const final = path.join(d, 'admin.sock');
    const h = await python(
      'import os,socket,sys\nfinal=sys.argv[1]\ntmp="%s.%d.tmp"%(final,os.getpid())\ns=socket.socket(socket.AF_UNIX)\ns.bind(tmp)\ns.listen(4)\nos.rename(tmp,final)\nprint("READY",flush=True)\nsys.stdin.read()',
      [final],
    );
    const id = `unix:${socketInode(h.pid)}`;
    const s = new Sampler();
    const [p] = await s.until((x) => x.problems.filter((q) => q.id === `socket-path:renamed:${id}`), 'renamed listener', { min: 2 });
    assert.equal(p.severity, 'info');
    assert.deepEqual(p.pids, [h.pid]);
    assert.ok(p.title.includes(final), p.title);
    assert.equal(p.evidence.find((e) => e.label === 'now at')?.text.startsWith(`${final}:`), true, JSON.stringify(p.evidence));
    assert.deepEqual(socketPath([h.pid])(s.last!).map((q) => q.id), [`socket-path:renamed:${id}`], 'no gone or hijacked problem beside it');
    // clients do reach it at the new name
    const c = spawnSync('python3', ['-c', 'import socket,sys\nc=socket.socket(socket.AF_UNIX)\nc.connect(sys.argv[1])', final]);
    assert.equal(c.status, 0, c.stderr?.toString());
    await h.stop();
  });

  test("a chrooted unprivileged process (nobody, through a user namespace) bound to a root service's path text: neither socket is called taken over or gone", { skip: noUserns() }, async () => {
    const svcDir = dir('ipc-diag-victim-');
    const jail = dir('ipc-diag-jail-', NOBODY);
    const svcPath = path.join(svcDir, 'svc.sock');
    const svc = await python(LISTEN, [svcPath]);
    // the attacker's socket is JAIL/SVCDIR/svc.sock on the host, bound as SVCDIR/svc.sock from its root
    const evil = await asNobody(
      ['-r'],
      'jail,p=sys.argv[1],sys.argv[2]\nos.makedirs(jail+os.path.dirname(p))\nos.chroot(jail)\ns=socket.socket(socket.AF_UNIX)\ns.bind(p)\ns.listen(4)\nprint("READY",flush=True)\nsys.stdin.read()',
      [jail, svcPath],
    );
    assert.ok(fs.lstatSync(jail + svcPath).isSocket(), 'the attacker bound inside its chroot');
    await assertNoSocketPathProblem([svc.pid, evil.pid], [socketInode(svc.pid), socketInode(evil.pid)]);
    await evil.stop();
    await svc.stop();
  });

  test("an unprivileged process in a mount namespace of its own (nobody: user + mount namespace, a tmpfs over the service's directory) bound to a root service's path text: neither socket is called taken over or gone", { skip: noUserns(['-m']) }, async () => {
    const svcDir = dir('ipc-diag-victim-');
    const svcPath = path.join(svcDir, 'svc.sock');
    const svc = await python(LISTEN, [svcPath]);
    const evil = await asNobody(
      ['-r', '-m'],
      'import subprocess\np=sys.argv[1]\nsubprocess.run(["mount","-t","tmpfs","none",os.path.dirname(p)],check=True)\ns=socket.socket(socket.AF_UNIX)\ns.bind(p)\ns.listen(4)\nprint("READY",flush=True)\nsys.stdin.read()',
      [svcPath],
    );
    await assertNoSocketPathProblem([svc.pid, evil.pid], [socketInode(svc.pid), socketInode(evil.pid)]);
    await evil.stop();
    await svc.stop();
  });

  test('an unprivileged listener whose name is not UTF-8 is not called removed (its decoded text names no file)', { skip: root ? false : 'needs root to run the attacker as nobody' }, async () => {
    const d = dir('ipc-diag-bytes-', NOBODY);
    const evil = await python('import socket,sys,os\ns=socket.socket(socket.AF_UNIX)\ns.bind(os.fsencode(sys.argv[1])+b"/\\xff\\xfe-sock")\ns.listen(4)\nprint("READY",flush=True)\nsys.stdin.read()', [d], NOBODY);
    const inode = socketInode(evil.pid);
    const s = new Sampler();
    // the snapshot does list it, under its decoded name
    await s.sample();
    const ch = s.snapshot!.channels.find((c) => c.id === `unix:${inode}`);
    assert.equal(ch && ch.kind === 'unix' ? ch.path : undefined, `${d}/\ufffd\ufffd-sock`);
    await assertNoSocketPathProblem([evil.pid], [inode], s);
    await evil.stop();
  });
});

/** Python as nobody inside `unshare ARGS` (root of its user namespace), with os, socket and sys imported; READY once set up. */
function asNobody(unshareArgs: string[], code: string, args: string[]) {
  return helper('unshare', [...unshareArgs, 'python3', '-c', `import os,socket,sys\nos.closerange(3, 65536)\n${code}`, ...args], NOBODY);
}

/** Several diagnoses in a row (rule 3 needs two to raise anything): no socket-path problem about these processes or sockets. */
async function assertNoSocketPathProblem(pids: number[], inodes: number[], s = new Sampler()): Promise<void> {
  const channels = inodes.map((i) => `unix:${i}`);
  await s.never((d) => touching(d, { rule: 'socket-path', pids, channels }), 'socket-path', 4);
}

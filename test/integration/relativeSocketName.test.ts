// A Unix socket bound by a relative name (Postfix's master binds `private/smtp` in its queue
// directory): the kernel keeps the name as given, and ss and lsof print `private/smtp`. Where a
// holder's working directory joined with it leads to the bound file (dev:inode from sock_diag),
// the channel has `pathResolved`, the absolute path, and its name shows it. A binder that moved
// on to another directory gives no such path: nothing is guessed. An unprivileged binder (nobody)
// resolves the same way, and one that then swaps its directory for a symlink of its own to root's
// directory, where root holds a socket of that name, gets nothing: its symlink is not followed,
// and root's file is not its.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/relativeSocketName.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Diagnosis } from '../../src/core/diagnose';
import { Sampler } from './diagnoseUtil';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Snapshot, UnixChannel } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { describe as kindOf, walkRulesFor } from '../../src/core/kinds';
import { runWalk } from '../../src/core/walkBackend';
import { bpfWalkSkip } from './bpfSkip';

// argv: the directory to bind in, the directory to move to afterwards ('' to stay), and, to
// swap afterwards, a directory the binder's sub/ becomes a symlink to
const PY = `
import os, socket, sys
os.chdir(sys.argv[1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind('sub/rel.sock'); s.listen(1)
if sys.argv[2]: os.chdir(sys.argv[2])
if len(sys.argv) > 3:
    os.rename('sub', 'moved'); os.symlink(sys.argv[3], 'sub')
print(os.fstat(s.fileno()).st_ino, flush=True)
sys.stdin.readline()
`;

const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));

describe('a socket bound by a relative name shows where it is', { skip: loadNative().addon ? (python ? false : 'python3 not installed') : 'native addon not built (no sock_diag: no bound file to compare)' }, () => {
  let dir = '';
  const children: ChildProcessWithoutNullStreams[] = [];
  let stays = 0;
  let moved = 0;
  let nobodys = 0;
  let swapped = 0;
  const asNobody = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv');

  const start = async (bindIn: string, moveTo: string, more: string[] = [], nobody = false): Promise<number> => {
    const argv = ['-c', PY, bindIn, moveTo, ...more];
    const child = nobody ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', python!, ...argv]) : spawn(python!, argv);
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (c) => reject(new Error(`python exited ${c}`)));
    });
    return Number(line);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-relsock-'));
    for (const d of ['a/sub', 'b/sub']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    stays = await start(path.join(dir, 'a'), '');
    moved = await start(path.join(dir, 'b'), '/');
    if (asNobody) {
      fs.chmodSync(dir, 0o755);
      for (const d of ['n', 'n/sub', 'm', 'm/sub']) {
        fs.mkdirSync(path.join(dir, d), { recursive: true });
        fs.chownSync(path.join(dir, d), 65534, 65534);
      }
      nobodys = await start(path.join(dir, 'n'), '', [], true);
      swapped = await start(path.join(dir, 'm'), '', [path.join(dir, 'a/sub')], true);
    }
  });
  after(() => {
    for (const c of children) c.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const unixOf = (snap: Snapshot, inode: number) => snap.channels.find((c): c is UnixChannel => c.kind === 'unix' && c.inode === inode);
  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, false],
  ];
  for (const [way, opts, skip] of ways) {
    it(`the binder still in its directory: the absolute path, in the name too; the one that moved on: none (${way})`, { skip }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['unix'], pids: children.map((c) => c.pid!) });
      const a = unixOf(snap, stays)!;
      assert.equal(a.path, 'sub/rel.sock', 'the name as the kernel keeps it');
      assert.equal(a.pathResolved, path.join(dir, 'a/sub/rel.sock'));
      assert.equal(kindOf(a).name(a, 200), `sub/rel.sock (${path.join(dir, 'a/sub/rel.sock')})`);
      const b = unixOf(snap, moved)!;
      assert.equal(b.path, 'sub/rel.sock');
      assert.equal(b.pathResolved, undefined, 'its working directory (/) does not lead to the bound file: no guess');
    });

    it(`nobody's socket resolves; nobody's that swapped its directory for a symlink to root's gets nothing (${way})`, { skip: skip || (asNobody ? false : 'needs root and setpriv to run a binder as nobody') }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['unix'], pids: children.map((c) => c.pid!) });
      assert.equal(unixOf(snap, nobodys)?.pathResolved, path.join(dir, 'n/sub/rel.sock'));
      const s = unixOf(snap, swapped)!;
      assert.equal(s.path, 'sub/rel.sock');
      assert.equal(s.pathResolved, undefined, JSON.stringify(s));
      assert.equal(unixOf(snap, stays)?.pathResolved, path.join(dir, 'a/sub/rel.sock'), "root's own is still its own");
    });
  }
});

// A daemon of our mount namespace that chroots and binds an absolute name (`/dev/log` inside
// `/srv/jail`): the kernel keeps `/dev/log`, and ss and lsof print it as if it were the host's.
// Where the holder's root joined with it leads to the bound file, `pathResolved` says where it
// is; a host socket at the same name elsewhere keeps none. A chrooted binder whose socket file
// was replaced by another file afterwards gets nothing: the bound file is gone from there.
const CHROOTED = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
os.chroot(sys.argv[1]); os.chdir('/')
s.bind('/run/c.sock'); s.listen(1)
if len(sys.argv) > 2:
    os.rename('/run/c.sock', '/run/old.sock'); open('/run/c.sock', 'w').close()
print(os.fstat(s.fileno()).st_ino, flush=True)
sys.stdin.readline()
`;

describe('a socket bound inside a chroot shows where it is', { skip: !loadNative().addon ? 'native addon not built (no sock_diag: no bound file to compare)' : !python ? 'python3 not installed' : process.getuid?.() !== 0 ? 'needs root to chroot' : false }, () => {
  let dir = '';
  const children: ChildProcessWithoutNullStreams[] = [];
  let jailed = 0;
  let replaced = 0;
  let host = 0;
  const start = async (args: string[]): Promise<number> => {
    const child = spawn(python!, ['-c', args[0] === 'host' ? `import socket, os, sys\ns = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)\nprint(os.fstat(s.fileno()).st_ino, flush=True)\nsys.stdin.readline()` : CHROOTED, ...args.slice(args[0] === 'host' ? 1 : 0)]);
    children.push(child);
    return Number(await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (c) => reject(new Error(`python exited ${c}`)));
    }));
  };
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-chroot-'));
    for (const d of ['j1/run', 'j2/run']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    jailed = await start([path.join(dir, 'j1')]);
    replaced = await start([path.join(dir, 'j2'), 'replace']);
    host = await start(['host', path.join(dir, 'c.sock')]);
  });
  after(() => {
    for (const c of children) c.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const unixOf = (snap: Snapshot, inode: number) => snap.channels.find((c): c is UnixChannel => c.kind === 'unix' && c.inode === inode);
  for (const [way, opts, skip] of [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, false],
  ] as const) {
    it(`the chrooted binder's name resolves through its root; a replaced file and a host socket get none (${way})`, { skip }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['unix'], pids: children.map((c) => c.pid!) });
      const j = unixOf(snap, jailed)!;
      assert.equal(j.path, '/run/c.sock', 'the name as the kernel keeps it');
      assert.equal(j.mntns, undefined, 'our mount namespace: not marked as another');
      assert.equal(j.pathResolved, path.join(dir, 'j1/run/c.sock'));
      assert.equal(kindOf(j).name(j, 200), `/run/c.sock (${path.join(dir, 'j1/run/c.sock')})`);
      assert.equal(unixOf(snap, replaced)?.pathResolved, undefined, 'the file at that name is not the bound one: no guess');
      const h = unixOf(snap, host)!;
      assert.equal(h.path, path.join(dir, 'c.sock'));
      assert.equal(h.pathResolved, undefined, 'a host socket is where its name says');
    });
  }

  // The BPF walk's task record says whose root is the walker's (the same mount and dentry), so the
  // probe reads the root link only of the others (one readlink a holder had cost ~8 ms of the main
  // thread a snapshot at 3,000 processes): the host binder's is ours, the chrooted ones' are not.
  it('the BPF walk marks the processes whose root is ours, and not the chrooted ones', async (t) => {
    const why = await bpfWalkSkip();
    if (why) return t.skip(why);
    const [j1, j2, h] = children.map((c) => c.pid!);
    const run = await runWalk({ native: loadNative().addon, bpf: loadBpf().addon }, { procRoot: '/proc', threads: 0, readTimers: false, readLinks: false, ...walkRulesFor(['unix']) }, 'bpf-iter', []);
    assert.equal(run.capability.backend, 'bpf-iter');
    const task = (pid: number) => run.walk.processes.find((p) => p?.pid === pid)?.task;
    assert.ok(task(h), `the host binder ${h} has a task record`);
    assert.equal(task(h)!.ownRoot, true, 'the host binder shares our root');
    assert.equal(task(process.pid)?.ownRoot, true, 'so do we');
    for (const pid of [j1, j2]) {
      assert.ok(task(pid), `the chrooted binder ${pid} has a task record`);
      assert.equal(task(pid)!.ownRoot, undefined, `the chrooted binder ${pid}: not ours`);
    }
  });

  it("the diagnosis looks for stale socket files in the jail's directory, where the name is", async () => {
    // a socket file nothing is bound to any more, beside the chrooted listener's
    const stale = path.join(dir, 'j1/run/stale.sock');
    const r = spawnSync(python!, ['-c', 'import socket, sys\ns = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()', stale]);
    assert.equal(r.status, 0);
    const s = new Sampler({ kinds: ['unix'] });
    const found = await s.until((d) => touchingRule(d, 'socket-path').filter((p) => p.title.includes(stale)), 'the stale file in the jail', { min: 2 });
    assert.match(found[0].title, /^Stale socket file /);
    assert.ok(!touchingRule(s.last!, 'socket-path').some((p) => p.channels.includes(`unix:${jailed}`)), "the chrooted listener's name is not called gone or taken over");
  });
});

const touchingRule = (d: Diagnosis, rule: string) => d.problems.filter((p) => p.rule === rule);

// Paths from another mount namespace. Any user with user namespaces can mount a tmpfs over a
// directory in a namespace of their own and hold a FIFO, a listening socket and a shared file at
// the paths root's own objects have (or at /etc/shadow): an fd link and a maps line are names in
// their holder's namespace, and read like ours. The attacker — nobody, in its own user and mount
// namespace (fixtures/attacker.c `path-twin`) — holds all three at the paths of root's. Before,
// the two rows of each pair were alike but for their ids; now the attacker's carry `mntns` (its
// namespace, the walks' processes[].mntns) and say it in their name and in the table, in all
// three walks, and root's carry none. The same three in a directory both namespaces share (as a
// systemd service with PrivateTmp= has its /run) lead to the same files here: not marked.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/mountNamespaces.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { spawn } from 'node:child_process';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { Channel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { describe as kindOf } from '../../src/core/kinds';
import { cell, tableColumns } from '../../src/cli/snapshot';
import { compileTools, ownNamespacesSkip, runAttackerInNamespaces, stopAttacker, type Attacker, type Tools } from './hostile';

const skip = ownNamespacesSkip(['--mount']);
const nsOf = (pid: number | 'self') => fs.readlinkSync(`/proc/${pid}/ns/mnt`).replace(/^mnt:\[(\d+)\]$/, '$1');

describe("paths another mount namespace holds at root's paths", { skip }, () => {
  let tools: Tools;
  let attacker: Attacker | undefined;
  let theirs: { pid: number; child: number };
  let dir = '';
  let same = '';
  const root: Fixture[] = [];

  before(async () => {
    tools = await compileTools();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-mntns-'));
    fs.chmodSync(dir, 0o755); // nobody mounts over it in its namespace: it must reach it
    same = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-mntns-same-'));
    fs.chmodSync(same, 0o777);
    root.push(await makeFixture('fifo', { path: path.join(dir, 'f') }));
    root.push(await makeFixture('unix-stream', { path: path.join(dir, 's') }));
    root.push(await makeFixture('file-shm', { path: path.join(dir, 'm') }));
    attacker = runAttackerInNamespaces(tools, ['--mount', '--propagation', 'private'], ['path-twin', dir, same]);
    theirs = JSON.parse(await attacker.next('the attacker objects'));
    assert.notEqual(nsOf(theirs.pid), nsOf('self'), 'the attacker is in a mount namespace of its own');
  });
  after(async () => {
    await stopAttacker(attacker); // its namespace, and its tmpfs, go with it
    await closeAll(root);
    for (const d of [dir, same]) if (d) fs.rmSync(d, { recursive: true, force: true });
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk', { useNative: false }, false],
  ];
  for (const [way, opts, skipWay] of ways) {
    it(`the attacker's FIFO, socket and shared file say their mount namespace; root's at the same paths do not (${way})`, { skip: skipWay }, async () => {
      const snap: Snapshot = await takeSnapshot({ ...opts, kinds: ['fifo', 'unix', 'file-shm'] });
      const ns = nsOf(theirs.pid);
      assert.equal(snap.processes.find((p) => p.pid === theirs.pid)?.mntns, ns, 'the walk gave the attacker its mount namespace');
      assert.equal(snap.processes.find((p) => p.pid === process.pid)?.mntns ?? nsOf('self'), nsOf('self'));
      const procs = new Map(snap.processes.map((p) => [p.pid, p]));
      for (const [kind, name] of [['fifo', 'f'], ['unix', 's'], ['file-shm', 'm']] as const) {
        const at = path.join(dir, name);
        const atPath = snap.channels.filter((c): c is Channel & { path?: string; mntns?: string } => c.kind === kind && (c as { path?: string }).path === at);
        const mine = atPath.filter((c) => !c.endpoints.some((e) => e.pid === theirs.pid || e.pid === theirs.child));
        const their = atPath.filter((c) => c.endpoints.some((e) => e.pid === theirs.pid));
        // (root's socket has its listener and an accepted connection: both carry the bound name)
        assert.ok(mine.length >= 1, `${kind}: root's at ${at}: ${JSON.stringify(atPath)}`);
        assert.equal(their.length, 1, `${kind}: the attacker's at ${at}: ${JSON.stringify(atPath)}`);
        for (const c of mine) assert.equal(c.mntns, undefined, `${kind}: root's path is ours: ${c.id}`);
        assert.equal(their[0].mntns, ns, `${kind}: the attacker's path is a name in its namespace`);
        const k = kindOf(their[0]);
        assert.ok(k.name(their[0], 200).endsWith(` (mount ns ${ns})`), `${kind}: its name says so: ${k.name(their[0], 200)}`);
        assert.ok(!k.name(mine[0], 200).includes('mount ns'), `${kind}: root's name does not`);
        // the table's own column: no text after a path could say it (a name may end in anything)
        const col = tableColumns(kind).find((c) => (c.id as string) === 'mntns');
        assert.ok(col, `${kind}: the table has a MNT NS column`);
        assert.equal(cell(their[0], col, procs), ns);
        assert.equal(cell(mine[0], col, procs), '-');
        // a path of its namespace that leads to the same file here is ours to read
        const shared = snap.channels.filter((c): c is Channel & { path?: string; mntns?: string } => c.kind === kind && (c as { path?: string }).path === path.join(same, name));
        assert.equal(shared.length, 1, `${kind}: the attacker's in the shared directory: ${JSON.stringify(shared)}`);
        // (without the addon a socket's bound file is not known: a socket of another namespace stays marked)
        const unverifiable = kind === 'unix' && !snap.capabilities.sockDiag;
        assert.equal(shared[0].mntns, unverifiable ? ns : undefined, `${kind}: ${JSON.stringify(shared[0])}`);
      }
    });
  }
});

// A socket bound in another mount namespace and passed to a process of ours over SCM_RIGHTS: its
// holders are of both namespaces. Its name is marked when it does not lead here to the bound file
// (a tmpfs only that namespace sees); one bound here and passed the other way is not.
const PASS = `
import ctypes, os, socket, sys
d, here = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
a, b = socket.socketpair()
mine = socket.socket(socket.AF_UNIX); mine.bind(here); mine.listen(1)
r, w = os.pipe()
if os.fork() == 0:
    os.close(w)  # (it ends when its parent does: EOF on r)
    # a mount namespace of its own, with a tmpfs over d that only it sees
    if libc.unshare(0x20000) != 0 or libc.mount(None, b'/', None, 0x4000 | 0x40000, None) != 0 or libc.mount(b'tmpfs', d.encode(), b'tmpfs', 0, None) != 0:
        os._exit(3)
    s = socket.socket(socket.AF_UNIX); s.bind(os.path.join(d, 'passed.sock')); s.listen(1)
    socket.send_fds(b, [b'x'], [s.fileno()])
    os.read(r, 1)
    os._exit(0)
msg, fds, _, _ = socket.recv_fds(a, 1, 1)
passed = socket.socket(fileno=fds[0])
print(os.fstat(passed.fileno()).st_ino, os.fstat(mine.fileno()).st_ino, flush=True)
sys.stdin.readline()
`;

describe('a socket passed across mount namespaces', { skip: process.getuid?.() !== 0 ? 'needs root to make a mount namespace' : !loadNative().addon ? 'native addon not built (no sock_diag: no bound file to compare)' : false }, () => {
  let dir = '';
  let child: ReturnType<typeof spawn> | undefined;
  let passed = 0;
  let ours = 0;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-passed-'));
    fs.mkdirSync(path.join(dir, 'theirs'));
    child = spawn('/usr/bin/python3', ['-c', PASS, path.join(dir, 'theirs'), path.join(dir, 'ours.sock')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (c) => reject(new Error(`python exited ${c}`)));
    });
    [passed, ours] = line.split(' ').map(Number);
  });
  after(() => {
    child?.stdin?.end();
    child?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [way, opts, skipWay] of [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, false],
  ] as const) {
    it(`held here and there: the name of the other namespace is marked, ours is not (${way})`, { skip: skipWay }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['unix'] });
      const p = snap.channels.find((c) => c.kind === 'unix' && c.inode === passed) as (Channel & { mntns?: string; path?: string }) | undefined;
      assert.ok(p, 'the passed socket');
      assert.equal(p.path, path.join(dir, 'theirs', 'passed.sock'));
      const holders = new Set(p.endpoints.map((e) => e.pid));
      assert.ok(holders.has(child!.pid!) && holders.size === 2, `held by us and by the binder: ${[...holders].join(', ')}`);
      const binder = [...holders].find((pid) => pid !== child!.pid)!;
      assert.notEqual(nsOf(binder), nsOf(child!.pid!));
      assert.equal(p.mntns, nsOf(binder), 'its name is of the binder\'s namespace');
      const o = snap.channels.find((c) => c.kind === 'unix' && c.inode === ours) as (Channel & { mntns?: string }) | undefined;
      assert.ok(o, 'ours');
      assert.equal(o.mntns, undefined, 'a name bound here, held there too: ours');
    });
  }
});

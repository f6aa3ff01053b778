// A Unix listener in a network namespace no process is in (red-team finding; fixtures/attacker.c
// `ghost-listener`): a child of the attacker (uid 65534) enters a user and network namespace of
// its own, listens on a path, passes the socket to its parent over SCM_RIGHTS and exits. The
// parent keeps serving on it, but the socket is in no table of any namespace a process is in:
// every walk dropped it without a trace, and the diagnosis called its path a stale socket file
// ("nothing is bound to it") and offered to remove it. Now the namespace is found through the
// socket (pidfd_getfd + SIOCGSKNS) and dumped like any other: the listener is listed with its
// holder and path in both walks, a warning says where it was found, and its path is not stale.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadBpf, loadNative } from '../../src/core/native';
import type { UnixChannel, WalkBackend } from '../../src/core/model';
import type { Problem } from '../../src/core/diagnose/problem';
import { compileTools, ownNamespacesSkip, runAttacker, stopAttacker, type Attacker } from './hostile';
import { Sampler } from './diagnoseUtil';

const native = loadNative().addon;
const bpf = loadBpf().addon;
const skip = spawnSync('sh', ['-c', 'command -v cc']).status !== 0 ? 'needs cc' : !native ? 'native addon not loaded' : ownNamespacesSkip(['--net']);

describe('a Unix listener in a network namespace no process is in', { skip }, () => {
  let attacker: Attacker | undefined;
  let made: { pid: number; fd: number; inode: number };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-ghostns-'));
  const sock = path.join(dir, 'live.sock');
  const walks: WalkBackend[] = ['proc'];

  before(async () => {
    fs.chmodSync(dir, 0o777);
    attacker = runAttacker(await compileTools(), ['ghost-listener', sock]);
    made = JSON.parse(await attacker.next('the ghost-listener line')) as typeof made;
    if (bpf && (await bpf.bpfProbe()).ok) walks.push('bpf-iter');
  });
  after(async () => {
    await stopAttacker(attacker);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is live: a client connects', async () => {
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(sock, () => {
        c.destroy();
        resolve();
      });
      c.on('error', reject);
    });
  });

  it('each walk lists it with its holder and path, and says which namespace it read', async () => {
    const { takeSnapshot } = await import('../../src/core/snapshot');
    for (const walk of walks) {
      const snap = await takeSnapshot({ walk, kinds: ['unix'] });
      assert.equal(snap.capabilities.walk?.backend, walk);
      const ch = snap.channels.find((c): c is UnixChannel => c.id === `unix:${made.inode}`);
      assert.ok(ch, `${walk}: unix:${made.inode} listed`);
      assert.equal(ch.state, 'listen');
      assert.equal(ch.path, sock);
      assert.deepEqual(ch.endpoints.map((e) => [e.pid, e.fd]), [[made.pid, made.fd]]);
      assert.notEqual(ch.netns, snap.processes.find((p) => p.pid === made.pid)?.netns, 'the socket\'s namespace, not its holder\'s');
      assert.ok(snap.warnings.some((w) => w.includes(`network namespace ${ch.netns} has no process in it`) && w.includes(`socket ${made.inode}`)), JSON.stringify(snap.warnings));
    }
  });

  it('the diagnosis does not call its path stale', async () => {
    const s = new Sampler();
    const stale = (d: { problems: Problem[] }) => d.problems.filter((p) => p.rule === 'socket-path' && p.title.includes(sock));
    await s.never(stale, 'a live listener\'s path called stale', 3);
  });
});

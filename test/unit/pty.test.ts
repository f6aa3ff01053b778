// Pseudo-terminals' pure parts (core/kinds/pty.ts, core/probes/ptys.ts): the index from a slave's
// device number, stat's terminal fields, mountinfo, which devpts a /dev/ptmx master took (a stack
// of devpts mounts, its own devpts ptmx, another root, another namespace's mount), the join of
// masters and slaves by (devpts, index) — never by the index alone —, and how the ends are shown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ptyId, ptyIndex } from '../../src/core/kinds/pty';
import { devptsOfPtmx, mountTable, statTty, ptyChannels, type PtyRow, type StatTty } from '../../src/core/probes/ptys';
import { parseMountinfo } from '../../src/core/parsers/mountinfo';
import { channelLabel, endpointLabel } from '../../src/core/format';
import { endpointPeers, hasEndpointPeer } from '../../src/core/ends';
import { groupEndpoints } from '../../src/core/endpointGroups';
import { isChannelId } from '../../src/core/kinds';
import type { PtyChannel } from '../../src/core/model';

test('index from the slave device number (MKDEV(136, index), 20-bit minors)', () => {
  assert.equal(ptyIndex(136, 3), 3);
  assert.equal(ptyIndex(136, 300), 300);
  assert.equal(ptyIndex(137, 1), 0x100001);
  assert.equal(ptyIndex(5, 2), null);
  assert.equal(ptyIndex(144, 0), null);
  assert.equal(ptyId('0:26', 3), 'pty:0:26:3');
  assert.equal(ptyId(null, 3, 24), 'pty:mnt24:3');
  assert.ok(isChannelId('pty:0:26:3') && isChannelId('pty:mnt24:3'));
  assert.ok(!isChannelId('pty:3') && !isChannelId('pty:0:26:x') && !isChannelId('pty:mnt:3'));
});

test('stat: session, tty_nr, tpgid after a comm that holds ") ("', () => {
  const t = '4242 (a) (b) c) S 4240 4242 4242 34816 4300 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0';
  assert.deepEqual(statTty(t), { session: 4242, ttyNr: 34816, tpgid: 4300 });
  assert.equal(statTty('garbage'), null);
  assert.equal(statTty('1 (x) S 0 1 1 zz'), null);
});

// this machine's: devtmpfs on /dev (24), two devpts stacked on /dev/pts (26 below, 29 on top)
const LINES = parseMountinfo(
  [
    '21 1 0:20 / / rw - ext4 /dev/vda rw',
    '24 21 0:6 / /dev rw,nosuid - devtmpfs devtmpfs rw',
    '26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000',
    '29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000',
    '40 21 0:40 / /srv/with\\040space rw - tmpfs tmpfs rw',
    '41 40 0:41 / /srv/with\\040space/pts rw - devpts devpts rw',
    'not a mountinfo line',
  ].join('\n'),
);

test('mountinfo: fields, escapes, bad lines skipped', () => {
  assert.equal(LINES.length, 6);
  assert.deepEqual(LINES[3], { id: 29, parent: 26, dev: '0:26', mountPoint: '/dev/pts', fstype: 'devpts' });
  assert.equal(LINES[4].mountPoint, '/srv/with space');
});

test('the devpts a ptmx took: beside it, topmost of a stack; its own when on a devpts; none when it cannot be told', () => {
  const MOUNTS = mountTable(LINES);
  assert.equal(devptsOfPtmx(MOUNTS, 24, '/dev/ptmx'), '0:26', 'the top of the stack, as the kernel follows mounts down');
  assert.equal(devptsOfPtmx(MOUNTS, 29, '/dev/pts/ptmx'), '0:26', "a devpts's own ptmx");
  assert.equal(devptsOfPtmx(MOUNTS, 26, '/dev/pts/ptmx'), '0:24');
  assert.equal(devptsOfPtmx(MOUNTS, 40, '/srv/with space/ptmx'), '0:41');
  assert.equal(devptsOfPtmx(MOUNTS, 99, '/dev/ptmx'), null, 'a mount of another namespace (the fd came over a socket)');
  assert.equal(devptsOfPtmx(MOUNTS, 24, '/var/lib/x/rootfs/dev/ptmx'), null, 'a holder whose root is not ours');
  assert.equal(devptsOfPtmx(MOUNTS, 21, '/opt/ptmx'), null, 'nothing mounted on /opt/pts');
  assert.equal(devptsOfPtmx(MOUNTS, 24, null), null);
  assert.equal(devptsOfPtmx(MOUNTS, 21, '/tmp/pts/../ptmx'), null);
});

test('a stack another user made tens of thousands deep: its top in one lookup a mount; a table cut short tells no stack top, only a devpts ptmx', () => {
  const n = 100_000;
  const lines = ['21 1 0:20 / / rw - ext4 /dev/vda rw', '24 21 0:6 / /dev rw,nosuid - devtmpfs devtmpfs rw'];
  for (let i = 0; i < n; i++) lines.push(`${1000 + i} ${i === 0 ? 24 : 999 + i} 0:${5000 + i} / /dev/pts rw - devpts devpts rw`);
  const stacked = parseMountinfo(lines.join('\n'));
  assert.equal(devptsOfPtmx(mountTable(stacked), 24, '/dev/ptmx'), `0:${5000 + n - 1}`, 'the topmost');
  assert.equal(devptsOfPtmx(mountTable(stacked.slice(0, 5000), true), 24, '/dev/ptmx'), null, 'its top may lie past the cut');
  assert.equal(devptsOfPtmx(mountTable(stacked.slice(0, 5000), true), 1003, '/dev/pts/ptmx'), '0:5003', "a devpts's own ptmx needs no stack");
});

type R = PtyRow & { role: 'master' | 'slave' };
const m = (pid: number, fd: number, devpts: string | null, index: number, mntId = 24): R => ({ pid, fd, mode: 'rw', devpts, index, mntId, role: 'master' });
const s = (pid: number, fd: number, devpts: string, index: number): R => ({ pid, fd, mode: 'rw', devpts, index, rdev: 34816 + index, role: 'slave' });
const st = (session: number, ttyNr: number, tpgid: number): StatTty => ({ session, ttyNr, tpgid });

test('join: by (devpts, index), never the index alone; one process alone is no channel; controlling terminal from stat', () => {
  const rows = [
    s(20, 0, '0:26', 3), s(20, 1, '0:26', 3), m(10, 5, '0:26', 3),
    // a container's pts/3 on its own devpts: another terminal
    m(30, 7, '0:50', 3), s(31, 0, '0:50', 3),
    // a master whose devpts is unknown: alone, by its mount and index
    m(40, 4, null, 3, 77), s(41, 0, '0:60', 3),
    // one process with both ends: talking to itself
    m(50, 3, '0:26', 9), s(50, 4, '0:26', 9),
  ];
  const stats = new Map([[20, st(20, 34816 + 3, 20)], [31, st(31, 0, -1)]]);
  const out = ptyChannels(rows, stats);
  assert.deepEqual(out.map((c) => c.id).sort(), ['pty:0:26:3', 'pty:0:50:3']);
  const host = out.find((c) => c.id === 'pty:0:26:3')!;
  assert.deepEqual(host.endpoints, [
    { pid: 10, fd: 5, mode: 'rw', role: 'master' },
    { pid: 20, fd: 0, mode: 'rw', role: 'slave' },
    { pid: 20, fd: 1, mode: 'rw', role: 'slave' },
  ]);
  assert.deepEqual([host.session, host.foreground, host.controlling], [20, 20, [20]]);
  const inner = out.find((c) => c.id === 'pty:0:50:3')!;
  assert.deepEqual([inner.session, inner.foreground, inner.controlling], [null, null, []], 'its holder has no controlling terminal');
  // the unknown master and the lone slave are no channels of two processes: each alone
  assert.ok(!out.some((c) => c.endpoints.some((e) => e.pid === 40 || e.pid === 41)));
});

test('shown as masters ⇄ slaves, each endpoint with its role; peers are the other side', () => {
  const ch: PtyChannel = {
    id: 'pty:0:26:3', kind: 'pty', index: 3, devpts: '0:26', session: 20, foreground: 20, controlling: [20],
    endpoints: [{ pid: 10, fd: 5, mode: 'rw', role: 'master' }, { pid: 10, fd: 6, mode: 'rw', role: 'slave' }, { pid: 20, fd: 0, mode: 'rw', role: 'slave' }],
  };
  const procs = new Map([[10, { comm: 'tmux' }], [20, { comm: 'bash' }]]);
  assert.equal(channelLabel(ch, procs as never), 'pts/3  tmux[10] \u21c4 tmux[10], bash[20]');
  assert.equal(endpointLabel(ch.endpoints[0], { comm: 'tmux' }), 'tmux[10] fd 5 (master, rw)');
  assert.deepEqual(endpointPeers(ch, ch.endpoints[0]), ch.endpoints.slice(1));
  assert.deepEqual(endpointPeers(ch, ch.endpoints[2]), [ch.endpoints[0]]);
  assert.ok(hasEndpointPeer(ch, ch.endpoints[2]));
  // a process holding both ends has a group of each
  assert.deepEqual(groupEndpoints(ch.endpoints).map((g) => [g.pid, g.role]), [[10, 'master'], [10, 'slave'], [20, 'slave']]);
});

// A channel held through very many fds (one pipe end dup'd to the fd limit in several processes,
// as any local user can): its endpoints grouped by process and mode, the fds as ranges
// (core/endpointGroups.ts). The CLI's table and `watch` print a group as one entry, losslessly
// (the cell read back is exactly the endpoints), and what the trees and tooltips show is bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointListing, fdRanges, groupEndpoints, rangesText } from '../../src/core/endpointGroups';
import { endpointGroupLabel, holderLines, HOLDER_LINES } from '../../src/core/format';
import { endpointPeers, hasEndpointPeer } from '../../src/core/ends';
import { renderTable } from '../../src/cli/snapshot';
import { channelChanges } from '../../src/cli/watch';
import type { Channel, Endpoint, Mode, ProcessInfo } from '../../src/core/model';
import { snapshotOf } from './helpers';
import { endpointKeys, endpointsOfCell } from './endpointCell';

const proc = (pid: number, comm: string) => ({ pid, ppid: 1, comm }) as ProcessInfo;
const pipe = (endpoints: Endpoint[], inode = 4901): Channel => ({ id: `pipe:${inode}`, kind: 'pipe', inode, bufferedBytes: 0, capacity: 65536, endpoints });
const fds = (pid: number, mode: Mode, list: Iterable<number>): Endpoint[] => [...list].map((fd) => ({ pid, fd, mode }));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A dup-bomb: in each process, fd 3 reads and 4..last write, but for the holes. */
function dupBomb(pids: number[], last: number, holes: number[]): Endpoint[] {
  const skip = new Set(holes);
  return pids.flatMap((pid) => [{ pid, fd: 3, mode: 'r' as const }, ...fds(pid, 'w', range(4, last).filter((fd) => !skip.has(fd)))]);
}

test('fdRanges: runs of consecutive fds, holes between them, single fds, any order, repeats', () => {
  assert.deepEqual(fdRanges([]), []);
  assert.deepEqual(fdRanges([7]), [[7, 7]]);
  assert.deepEqual(fdRanges([3, 4, 5, 9]), [[3, 5], [9, 9]]);
  assert.deepEqual(fdRanges([9, 5, 3, 4, 4, 11, 10]), [[3, 5], [9, 11]], 'unsorted with a repeat');
  assert.deepEqual(fdRanges([0, 2, 4]), [[0, 0], [2, 2], [4, 4]]);
  const huge = range(0, 999_999);
  assert.deepEqual(fdRanges(huge), [[0, 999_999]], 'a million fds are one run');
  assert.deepEqual(fdRanges([...huge].reverse()), [[0, 999_999]], 'also given backwards');
});

test('rangesText: three or more as first–last, shorter runs fd by fd; a bound says how many fds it leaves out', () => {
  assert.equal(rangesText(fdRanges([4, 5, 6, 7, 9, 11, 12, 14, 15, 16])), '4\u20137,9,11,12,14\u201316');
  assert.equal(rangesText(fdRanges([1, 2])), '1,2', 'stdout and stderr stay two fds');
  assert.equal(rangesText(fdRanges([4, 5, 6, 8, 10, 11, 12, 13]), 2, ', '), '4\u20136, 8, \u2026 4 more');
  assert.equal(rangesText([]), '');
});

test('groupEndpoints: by process, mode and fd or mapping, in the order of first appearance; fds ascending, once', () => {
  const eps: Endpoint[] = [
    { pid: 20, fd: 9, mode: 'w' },
    { pid: 10, fd: 3, mode: 'r' },
    { pid: 20, fd: 4, mode: 'w' },
    { pid: 10, fd: 5, mode: 'w' },
    { pid: 20, fd: 6, mode: 'r' },
    { pid: 10, fd: 4, mode: 'w' },
    { pid: 20, fd: 4, mode: 'w' }, // a repeat (a walk of threads sharing a table)
    { pid: 30, map: '7f00-7f10', mode: 'rw' },
    { pid: 30, fd: 7, mode: 'rw' },
    { pid: 30, map: '7f20-7f30', mode: 'rw' },
    { pid: 40, mode: 'r' },
    { pid: 40, mode: 'r' },
  ];
  const groups = groupEndpoints(eps).map((g) => ({ pid: g.pid, mode: g.mode, via: g.via, at: g.endpoints.map((e) => e.fd ?? e.map ?? '-') }));
  assert.deepEqual(groups, [
    { pid: 20, mode: 'w', via: 'fd', at: [4, 9] },
    { pid: 10, mode: 'r', via: 'fd', at: [3] },
    { pid: 10, mode: 'w', via: 'fd', at: [4, 5] },
    { pid: 20, mode: 'r', via: 'fd', at: [6] },
    { pid: 30, mode: 'rw', via: 'map', at: ['7f00-7f10', '7f20-7f30'] },
    { pid: 30, mode: 'rw', via: 'fd', at: [7] },
    { pid: 40, mode: 'r', via: 'none', at: ['-'] },
    { pid: 40, mode: 'r', via: 'none', at: ['-'] },
  ]);
  assert.deepEqual(eps[0], { pid: 20, fd: 9, mode: 'w' }, 'the input is not changed');
});

test('a group is one entry: its fds as ranges, modes apart, mappings each; one fd keeps its spelling', () => {
  const procs = new Map([[812, proc(812, 'nginx')]]);
  const [r, w] = groupEndpoints([{ pid: 812, fd: 3, mode: 'r' }, ...fds(812, 'w', [4, 5, 6, 8, 10, 11, 12])]);
  assert.equal(endpointGroupLabel(r, procs.get(812)), 'nginx[812] fd 3 (r)');
  assert.equal(endpointGroupLabel(w, procs.get(812)), 'nginx[812] fd 4\u20136,8,10\u201312 (w)');
  assert.equal(endpointGroupLabel(w, procs.get(812), 1), 'nginx[812] fd 4\u20136,\u2026 4 more (w)', 'bounded (a tooltip line)');
  const [m] = groupEndpoints([{ pid: 9, map: '7f00-7f10', mode: 'rw' }, { pid: 9, map: '7f20-7f30', mode: 'rw' }]);
  assert.equal(endpointGroupLabel(m), '[9] map 7f00-7f10,7f20-7f30 (rw)');
  const hostile = new Map([[66, proc(66, 'x\x1b[2J, y[1]')]]);
  const [h] = groupEndpoints(fds(66, 'w', [1, 2, 3]));
  assert.equal(endpointGroupLabel(h, hostile.get(66)), '"x\\x1b[2J, y[1]"[66] fd 1\u20133 (w)', 'the name escaped and quoted as in every label');
});

test('the table: a dup-bomb channel is one short line that names exactly its endpoints, in order', () => {
  const pids = [30661, 30662, 30663];
  const eps = dupBomb(pids, 19_999, [10, 251, 300, 301, 302, 5000]);
  const snap = { ...snapshotOf([pipe(eps)]), processes: pids.map((p) => proc(p, 'dupbomb')) };
  const row = renderTable(snap).split('\n').find((l) => l.startsWith('pipe:4901 '))!;
  assert.ok(row.length < 600, `${row.length} characters for ${eps.length} endpoints`);
  const cell = row.slice(row.indexOf('dupbomb['));
  assert.equal(cell.split(', ')[0], 'dupbomb[30661] fd 3 (r)', 'one fd: the spelling of before');
  assert.equal(cell.split(', ')[1], 'dupbomb[30661] fd 4\u20139,11\u2013250,252\u2013299,303\u20134999,5001\u201319999 (w)');
  assert.deepEqual(endpointKeys(endpointsOfCell(cell)), endpointKeys(eps), 'lossless');
  assert.deepEqual([...new Set(endpointsOfCell(cell).map((e) => e.pid))], pids, 'processes in the order of the snapshot');
});

test('the table: a process holding every other fd (the most runs one can make) still reads back exactly', () => {
  const eps = [...fds(7, 'w', range(0, 9999).filter((fd) => fd % 2 === 0)), ...fds(8, 'r', range(0, 50).reverse())];
  const row = renderTable({ ...snapshotOf([pipe(eps)]), processes: [proc(7, 'a'), proc(8, 'b')] }).split('\n').find((l) => l.startsWith('pipe:4901 '))!;
  const cell = row.slice(row.indexOf('a[7]'));
  assert.deepEqual(endpointKeys(endpointsOfCell(cell)), endpointKeys(eps));
  assert.ok(cell.endsWith(', b[8] fd 0\u201350 (r)'), 'fds given backwards print ascending');
});

test('watch: endpoints that came and went are one +/- entry per process and mode', () => {
  const procs = new Map([[5, proc(5, 'bomb')], [6, proc(6, 'bomb')]]);
  const before = pipe([{ pid: 5, fd: 3, mode: 'r' }, ...fds(5, 'w', range(4, 100))]);
  const after = pipe([{ pid: 5, fd: 3, mode: 'r' }, ...fds(5, 'w', range(4, 50)), { pid: 6, fd: 3, mode: 'r' }, ...fds(6, 'w', range(4, 20_000))]);
  assert.deepEqual(channelChanges(before, after, procs), ['+bomb[6] fd 3 (r)', '+bomb[6] fd 4\u201320000 (w)', '-bomb[5] fd 51\u2013100 (w)']);
});

test('endpointListing: a few fds one by one, many as their group; at most `max` items and how many endpoints are left out', () => {
  const eps = [...fds(1, 'w', [1, 2]), ...fds(2, 'r', [3]), ...fds(2, 'w', range(4, 10_000)), ...fds(3, 'w', [5, 6, 7, 8])];
  const l = endpointListing(eps, 4, 1000);
  assert.deepEqual(
    l.items.map((i) => (i.group ? `${i.group.pid}:${i.group.mode}×${i.group.endpoints.length}` : `${i.endpoint.pid}:${i.endpoint.fd}`)),
    ['1:1', '1:2', '2:3', '2:w×9997', '3:w×4'],
  );
  assert.equal(l.more, 0);
  // 3,000 processes holding one fd each: the cap, and the endpoints past it counted
  const many = range(1, 3000).flatMap((pid) => fds(pid, 'w', [1]));
  const capped = endpointListing(many, 4, 2000);
  assert.equal(capped.items.length, 2000);
  assert.equal(capped.more, 1000);
  const groups = endpointListing([...many, ...fds(5000, 'r', range(0, 99))], 4, 2000);
  assert.equal(groups.more, 1100, 'a group past the cap counts all its endpoints');
});

test('hasEndpointPeer is endpointPeers(…).length > 0, without a scan per endpoint', () => {
  const eps: Endpoint[] = [...fds(1, 'w', range(3, 50)), { pid: 2, fd: 0, mode: 'r' }, { pid: 3, fd: 4, mode: 'rw' }];
  const cases: Channel[] = [pipe(eps), pipe(fds(1, 'w', range(3, 9))), pipe([{ pid: 3, fd: 4, mode: 'rw' }]), pipe([...fds(1, 'r', [3]), { pid: 1, fd: 4, mode: 'rw' }]), pipe([])];
  for (const ch of cases) for (const e of ch.endpoints) assert.equal(hasEndpointPeer(ch, e), endpointPeers(ch, e).length > 0, `${ch.endpoints.length} endpoints, ${JSON.stringify(e)}`);
  const sock: Channel = { id: 'unix:1', kind: 'unix', inode: 1, type: 'stream', state: 'connected', recvQueue: 0, sendQueue: 0, endpoints: fds(1, 'rw', [3, 4]) } as Channel;
  assert.equal(hasEndpointPeer(sock, sock.endpoints[0]), false, 'not a one-way channel: its peer is another channel');
});

test('holderLines: a tooltip lists processes and modes, bounded in lines and in runs', () => {
  const pids = range(100, 160);
  const ch = pipe(pids.flatMap((pid) => fds(pid, 'w', range(0, 20_000).filter((fd) => fd % 3 !== 0))));
  const lines = holderLines(ch, new Map(pids.map((p) => [p, proc(p, 'w')])));
  assert.equal(lines.length, HOLDER_LINES + 1);
  assert.ok(lines.every((l) => l.length < 200), `longest ${Math.max(...lines.map((l) => l.length))}`);
  assert.equal(lines[HOLDER_LINES], `\u2026 ${((pids.length - HOLDER_LINES) * (ch.endpoints.length / pids.length)).toLocaleString('en-US')} more endpoints`);
});

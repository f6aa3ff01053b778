// The CLI's text table (`ipc-inspector snapshot`): one cell another user made long (a FIFO at a
// 4,000-character path) is printed whole on its own row and does not widen every other row; a
// table of 150,000 rows renders (column widths without a spread of the rows), and is written in
// pieces of whole lines (the table of millions of fds is more text than one string may hold); a
// relative socket name shows the path it names beside it; --all-processes adds every process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byContainer, COLUMN_MAX, ENDPOINT_GROUPS_MAX, LIST_CELL_MAX, renderTable, tableChunks } from '../../src/cli/snapshot';
import { displayWidth } from '../../src/cli/width';
import { hexdump } from '../../src/cli/common';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { snapshotOf } from './helpers';

const snap = snapshotOf;

const fifo = (inode: number, path: string): Channel => ({
  id: `fifo:0:30:${inode}`,
  kind: 'fifo',
  endpoints: [{ pid: 100 + inode, fd: 3, mode: 'r' }],
  inode,
  dev: '0:30',
  path,
  deleted: false,
  bufferedBytes: 0,
  capacity: 65536,
});

test('a long cell shifts its own row only, and is printed whole', () => {
  const long = '/tmp/' + 'A'.repeat(4000);
  const lines = renderTable(snap([fifo(1, '/tmp/a'), fifo(2, long), fifo(3, '/tmp/b')])).split('\n');
  const row = (inode: number) => lines.find((l) => l.startsWith(`fifo:0:30:${inode} `))!;
  assert.ok(row(2).includes(long), 'the long path whole');
  for (const i of [1, 3]) assert.ok(row(i).length < 4 * COLUMN_MAX + 40, `row ${i} is ${row(i).length} wide`);
  assert.ok(row(1).indexOf(' fd 3') > 0);
  assert.equal(row(1).indexOf(' fd 3'), row(3).indexOf(' fd 3'), 'the short rows stay aligned');
});

test('short cells on a few rows only (another mount namespace on 1 FIFO of 100) do not shift those rows', () => {
  const rows: Channel[] = [];
  for (let i = 1; i <= 100; i++) rows.push(fifo(i, `/tmp/f${i}`));
  (rows[49] as Channel & { mntns?: string }).mntns = '4026532319';
  const lines = renderTable(snap(rows)).split('\n');
  const at = (inode: number) => lines.find((l) => l.startsWith(`fifo:0:30:${inode} `))!.indexOf(`[${100 + inode}]`) - String(100 + inode).length;
  assert.ok(lines.find((l) => l.startsWith('fifo:0:30:50 '))!.includes('4026532319'));
  assert.equal(at(50), at(1), 'the marked row is aligned with the others');
});

test('the table comes in pieces of whole lines, at most 4,096 each, that together are the table', () => {
  const many: Channel[] = [];
  for (let i = 1; i <= 10_000; i++) many.push(fifo(i, `/tmp/f${i}`));
  const chunks = [...tableChunks(snap(many))];
  assert.ok(chunks.length >= 3, `${chunks.length} pieces`);
  for (const c of chunks) {
    assert.ok(c.endsWith('\n'));
    assert.ok(c.split('\n').length - 1 <= 4096);
  }
  assert.equal(chunks.join(''), renderTable(snap(many)));
  assert.equal(chunks.join('').split('\n').filter((l) => l.startsWith('fifo:')).length, 10_000);
});

test('150,000 rows render', () => {
  const many: Channel[] = [];
  for (let i = 1; i <= 150_000; i++) many.push(fifo(i, `/tmp/f${i}`));
  const out = renderTable(snap(many));
  assert.equal(out.split('\n').filter((l) => l.startsWith('fifo:')).length, 150_000);
});

test('the table ends with the containers of the processes it lists, escaped; nothing when none is in one', () => {
  const proc = (pid: number, container: ProcessInfo['container'], nsPid: number[]): ProcessInfo => ({
    pid, ppid: 1, comm: pid === 201 ? 'x\n[y](command:z)' : 'nc', cmdline: [], uid: 0, user: 'root', startTime: 1, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null }, timers: [], threads: 1, cwd: null, exe: null, container, nsPid,
  });
  const ID = 'ab'.repeat(32);
  const web = { runtime: 'docker' as const, id: ID, name: 'web\x1b[31m', pod: null, rootlessUid: null, cgroup: `/docker/${ID}` };
  const s = snap([fifo(1, '/tmp/a'), fifo(100, '/tmp/b'), fifo(101, '/tmp/c')]);
  s.processes = [proc(101, web, [101, 1]), proc(201, web, [201, 7]), proc(200, null, [200])];
  const out = renderTable(s);
  const tail = out.slice(out.indexOf('\nContainers ('));
  assert.match(tail, /^\nContainers \(1\)\nCONTAINER +PROCESSES\n/);
  assert.ok(tail.includes(`docker web\\x1b[31m (${ID.slice(0, 12)})  nc[101] (pid 1 inside), "x\\n[y](command:z)"[201] (pid 7 inside)`), tail);
  assert.ok(!/\x1b|\n\[y\]/.test(tail), 'escaped, one line each');
  assert.ok(!tail.includes('[200]'), 'a process outside containers is not listed');
  s.processes = [proc(101, null, [101]), proc(201, null, [201])];
  assert.ok(!renderTable(s).includes('Containers'));
});

test('a few cells longer than the rest (TIME-WAIT ids, one deep path) do not widen every row, even under the cap', () => {
  const rows = Array.from({ length: 40 }, (_, i) => fifo(i + 1, `/tmp/f${i % 10}`));
  rows.push(fifo(99, '/tmp/' + 'd'.repeat(35)));
  const lines = renderTable(snap(rows)).split('\n');
  const row = (inode: number) => lines.find((l) => l.startsWith(`fifo:0:30:${inode} `))!;
  const short = row(1).indexOf(' fd 3');
  assert.ok(short > 0);
  for (const i of [2, 17, 40]) assert.equal(row(i).indexOf(' fd 3'), short, `row ${i} aligned with the others`);
  assert.ok(row(99).includes('/tmp/' + 'd'.repeat(35)), 'the long path whole');
  assert.ok(row(99).indexOf(' fd 3') > short + 20, 'only the long row shifts');
});

test('--container: the channels a process of the container holds, their other holders, names or id prefixes; unmatched names said', () => {
  const ID = 'cd'.repeat(32);
  const web = { runtime: 'docker' as const, id: ID, name: 'web', pod: null, rootlessUid: null, cgroup: `/docker/${ID}` };
  const proc = (pid: number, container: ProcessInfo['container']): ProcessInfo => ({
    pid, ppid: 1, comm: 'p', cmdline: [], uid: 0, user: 'root', startTime: 1, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null }, timers: [], threads: 1, cwd: null, exe: null, container,
  });
  const shared: Channel = { ...fifo(5, '/tmp/shared'), endpoints: [{ pid: 101, fd: 3, mode: 'r' }, { pid: 300, fd: 4, mode: 'w' }] };
  const s = snap([fifo(1, '/tmp/a'), shared, fifo(200, '/tmp/host')]); // fifo(1) is held by 101, fifo(200) by 300
  s.processes = [proc(101, web), proc(300, null), proc(400, null)];
  for (const want of ['web', 'cdcd', ID]) {
    const r = byContainer(s, [want]);
    assert.deepEqual(r.snapshot.channels.map((c) => c.id), ['fifo:0:30:1', 'fifo:0:30:5'], want);
    assert.deepEqual(r.snapshot.processes.map((p) => p.pid), [101, 300], 'the members and the other holders of their channels');
    assert.deepEqual(r.unmatched, []);
  }
  const none = byContainer(s, ['cdc', 'db', 'web']);
  assert.deepEqual(none.unmatched, ['cdc', 'db'], 'three hex digits are no id prefix; no container is named db');
});

test('list cells are bounded: a set of 32,000 semaphores reads 0×32000, a pipe 2,000 processes share lists some and counts the rest (--json keeps every one)', () => {
  const set = (id: number, values: number[]): Channel =>
    ({ id: `sysv-sem:${id}`, kind: 'sysv-sem', endpoints: [], key: 0, semid: id, count: values.length, values, waitingForIncrease: values.map(() => 0), waitingForZero: values.map(() => 0), lastPids: values.map(() => 0), uid: 1001, owner: 'mallory', mode: '0644', changedAt: null, operatedAt: null }) as unknown as Channel;
  const fresh = renderTable(snap([set(1, new Array(32000).fill(0))]));
  const row = fresh.split('\n').find((l) => l.startsWith('sysv-sem:1 '))!;
  assert.ok(row.includes('0×32000'), row.slice(0, 300));
  assert.ok(row.length < 400, `${row.length} characters`);
  const varied = renderTable(snap([set(2, Array.from({ length: 32000 }, (_, i) => i))])).split('\n').find((l) => l.startsWith('sysv-sem:2 '))!;
  assert.ok(varied.length < 4 * (LIST_CELL_MAX + 40), `${varied.length} characters`);
  assert.match(varied, /,… \+\d+ more/);
  assert.ok(varied.includes('0,1,2,3,4,5'), 'the first values as they are');
  const shared: Channel = { ...fifo(9, '/tmp/shared'), endpoints: Array.from({ length: 2000 }, (_, i) => ({ pid: 5000 + i, fd: 3, mode: 'r' as const })) };
  const line = renderTable(snap([shared])).split('\n').find((l) => l.startsWith('fifo:0:30:9 '))!;
  assert.ok(line.length < ENDPOINT_GROUPS_MAX * 40, `${line.length} characters`);
  const more = /… \+(\d+) more$/.exec(line);
  assert.ok(more, line.slice(-80));
  assert.equal((line.match(/fd 3/g) ?? []).length, ENDPOINT_GROUPS_MAX);
  assert.equal(ENDPOINT_GROUPS_MAX + Number(more[1]), 2000, 'the shown and the counted are every process');
});

test('columns are padded by terminal width: a wide (CJK, fullwidth) or combining character in a name moves no column after it', () => {
  const rows = [fifo(1, '/tmp/plain-name'), fifo(2, '/tmp/\uff21\uff22\u4e2d\u6587'), fifo(3, '/tmp/e\u0301\u0301\u0301\u0301\u0301\u0301x')];
  const lines = renderTable(snap(rows)).split('\n');
  const col = (inode: number) => {
    const l = lines.find((x) => x.startsWith(`fifo:0:30:${inode} `))!;
    // where ` fd 3` starts, in terminal columns
    return displayWidth(l.slice(0, l.indexOf(' fd 3')));
  };
  assert.equal(col(2), col(1));
  assert.equal(col(3), col(1));
  assert.equal(displayWidth('\uff21\uff22\u4e2d\u6587'), 8);
  assert.equal(displayWidth('e\u0301\u0301x'), 2);
  assert.equal(displayWidth('\u{1f600}a'), 3);
});

test('a Unix socket bound by a relative name shows the absolute path it names beside it (Postfix\'s public/cleanup); other paths as they are', () => {
  const sock = (inode: number, path: string, pathResolved?: string): Channel => ({
    id: `unix:${inode}`, kind: 'unix', inode, type: 'stream', path, ...(pathResolved ? { pathResolved } : {}), state: 'listen', recvQueue: 0, sendQueue: 100, netns: '1',
    endpoints: [{ pid: 30, fd: 6, mode: 'rw' }],
  });
  const out = renderTable(snap([sock(1, 'public/cleanup', '/var/spool/postfix/public/cleanup'), sock(2, '/run/x.sock'), sock(3, 'rel\nname', '/srv/rel\nname')]));
  const row = (inode: number) => out.split('\n').find((l) => l.startsWith(`unix:${inode} `))!;
  assert.match(row(1), / public\/cleanup \(\/var\/spool\/postfix\/public\/cleanup\) /);
  assert.match(row(2), / \/run\/x\.sock /);
  assert.doesNotMatch(row(2), /x\.sock \(/);
  assert.match(row(3), / rel\\nname \(\/srv\/rel\\nname\) /, 'escaped, one line');
});

test('--all-processes adds every process after the channels, with the channels each holds (0 for none), escaped; not without it', () => {
  const proc = (pid: number, comm: string, cmdline: string[]): ProcessInfo => ({
    pid, ppid: 1, comm, cmdline, uid: 0, user: 'root', startTime: 1, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null }, timers: [], threads: 1, cwd: null, exe: null,
  });
  const a = fifo(1, '/tmp/a');
  const s = snap([a, { ...fifo(2, '/tmp/b'), endpoints: [{ pid: 101, fd: 3, mode: 'r' }, { pid: 101, fd: 4, mode: 'r' }, { pid: 300, fd: 5, mode: 'w' }] }]);
  s.processes = [proc(300, 'x\n[y](command:z)', ['evil\u202e', '--x']), proc(101, 'reader', ['reader']), proc(7, 'idle', [])];
  assert.doesNotMatch(renderTable(s), /Processes \(/);
  const out = renderTable(s, { processes: true });
  const tail = out.slice(out.indexOf('\nProcesses ('));
  const lines = tail.split('\n').filter(Boolean);
  assert.equal(lines[0], 'Processes (3)');
  assert.match(lines[1], /^ *PID +PPID +USER +STATE +CHANNELS +PROCESS +COMMAND$/);
  assert.match(lines[2], /^ *7 +1 +root +S +0 +idle\[7\] +-$/);
  assert.match(lines[3], /^ *101 +1 +root +S +2 +reader\[101\] +reader$/, 'fifo 1 (its fixture holder is pid 101) and fifo 2 (two fds: one channel)');
  assert.match(lines[4], /^ *300 +1 +root +S +1 +"x\\n\[y\]\(command:z\)"\[300\] +evil\\u202e --x$/);
  assert.ok(!/[\n\u202e]/.test(lines.join('')), 'escaped, one line each');
});

test('TCP connections their processes closed (TIME-WAIT, inode 0) are one line after the held ones, as the Channels view folds them; --closed lists them', () => {
  const tcp = (id: string, state: string, inode: number, pids: number[]): Channel => ({
    id, kind: 'tcp', family: 4, local: `127.0.0.1:${inode || 40000}`, remote: '127.0.0.1:80', state, recvQueue: 0, sendQueue: 0, inode, netns: '1', uid: 0,
    endpoints: pids.map((pid) => ({ pid, fd: 3, mode: 'rw' as const })),
  });
  const waits = Array.from({ length: 1200 }, (_, i) => tcp(`tcp:1:127.0.0.1:${41000 + i}->127.0.0.1:80`, i < 3 ? 'FIN-WAIT-2' : 'TIME-WAIT', 0, []));
  // held: a listener, a half-closed socket its process still holds (FIN-WAIT-2 with an inode), a connection still to come
  const held = [tcp('tcp:7', 'LISTEN', 7, [50]), tcp('tcp:8', 'FIN-WAIT-2', 8, [51]), tcp('tcp:1:127.0.0.1:80->127.0.0.1:9', 'SYN-RECV', 0, [])];
  const out = renderTable(snap([...waits, ...held]));
  const lines = out.split('\n');
  assert.ok(lines.includes('TCP socket (3 + 1,200 closed)'), lines.slice(0, 3).join('\n'));
  for (const c of held) assert.ok(lines.some((l) => l.startsWith(`${c.id} `)), `${c.id} not listed`);
  assert.equal(lines.filter((l) => l.includes('TIME-WAIT')).length, 1, 'a TIME-WAIT listed as a row');
  assert.ok(lines.includes('\u2026 1,200 closed connections: TIME-WAIT 1,197 \u00b7 FIN-WAIT-2 3 (--closed lists them)'), out);
  const all = renderTable(snap([...waits, ...held]), { folded: true }).split('\n');
  // counted apart as without --closed: the title reads the same either way
  assert.ok(all.includes('TCP socket (3 + 1,200 closed)'), all.slice(0, 3).join('\n'));
  assert.equal(all.filter((l) => l.startsWith('tcp:1:127.0.0.1:4')).length, 1200);
  // after the held rows, under the line that counts them (without the hint), with a header and widths of their own
  const at = all.indexOf('\u2026 1,200 closed connections: TIME-WAIT 1,197 \u00b7 FIN-WAIT-2 3');
  assert.ok(at > 0, all.slice(0, 8).join('\n'));
  for (const c of held) assert.ok(all.findIndex((l) => l.startsWith(`${c.id} `)) < at, `${c.id} before the closed ones`);
  assert.match(all[at + 1], /^ID +STATE +LOCAL/);
  // the held rows' ID is as wide as theirs, not as a TIME-WAIT id (`tcp:1:127.0.0.1:41000->127.0.0.1:80`)
  const heldHeader = all.find((l) => l.startsWith('ID '))!;
  assert.equal(heldHeader.indexOf('STATE'), 'tcp:1:127.0.0.1:80->127.0.0.1:9'.length + 2, heldHeader);
  assert.equal(all[at + 1].indexOf('STATE'), 'tcp:1:127.0.0.1:41000->127.0.0.1:80'.length + 2, all[at + 1]);
});

test('--closed: IPv6 closed connections, whose ids are longer than COLUMN_MAX, stay aligned among themselves; the held rows keep their narrow ID', () => {
  const v6 = (port: number): Channel => ({
    id: `tcp:4026531840:[::ffff:127.0.0.1]:${port}->[::ffff:127.0.0.1]:8080`, kind: 'tcp', family: 6, local: `[::ffff:127.0.0.1]:${port}`, remote: '[::ffff:127.0.0.1]:8080', state: 'TIME-WAIT',
    recvQueue: 0, sendQueue: 0, inode: 0, netns: '4026531840', uid: 0, endpoints: [],
  });
  const listener: Channel = { id: 'tcp:7', kind: 'tcp', family: 6, local: '*:8080', remote: '*:*', state: 'LISTEN', recvQueue: 0, sendQueue: 0, inode: 7, netns: '4026531840', uid: 0, endpoints: [{ pid: 50, fd: 3, mode: 'rw' }] };
  const waits = [41000, 41001, 9, 41003].map(v6);
  assert.ok(waits[0].id.length > COLUMN_MAX);
  const lines = renderTable(snap([listener, ...waits]), { folded: true }).split('\n');
  const rows = lines.filter((l) => l.startsWith('tcp:4026531840:'));
  assert.equal(rows.length, 4);
  const state = new Set(rows.map((r) => r.indexOf(' TIME-WAIT')));
  assert.equal(state.size, 1, `the STATE column at one place:\n${rows.join('\n')}`);
  assert.ok(lines.find((l) => l.startsWith('tcp:7 '))!.indexOf('LISTEN') < 16, lines.slice(0, 4).join('\n'));
});

test('a shared file mapping unlinked while mapped says so in its row (lsof prints DEL); its size column says it is the mappings\' reach', () => {
  const file = (inode: number, deleted: boolean): Channel => ({
    id: `file-shm:8:1:${inode}`, kind: 'file-shm', path: `/tmp/jv/shared${inode}.bin`, deleted, dev: '8:1', inode, size: 12288, writers: 1,
    endpoints: [{ pid: 7, map: { start: '7f0000000000', end: '7f0000003000', offset: 0, perms: 'rw-s' }, mode: 'rw' }, { pid: 8, map: { start: '7f0000000000', end: '7f0000003000', offset: 0, perms: 'r--s' }, mode: 'r' }],
  } as unknown as Channel);
  const lines = renderTable(snap([file(1, true), file(2, false)])).split('\n');
  const header = lines.find((l) => l.startsWith('ID '))!;
  assert.match(header, /\bMAPPED\b.*\bDELETED\b/);
  const at = header.indexOf('DELETED');
  const cellOf = (inode: number) => lines.find((l) => l.startsWith(`file-shm:8:1:${inode} `))!.slice(at).split(/\s+/)[0];
  assert.equal(cellOf(1), 'yes');
  assert.equal(cellOf(2), 'no');
});

test('hexdump: rows equal to the one before are one `*` (as hexdump -C), and the last row always shows', () => {
  const data = Buffer.concat([Buffer.from('abcdefghijklmnop'), Buffer.alloc(64), Buffer.from('xy')]);
  const lines = [...hexdump(data, 0x100)];
  assert.deepEqual(
    lines.map((l) => l.slice(0, 8)),
    ['00000100', '00000110', '*', '00000150'],
  );
  assert.match(lines[3], /^00000150 {2}78 79 +\|xy\|$/);
  // a run up to the end: its last row is shown, so the length is seen
  assert.deepEqual([...hexdump(Buffer.alloc(64))].map((l) => l.slice(0, 8)), ['00000000', '*', '00000030']);
  // nothing collapses without a repeat
  assert.equal([...hexdump(Buffer.from('0123456789abcdef0123456789abcdeX'))].length, 2);
});

test('a number column printed as text (netlink PROTO `rtnl (NETLINK_ROUTE)`, raw PROTO `vrrp(112)`, a SysV KEY) is left-aligned, as ss and ipcs print it; counts stay right-aligned', () => {
  const ep = [{ pid: 7, fd: 3, mode: 'rw' as const }];
  const nl = (inode: number, protocol: number, portid: number): Channel =>
    ({ id: `netlink:${inode}`, kind: 'netlink', endpoints: ep, protocol, portid, groups: [], recvQueue: inode === 1 ? 123456 : 0, sendQueue: 0, drops: 0, dumping: false, inode, netns: '1', uid: 0 }) as Channel;
  const raw = (inode: number, protocol: number): Channel =>
    ({ id: `raw:${inode}`, kind: 'raw', endpoints: ep, family: 4, protocol, local: '0.0.0.0', remote: '*', state: 'UNCONN', recvQueue: 0, sendQueue: 0, inode, netns: '1', uid: 0 }) as Channel;
  const msg = (id: number, key: number): Channel =>
    ({ id: `sysv-msg:0:${id}`, kind: 'sysv-msg', endpoints: [], msqid: id, key, uid: 0, owner: 'root', mode: '600', messages: 0, bytes: 0, maxBytes: 16384, lastSendPid: 0, lastRecvPid: 0 }) as unknown as Channel;
  const lines = renderTable(snap([nl(1, 0, 4242), nl(2, 15, 1), nl(3, 4, -4001), raw(4, 112), raw(5, 1), msg(1, 0), msg(2, 0x1234)])).split('\n');
  /** The cell under `label` in the row of `id`, with where it starts and ends relative to the header's label. */
  const at = (id: string, label: string) => {
    const row = lines.find((l) => l.startsWith(`${id} `))!;
    const header = lines.slice(0, lines.indexOf(row)).reverse().find((l) => l.startsWith('ID '))!;
    const start = header.search(new RegExp(`(?<= )${label}\\b`));
    return { start, row, text: row.slice(start) };
  };
  for (const [id, text] of [['netlink:1', 'rtnl (NETLINK_ROUTE)'], ['netlink:2', 'uevent (NETLINK_KOBJECT_UEVENT)'], ['netlink:3', 'tcpdiag (NETLINK_SOCK_DIAG)'], ['raw:4', 'vrrp(112)'], ['raw:5', 'icmp(1)']]) {
    const c = at(id, 'PROTO');
    assert.ok(c.text.startsWith(text + ' '), `${id}'s PROTO starts under its header: ${JSON.stringify(c.row)}`);
  }
  for (const [id, text] of [['sysv-msg:0:1', '0x00000000 (IPC_PRIVATE)'], ['sysv-msg:0:2', '0x00001234']]) assert.ok(at(id, 'KEY').text.startsWith(text + ' '), `${id}'s KEY left-aligned`);
  // a column of numbers still ends under its header's end, as ss's Recv-Q does
  const q = (id: string) => {
    const c = at(id, 'RECV-Q');
    return c.row.slice(0, c.start + 'RECV-Q'.length);
  };
  assert.ok(q('netlink:1').endsWith('123456') && q('netlink:2').endsWith(' 0'), `${q('netlink:1')} / ${q('netlink:2')}`);
});

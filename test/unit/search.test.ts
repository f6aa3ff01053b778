// The index behind "Go to Channel or Process…" (src/views/search.ts): pure functions over a
// hand-built snapshot — what each entry lists, what a typed query finds and in which order.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { buildSearchIndex, PROCESSES_GROUP, searchIndex } from '../../src/views/search';

function proc(pid: number, ppid: number, comm: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid, ppid, comm, cmdline: [`/usr/bin/${comm}`, '--serve'], uid: 1000, user: 'dev', startTime: pid * 10, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: 0, queueLimit: 100 },
    timers: [], threads: 1, cwd: '/home/dev', exe: `/usr/bin/${comm}`, ...extra,
  };
}

const processes: ProcessInfo[] = [proc(1, 0, 'init'), proc(812, 1, 'nginx'), proc(901, 812, 'php-fpm'), proc(8080, 1, 'postgres')];
const channels: Channel[] = [
  { id: 'pipe:4901', kind: 'pipe', inode: 4901, bufferedBytes: 10, capacity: 65536, endpoints: [{ pid: 812, fd: 5, mode: 'w' }, { pid: 901, fd: 0, mode: 'r' }] },
  {
    id: 'sysv-msg:32768', kind: 'sysv-msg', key: 0x1234abcd, msqid: 32768, messages: 2, bytes: 20, maxBytes: 16384, lastSendPid: 0, lastRecvPid: 0,
    uid: 999, owner: 'postgres', mode: '0600', lastSendTime: null, lastRecvTime: null, endpoints: [],
  },
  {
    id: 'tcp:1', kind: 'tcp', family: 4, local: '127.0.0.1:8080', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 0, inode: 555,
    netns: '4026531840', uid: 999, endpoints: [{ pid: 812, fd: 7, mode: 'rw' }],
  },
  {
    id: 'tcp:2', kind: 'tcp', family: 4, local: '127.0.0.1:18080', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 0, inode: 556,
    netns: '4026531840', uid: 999, endpoints: [{ pid: 812, fd: 8, mode: 'rw' }],
  },
  {
    id: 'unix:99', kind: 'unix', inode: 99, type: 'stream', path: '/run/app.sock', state: 'listen', recvQueue: 0, sendQueue: 0, netns: 'x',
    endpoints: [{ pid: 8080, fd: 4, mode: 'rw' }],
  },
];
const procs = new Map(processes.map((p) => [p.pid, p]));
const index = buildSearchIndex({ channels, processes, procs, isChannelShown: (id) => id !== 'unix:99', isProcessShown: (pid) => pid !== 1 });
const keys = (q: string) => searchIndex(index, q).entries.map((e) => e.key);

describe('go to: search index', () => {
  it('lists processes first, then channels in the Channels view order, each under its group', () => {
    const groups = [...new Set(index.map((e) => e.group))];
    assert.deepEqual(groups, [PROCESSES_GROUP, 'Pipes', 'Message Queues › SysV', 'Sockets › Unix', 'Sockets › TCP']);
    assert.deepEqual(index.filter((e) => e.type === 'process').map((e) => e.label), ['init[1]', 'nginx[812]', 'php-fpm[901]', 'postgres[8080]']);
    const nginx = index.find((e) => e.key === 'proc:812')!;
    assert.equal(nginx.description, 'dev · 3 channels');
    assert.equal(nginx.detail, '/usr/bin/nginx --serve');
    assert.equal(index.find((e) => e.key === 'tcp:1')!.description, 'TCP socket · LISTEN');
  });

  it('finds a process by name, pid or command line', () => {
    assert.equal(keys('nginx')[0], 'proc:812');
    assert.equal(keys('812')[0], 'proc:812', 'the exact pid ranks first');
    assert.ok(keys('--serve').includes('proc:901'));
  });

  it('finds a port typed bare or with a colon, the exact port first', () => {
    assert.deepEqual(keys(':8080').slice(0, 2).sort(), ['proc:8080', 'tcp:1'].sort(), 'pid 8080 and port 8080 are both exact');
    assert.ok(keys('8080').includes('tcp:2'), '18080 contains 8080 as text');
    const k = keys('8080');
    assert.ok(k.indexOf('tcp:1') < k.indexOf('tcp:2'), 'the exact port before the one that merely contains it');
  });

  it('finds a path, a SysV key and an object by its holder', () => {
    assert.equal(keys('/run/app.sock')[0], 'unix:99');
    assert.equal(keys('app.sock')[0], 'unix:99');
    assert.equal(keys('0x1234abcd')[0], 'sysv-msg:32768');
    assert.ok(keys('php-fpm').includes('pipe:4901'), 'a pipe is found by a holder');
  });

  it('every word must match; nothing typed lists everything in browse order', () => {
    assert.deepEqual(keys('nginx sock'), []);
    assert.deepEqual(keys('postgres sock'), ['unix:99']);
    assert.deepEqual(keys(''), index.map((e) => e.key));
  });

  it('says what the filter hides, and lists it after what is shown', () => {
    const hidden = index.find((e) => e.key === 'unix:99')!;
    assert.equal(hidden.hidden, true);
    assert.match(hidden.description, /hidden by the filter$/);
    assert.match(index.find((e) => e.key === 'proc:1')!.description, /holds no channel itself · hidden by the filter$/);
  });

  it('finds a process and what it holds by a name that is not UTF-8 as shown (`bad\\xff`): names differing only there differ', () => {
    const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
    const named = [proc(41, 1, 'bad\ufffd', { commBytes: hex('bad\xff') }), proc(42, 1, 'bad\ufffd', { commBytes: hex('bad\xfe'), cmdline: ['w\ufffd'], cmdlineBytes: [hex('w\xfe')] })];
    const pipes: Channel[] = named.map((p) => ({ id: `pipe:${p.pid}`, kind: 'pipe', inode: p.pid, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: p.pid, fd: 3, mode: 'w' }] }));
    const ix = buildSearchIndex({ channels: pipes, processes: named, procs: new Map(named.map((p) => [p.pid, p])), isChannelShown: () => true, isProcessShown: () => true });
    const found = (q: string) => searchIndex(ix, q).entries.map((e) => e.key).sort();
    assert.deepEqual(found('bad\\xff'), ['pipe:41', 'proc:41']);
    assert.deepEqual(found('\\XFE'), ['pipe:42', 'proc:42'], 'as typed in any case');
    assert.deepEqual(found('w\\xfe'), ['proc:42'], 'the command as shown');
    assert.equal(ix.find((e) => e.key === 'proc:42')!.detail, 'w\\xfe');
  });

  it('caps the entries it returns and counts them all', () => {
    const many: Channel[] = Array.from({ length: 1200 }, (_, i) => ({
      id: `pipe:${i + 1}`, kind: 'pipe' as const, inode: i + 1, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: 812, fd: i + 10, mode: 'w' as const }],
    }));
    const big = buildSearchIndex({ channels: many, processes, procs, isChannelShown: () => true, isProcessShown: () => true });
    const r = searchIndex(big, 'nginx', 500);
    assert.equal(r.entries.length, 500);
    assert.equal(r.total, 1201);
    assert.equal(r.entries[0].key, 'proc:812', 'the process named so, first');
  });
});

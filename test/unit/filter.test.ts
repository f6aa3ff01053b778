// The views' filter (src/core/filter.ts): pure functions over a hand-built snapshot.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { allowedPids, applyFilter, descendants, EMPTY_FILTER, FilterState, isFiltering, isOpenedItemId, matchesText, narrowsWithinKinds, openedItemId, opensMatches, portOf, problemVisible } from '../../src/core/filter';

function proc(pid: number, ppid: number, comm: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid, ppid, comm, cmdline: [`/usr/bin/${comm}`], uid: 1000, user: 'dev', startTime: pid * 10, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: 0, queueLimit: 100 },
    timers: [], threads: 1, cwd: '/home/dev', exe: `/usr/bin/${comm}`, ...extra,
  };
}

const processes: ProcessInfo[] = [
  proc(1, 0, 'init', { uid: 0, user: 'root', cwd: '/', exe: '/sbin/init' }),
  proc(100, 1, 'bash', { cwd: '/work/app' }),
  proc(812, 100, 'nginx', { cwd: '/work/app' }),
  proc(901, 812, 'php-fpm'),
  proc(8080, 1, 'postgres', { uid: 999, user: 'postgres', cwd: '/var/lib/postgresql' }),
  proc(777, 1, '<img src=x onerror=alert(1)>'),
];

const channels: Channel[] = [
  { id: 'pipe:4901', kind: 'pipe', inode: 4901, bufferedBytes: 10, capacity: 65536, endpoints: [{ pid: 812, fd: 5, mode: 'w' }, { pid: 901, fd: 0, mode: 'r' }] },
  { id: 'fifo:0:12:77', kind: 'fifo', inode: 77, dev: '0:12', path: '/tmp/app.fifo', deleted: false, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: 8080, fd: 3, mode: 'r' }] },
  {
    id: 'sysv-msg:32768', kind: 'sysv-msg', key: 0x1234abcd, msqid: 32768, messages: 2, bytes: 20, maxBytes: 16384, lastSendPid: 0, lastRecvPid: 0,
    uid: 999, owner: 'postgres', mode: '0600', lastSendTime: null, lastRecvTime: null, endpoints: [],
  },
  {
    id: 'tcp:1', kind: 'tcp', family: 4, local: '127.0.0.1:8080', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 0, inode: 555,
    netns: '4026531840', uid: 999, endpoints: [{ pid: 8080, fd: 7, mode: 'rw' }],
  },
  {
    id: 'unix:99', kind: 'unix', inode: 99, type: 'stream', path: '/run/app.sock', state: 'listen', recvQueue: 0, sendQueue: 0, netns: 'x',
    endpoints: [{ pid: 777, fd: 4, mode: 'rw' }],
  },
];
const snapshot = { channels, processes };
const f = (patch: Partial<FilterState>): FilterState => ({ ...EMPTY_FILTER, uid: 1000, ...patch });
const ids = (patch: Partial<FilterState>) => applyFilter(snapshot, f(patch)).channels.map((c) => c.id);
const procs = new Map(processes.map((p) => [p.pid, p]));

describe('views filter', () => {
  it('no filter shows everything and reports not filtering', () => {
    assert.deepEqual(ids({}), channels.map((c) => c.id));
    assert.equal(isFiltering(f({})), false);
    assert.equal(allowedPids(processes, f({})), null);
  });

  it('text matches process name, path, SysV key (hex and decimal), names', () => {
    assert.deepEqual(ids({ text: 'php' }), ['pipe:4901']);
    assert.deepEqual(ids({ text: 'NGINX' }), ['pipe:4901']);
    assert.deepEqual(ids({ text: '/tmp/app' }), ['fifo:0:12:77']);
    assert.deepEqual(ids({ text: '0x1234abcd' }), ['sysv-msg:32768']);
    assert.deepEqual(ids({ text: String(0x1234abcd) }), ['sysv-msg:32768']);
    assert.deepEqual(ids({ text: 'app.sock' }), ['unix:99']);
    assert.equal(isFiltering(f({ text: 'x' })), true);
  });

  it('text matches a holder\'s user by the whole name (as the Processes view shows it), never a part of it', () => {
    assert.deepEqual(ids({ text: 'dev' }), ['pipe:4901', 'unix:99']);
    assert.deepEqual(ids({ text: 'DEV' }), ['pipe:4901', 'unix:99']);
    assert.deepEqual(ids({ text: 'de' }), []);
  });

  it('a number matches pid, port, msqid exactly (80 does not find 8080)', () => {
    assert.deepEqual(ids({ text: '812' }), ['pipe:4901']);
    assert.deepEqual(ids({ text: '80' }), []);
    assert.deepEqual(ids({ text: '8080' }), ['fifo:0:12:77', 'tcp:1']); // pid 8080 holds the fifo; port 8080
    assert.deepEqual(ids({ text: ':8080' }), ['tcp:1']);
    assert.deepEqual(ids({ text: '32768' }), ['sysv-msg:32768']);
    assert.equal(portOf('[::1]:443'), 443);
    assert.equal(portOf('nothing'), null);
  });

  it('a query in the form of a key or an id matches that object only, not a holder whose name or command line contains it; plain words still match holders', () => {
    // holders whose comm or argv[0] carry a key's or an id's text
    const holders = [
      proc(4242, 1, 'ipcrm', { cmdline: ['/opt/0x1234abcd/bin/watcher', '--key'] }),
      proc(4343, 1, 'sysv-msg:32768'),
      proc(4444, 1, 'relay', { cmdline: ['/srv/pipe:4901/relay'] }),
    ];
    const held: Channel[] = [
      ...channels,
      { id: 'unix:4242', kind: 'unix', inode: 4242, type: 'stream', state: 'connected', recvQueue: 0, sendQueue: 0, netns: 'x', endpoints: [{ pid: 4242, fd: 3, mode: 'rw' }] },
      { id: 'unix:4343', kind: 'unix', inode: 4343, type: 'stream', state: 'connected', recvQueue: 0, sendQueue: 0, netns: 'x', endpoints: [{ pid: 4343, fd: 3, mode: 'rw' }] },
      { id: 'unix:4444', kind: 'unix', inode: 4444, type: 'stream', state: 'connected', recvQueue: 0, sendQueue: 0, netns: 'x', endpoints: [{ pid: 4444, fd: 3, mode: 'rw' }] },
      { id: 'pipe:49010', kind: 'pipe', inode: 49010, bufferedBytes: 0, capacity: 65536, endpoints: [] },
    ];
    const all = { channels: held, processes: [...processes, ...holders] };
    const found = (text: string) => applyFilter(all, f({ text })).channels.map((c) => c.id);
    // a SysV key: the queue with that key, not the process with it in its argv[0]; by prefix while typed
    assert.deepEqual(found('0x1234abcd'), ['sysv-msg:32768']);
    assert.deepEqual(found('0X1234ABCD'), ['sysv-msg:32768']);
    assert.deepEqual(found('0x1234'), ['sysv-msg:32768'], 'a key being typed');
    assert.deepEqual(found('0x2345'), [], 'a part of a key that is not its start');
    assert.deepEqual(found('0x49453175'), []);
    // a kind-prefixed id: that channel (and those it starts, as it is typed), not a process named after it
    assert.deepEqual(found('sysv-msg:32768'), ['sysv-msg:32768']);
    assert.deepEqual(found('pipe:4901'), ['pipe:4901', 'pipe:49010']);
    assert.deepEqual(found('pipe:490'), ['pipe:4901', 'pipe:49010'], 'an id being typed');
    assert.deepEqual(found('fifo:0:12:77'), ['fifo:0:12:77']);
    assert.deepEqual(found(' unix:4242 '), ['unix:4242']);
    // an inode or id as a bare number: exact, as before
    assert.deepEqual(found('4901'), ['pipe:4901']);
    // plain words still match holders by name and argv[0]; a text that is no id's shape too
    assert.deepEqual(found('watcher'), ['unix:4242']);
    assert.deepEqual(found('1234abcd'), ['sysv-msg:32768', 'unix:4242'], 'no key form: a part of the key text and of an argv[0]');
    assert.deepEqual(found('relay'), ['unix:4444']);
    assert.deepEqual(found('pipe:'), ['pipe:4901', 'unix:4444', 'pipe:49010'], 'no whole id: a part of ids and of an argv[0]');
    assert.deepEqual(found('unix:/run'), []);
  });

  it('hostile names are plain text for matching', () => {
    assert.deepEqual(ids({ text: '<img' }), ['unix:99']);
    assert.equal(matchesText(channels[4], 'onerror', procs), true);
    assert.equal(matchesText(channels[0], '(', procs), false);
  });

  it('a name that is not UTF-8 matches as shown (`bad\\xff`), by its bytes: names differing only there differ', () => {
    const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
    const named = [
      proc(41, 1, 'bad\ufffd', { commBytes: hex('bad\xff'), cmdline: ['w\ufffd'], cmdlineBytes: [hex('w\xfe')] }),
      proc(42, 1, 'bad\ufffd', { commBytes: hex('bad\xfe') }),
    ];
    const pipes: Channel[] = named.map((p) => ({ id: `pipe:${p.pid}`, kind: 'pipe', inode: p.pid, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: p.pid, fd: 3, mode: 'w' }] }));
    const both = new Map(named.map((p) => [p.pid, p]));
    const found = (q: string) => pipes.filter((c) => matchesText(c, q, both)).map((c) => c.id);
    assert.deepEqual(found('bad\\xff'), ['pipe:41']);
    assert.deepEqual(found('BAD\\XFE'), ['pipe:42'], 'as typed in any case');
    assert.deepEqual(found('\\xff'), ['pipe:41']);
    assert.deepEqual(found('w\\xfe'), ['pipe:41'], 'the command as shown');
  });

  it('hidden kinds', () => {
    assert.deepEqual(ids({ hiddenKinds: ['pipe', 'tcp', 'unix'] }), ['fifo:0:12:77', 'sysv-msg:32768']);
  });

  it('scope keeps the process tree of the root only, and unheld objects go', () => {
    assert.deepEqual([...descendants(processes, [812])].sort((a, b) => a - b), [812, 901]);
    const r = applyFilter(snapshot, f({ scopePid: 100 }));
    assert.deepEqual(r.channels.map((c) => c.id), ['pipe:4901']);
    assert.deepEqual(r.processes.map((p) => p.pid), [100, 812, 901]);
  });

  it('hide other users: other uids and their unheld objects go', () => {
    assert.deepEqual(ids({ hideOtherUsers: true }), ['pipe:4901', 'unix:99']);
  });

  it('workspace only: cwd/exe under a folder, or descendants of terminal pids', () => {
    assert.deepEqual(ids({ workspaceOnly: true, workspaceFolders: ['/work/app'] }), ['pipe:4901']);
    assert.deepEqual(ids({ workspaceOnly: true, workspaceFolders: ['/work/ap'] }), []); // prefix is not "under"
    assert.deepEqual(ids({ workspaceOnly: true, workspaceFolders: [], workspaceRootPids: [8080] }), ['fifo:0:12:77', 'tcp:1']);
  });

  it('filters combine', () => {
    assert.deepEqual(ids({ text: 'nginx', hiddenKinds: ['pipe'] }), []);
    assert.deepEqual(ids({ text: '8080', hideOtherUsers: true }), []);
  });

  it('a thread with an fd table of its own (listed under its tid) is in its process\'s scope', () => {
    const list = [proc(1, 0, 'init'), proc(10, 1, 'server'), { ...proc(15, 1, 'server'), threadOf: 10 }, proc(20, 1, 'other')];
    assert.deepEqual([...descendants(list, [10])].sort((a, b) => a - b), [10, 15]);
    assert.deepEqual([...descendants(list, [20])], [20]);
  });

  it('the views list only groups holding a match when a filter drops channels within kinds (not for hidden kinds alone)', () => {
    const f = (p: Partial<FilterState>) => narrowsWithinKinds({ ...EMPTY_FILTER, ...p });
    assert.equal(f({}), false);
    assert.equal(f({ hiddenKinds: ['tcp'] }), false);
    assert.equal(f({ text: '  ' }), false);
    for (const p of [{ text: 'nginx' }, { scopePid: 1 }, { workspaceOnly: true }, { hideOtherUsers: true }]) assert.equal(f(p), true, JSON.stringify(p));
    // whenever it says no, applyFilter keeps every channel of the kinds not hidden
    const kept = applyFilter({ channels, processes }, { ...EMPTY_FILTER, hiddenKinds: ['pipe'] });
    assert.deepEqual(kept.channels.map((c) => c.id), channels.filter((c) => c.kind !== 'pipe').map((c) => c.id));
  });

  it('a filter text opens the rows holding its matches, under ids of its own', () => {
    assert.equal(opensMatches({ ...EMPTY_FILTER, text: 'nginx' }), true);
    assert.equal(opensMatches({ ...EMPTY_FILTER, text: ' ', workspaceOnly: true, scopePid: 1 }), false);
    const id = openedItemId('group:pipes', 3);
    assert.notEqual(id, 'group:pipes');
    assert.notEqual(id, openedItemId('group:pipes', 4), 'a new text opens them anew');
    assert.equal(isOpenedItemId(id), true);
    for (const own of ['group:pipes', 'proc:812/channels', 'ch:unix:99', 'ch:tcp:[::1]:80?x']) assert.equal(isOpenedItemId(own), false, own);
  });

  it('ppid cycles do not hang descendants()', () => {
    const cyc = [proc(5, 6, 'a'), proc(6, 5, 'b')];
    assert.deepEqual([...descendants(cyc, [5])].sort(), [5, 6]);
  });

  it('a key- or id-shaped filter lists no problem about no object by its title (another user names the files)', () => {
    const stale = (file: string) => ({ channels: [], pids: [], title: `Stale socket file /tmp/x/${file}: nothing is bound to it (connect gets ECONNREFUSED)` });
    const none = () => false;
    for (const [file, text] of [['0x49453175', '0x49453175'], ['0x49453175', '0x4945'], ['pipe:4901', 'pipe:4901'], ['pipe:4901', 'PIPE:4901']]) {
      assert.equal(problemVisible(stale(file), none, new Set(), text), false, text);
    }
    assert.equal(problemVisible(stale('app.sock'), none, new Set(), 'app'), true, 'a plain word still finds it');
    assert.equal(problemVisible({ ...stale('0x49453175'), channels: ['sysv-msg:3'] }, (id) => id === 'sysv-msg:3', new Set(), '0x49453175'), true, 'a problem about a shown object is listed');
  });

  it("an address query (`127.0.0.1:8080`, `*:22` as a dual-stack listener shows) names sockets by address, by prefix while typed; never a holder named so", () => {
    const named = [...processes, proc(4242, 1, '127.0.0.1:8080', { uid: 65534, user: 'nobody' })];
    const snap = { processes: named, channels: [...channels, { ...channels[0], id: 'pipe:5000', inode: 5000, endpoints: [{ pid: 4242, fd: 3, mode: 'r' as const }] }] };
    const idsOf = (text: string) => applyFilter(snap, f({ text })).channels.map((c) => c.id);
    assert.deepEqual(idsOf('127.0.0.1:8080'), ['tcp:1']);
    assert.deepEqual(idsOf('127.0.0.1:80'), ['tcp:1'], 'typed so far');
    assert.deepEqual(idsOf('127.0.0.1:9'), []);
    assert.deepEqual(idsOf('*:8080'), [], 'not a dual-stack listener');
    assert.deepEqual(idsOf('127.0.0'), ['tcp:1', 'pipe:5000'], 'a plain word still matches holders');
  });
});

// Issue 11 part B, in core and the views' pure parts: tree labels lead with meaning (a pipe is
// `writer → reader`, a SysV queue its key; the fill level in the description; the inode in the
// tooltip), channels sort full → busy → quiet → internal, and the Processes view's groupings
// (flat by name; by nearest parent that holds IPC, cycle-safe).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelRank, isInternal } from '../../src/core/channelOrder';
import { channelDescription, channelTooltipLines, channelTreeLabel } from '../../src/core/format';
import { channelFacts, localTime } from '../../src/core/columns';
import { KINDS } from '../../src/core/kinds';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { flatGrouping, groupingFor, parentGrouping } from '../../src/views/processGrouping';

const proc = (pid: number, comm: string, ppid = 1) => ({ pid, ppid, comm }) as ProcessInfo;
const procs = new Map<number, ProcessInfo>([[812, proc(812, 'nginx')], [813, proc(813, 'worker')]]);

const pipe = (inode: number, eps: Array<[number, 'r' | 'w']>, buffered = 0, capacity = 65536): Channel => ({
  id: `pipe:${inode}`, kind: 'pipe', inode, bufferedBytes: buffered, capacity, endpoints: eps.map(([pid, mode], fd) => ({ pid, fd, mode })),
});
const queue = (messages: number, bytes: number, key = 0x49500001): Channel =>
  ({ id: `sysv-msg:${98342}`, kind: 'sysv-msg', key, msqid: 98342, messages, bytes, maxBytes: 16384, lastSendPid: 812, lastRecvPid: 0, uid: 0, owner: 'root', mode: '0600', lastSendTime: '2026-11-30T17:02:11.000Z', lastRecvTime: null, endpoints: [] }) as Channel;

test('a pipe leads with writer → reader; its inode is in the tooltip, not the label', () => {
  const p = pipe(5854513, [[812, 'w'], [813, 'r']]);
  assert.equal(channelTreeLabel(p, procs), 'nginx[812] → worker[813]');
  assert.ok(channelTooltipLines(p, procs).some((l) => l.includes('5854513')));
  assert.equal(channelTreeLabel(pipe(7, [])), 'pipe:[7]', 'an unheld pipe still has a name');
});

test('a SysV queue leads with its key (private: its id); the fill level is its description', () => {
  assert.equal(channelTreeLabel(queue(16, 576)), 'key 0x49500001');
  assert.equal(channelTreeLabel(queue(16, 576, 0)), 'private msqid 98342');
  assert.equal(channelDescription(queue(16, 576)), '16 msg · 576 bytes / 16 KiB');
});

test('pid columns name their processes and times read in local time (registry columns)', () => {
  const facts = channelFacts(queue(1, 10), KINDS['sysv-msg'].columns as never);
  assert.deepEqual(facts.find((f) => f.id === 'lastSendPid')?.pids, [812]);
  assert.equal(facts.find((f) => f.id === 'lastRecvPid')?.pids?.length, 0, 'pid 0 (never) is no process');
  const sent = facts.find((f) => f.id === 'lastSendTime')!;
  assert.equal(sent.text, localTime('2026-11-30T17:02:11.000Z'));
  assert.doesNotMatch(sent.text, /T17:02:11\.000Z/, 'an ISO string is not what people read');
  assert.ok(facts.every((f) => !/^[a-z]+[A-Z]/.test(f.title)), 'a raw field name as a title');
});

test('full first, then busy (queued, or bytes/s from live activity), then quiet, internal last', () => {
  const full = pipe(1, [[812, 'w'], [813, 'r']], 65536, 65536);
  const busy = pipe(2, [[812, 'w'], [813, 'r']], 10);
  const quiet = pipe(3, [[812, 'w'], [813, 'r']]);
  const self = pipe(4, [[812, 'w'], [812, 'r']], 10);
  assert.equal(channelRank(full), 0);
  assert.equal(channelRank(busy), 1);
  assert.equal(channelRank(quiet), 2);
  assert.equal(channelRank(quiet, 4096), 1, 'traffic per second makes it busy');
  assert.equal(channelRank(quiet, 0), 2);
  assert.equal(channelRank(self), 3);
  assert.ok(isInternal(self) && !isInternal(busy) && !isInternal(pipe(5, [[812, 'w']])));
  assert.equal(channelRank(queue(3, 30)), 1);
  assert.equal(channelRank(queue(0, 0)), 2);
});

test('Processes: flat by name by default; grouped by the nearest parent that holds IPC; cycles are safe', () => {
  const all = new Map<number, ProcessInfo>([
    [1, proc(1, 'init', 0)],
    [10, proc(10, 'sh', 1)],
    [11, proc(11, 'zeta', 10)],
    [12, proc(12, 'Alpha', 11)],
    [13, proc(13, 'beta', 1)],
    [20, proc(20, 'loop', 21)],
    [21, proc(21, 'loop2', 20)],
  ]);
  const listed = [11, 12, 13, 20].map((p) => all.get(p)!);
  assert.equal(groupingFor(undefined), flatGrouping);
  assert.equal(groupingFor('nonsense'), flatGrouping);
  assert.equal(groupingFor('parent'), parentGrouping);
  const flat = flatGrouping.arrange({ listed, procs: all });
  assert.deepEqual(flat.roots, [12, 13, 20, 11], 'sorted by name (case-insensitive), then pid');
  assert.deepEqual(flat.children(11), []);
  const nested = parentGrouping.arrange({ listed, procs: all });
  assert.deepEqual(nested.roots, [13, 20, 11], 'sh (no IPC) is skipped: zeta is a root');
  assert.deepEqual(nested.children(11), [12]);
  // a thread with an fd table of its own (listed under its tid) goes under its process, not beside it
  const thread = { ...proc(14, 'worker', 10), threadOf: 11 };
  const withThread = parentGrouping.arrange({ listed: [...listed, thread], procs: new Map([...all, [14, thread]]) });
  assert.deepEqual(withThread.children(11), [12, 14]);
  assert.ok(!withThread.roots.includes(14));
});

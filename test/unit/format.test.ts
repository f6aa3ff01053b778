// The labels and texts core/format.ts makes for views and the CLI: hostile names made printable and
// unable to pose as a label's own parts, per-kind titles and columns, command lines cut to a bound.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { columnValue } from '../../src/core/columns';
import { KINDS } from '../../src/core/kinds';
import { byteCount, formatRate, formatSample, peekRangeText } from '../../src/core/text';
import { formatOps } from '../../src/core/activity/format';
import { rateText } from '../../src/core/topology/graph';
import { problemsHelp, problemsText } from '../../src/core/topology/problemCounts';
import { ringText } from '../../src/core/kinds/packet';
import { channelDescription, channelLabel, channelTooltipLines, commLabel, endpointLabel, escapeControl, formatBytes, kindTeaching, kindTitle, kindTitleInSentence, kindTitlePlural, processLabel, shownCommand } from '../../src/core/format';
import { CHANNEL_KINDS, type Channel, type ProcessInfo } from '../../src/core/model';

test('escapeControl makes hostile names printable and keeps markup as text', () => {
  assert.equal(escapeControl('plain name'), 'plain name');
  assert.equal(escapeControl('a\nb'), 'a\\nb');
  assert.equal(escapeControl('a\0b'), 'a\\x00b');
  assert.equal(escapeControl('\t\r\x1b[31m'), '\\t\\r\\x1b[31m');
  assert.equal(escapeControl('\x7f\x85'), '\\x7f\\x85');
  assert.equal(escapeControl('abc\u202Eexe.txt'), 'abc\\u202eexe.txt');
  assert.equal(escapeControl('x\u2028y'), 'x\\u2028y');
  assert.equal(escapeControl('<script>alert(1)</script>'), '<script>alert(1)</script>');
  assert.equal(escapeControl('emoji 😀 ünïcode'), 'emoji 😀 ünïcode');
  assert.equal(escapeControl('lone \ud800 x'), 'lone \\ud800 x');
  for (const s of ['a\nb', '\0', '\x1b', 'x\u2029']) assert.ok(!/[\x00-\x1f\x7f\u2028\u2029]/.test(escapeControl(s)));
});

const procs = new Map<number, ProcessInfo>([[812, { pid: 812, comm: 'nginx\n<b>' } as ProcessInfo], [813, { pid: 813, comm: 'worker' } as ProcessInfo]]);

test('endpoint and channel labels', () => {
  assert.equal(endpointLabel({ pid: 812, fd: 5, mode: 'w' }, procs.get(812)), 'nginx\\n<b>[812] fd 5 (w)');
  assert.equal(endpointLabel({ pid: 9, map: '7f00-7f10', mode: 'rw' }), '[9] map 7f00-7f10 (rw)');
  assert.equal(endpointLabel({ pid: 9, map: '7f00-7f10', mapOffset: 8192, mode: 'r' }), '[9] map 7f00-7f10 from byte 8192 (r)', 'a window further into the object says where it starts');
  const p: Channel = { id: 'pipe:4901', kind: 'pipe', inode: 4901, bufferedBytes: 12, capacity: 65536, endpoints: [{ pid: 812, fd: 5, mode: 'w' }, { pid: 813, fd: 0, mode: 'r' }] };
  assert.equal(channelLabel(p, procs), 'pipe:[4901]  nginx\\n<b>[812] → worker[813]');
  assert.equal(channelDescription(p), '12 bytes buffered / 64 KiB');
  const lines = channelTooltipLines(p, procs);
  assert.ok(lines[0].startsWith('Pipe'));
  assert.ok(lines.some((l) => l.includes('half-duplex')));
  assert.ok(lines.every((l) => !l.includes('\n')));
  const u: Channel = { id: 'unix:5', kind: 'unix', inode: 5, type: 'stream', path: '/run/a\nb', state: 'listen', recvQueue: 0, sendQueue: 128, netns: '1', endpoints: [] };
  assert.equal(channelLabel(u), '/run/a\\nb');
  assert.ok(channelTooltipLines(u).includes('no process holds it open'));
});

test('a process name cannot pose as a label\'s own parts: one holding brackets, an arrow, a comma, a quote or edge spaces is quoted', () => {
  const pr = (comm: string) => ({ ...procs.get(813)!, comm });
  // prctl(PR_SET_NAME, "x[1] → cron") holding a pipe's write end: read raw, a flow through cron
  const p: Channel = { id: 'pipe:7', kind: 'pipe', inode: 7, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: 666, fd: 1, mode: 'w' }, { pid: 9, fd: 0, mode: 'r' }] };
  const both = new Map([[666, { ...pr('x[1] → cron'), pid: 666 }], [9, { ...pr('reader'), pid: 9 }]]);
  assert.equal(channelLabel(p, both), 'pipe:[7]  "x[1] → cron"[666] → reader[9]');
  assert.equal(commLabel('a, b[2]', 3), '"a, b[2]"[3]');
  assert.equal(commLabel('say "hi"', 3), '"say \\"hi\\""[3]');
  assert.equal(commLabel(' lead', 3), '" lead"[3]');
  assert.equal(commLabel('', 3), '""[3]');
  // `->` is the CLI's arrow where the locale is not UTF-8 (cli/locale.ts): `cron -> reader[9]` is no hop
  assert.equal(commLabel('cron -> reader', 3), '"cron -> reader"[3]');
  for (const plain of ['nginx', 'kworker/0:1', '(sd-pam)', 'php-fpm: pool www', 'Web Content']) assert.equal(processLabel(5, pr(plain)), `${plain}[5]`);
});

test('kind titles/teaching and columns cover every kind', () => {
  for (const k of CHANNEL_KINDS) {
    assert.ok(kindTitle(k).length > 0);
    assert.ok(kindTeaching(k).length > 20);
    assert.ok(KINDS[k].columns.length > 0, k);
    for (const c of KINDS[k].columns) assert.ok(c.help && c.label && c.title && c.type, `${k}.${c.id}`);
  }
  assert.ok(kindTeaching('sysv-shm').includes('no built-in synchronisation'));
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(null), '?');
  assert.equal(columnValue({ id: 'pipe:1', kind: 'pipe', inode: 1, endpoints: [], bufferedBytes: null, capacity: null } as Channel, 'inode'), 1);
});

test('one way to write a size: whole bytes, digits grouped, below a KiB (as lsof and ss count them); KiB, MiB above', () => {
  assert.equal(formatBytes(0), '0 bytes');
  assert.equal(formatBytes(1), '1 byte');
  assert.equal(formatBytes(16), '16 bytes');
  assert.equal(formatBytes(1023), '1,023 bytes');
  assert.equal(formatBytes(1024), '1 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(10_189), '10 KiB', 'a value that rounds to 10 is whole, not "10.0 KiB"');
  assert.equal(formatBytes(65_536), '64 KiB');
  assert.equal(formatBytes(1_048_575), '1 MiB', 'one byte short of a MiB is not "1024 KiB"');
  assert.equal(formatBytes(5 * 1024 ** 4 * 1500), '7,500 TiB');
  assert.equal(formatBytes(null), '?');
  assert.equal(formatBytes(-1), '?');
  assert.equal(formatBytes(Number.NaN), '?');
  // the byteCount beside a column's exact count and formatBytes agree below a KiB
  for (const n of [0, 1, 16, 999, 1023]) assert.equal(formatBytes(n), byteCount(n));
});

test('a rate is a size a second, never a fraction of a byte: "< 1 byte/s" for a trickle; operations likewise', () => {
  assert.equal(formatRate(0), '0 bytes/s');
  assert.equal(formatRate(-3), '0 bytes/s');
  assert.equal(formatRate(Number.NaN), '0 bytes/s');
  assert.equal(formatRate(0.726), '< 1 byte/s');
  assert.equal(formatRate(1), '1 byte/s');
  assert.equal(formatRate(32.8), '33 bytes/s');
  assert.equal(formatRate(1023.4), '1,023 bytes/s');
  assert.equal(formatRate(1234), '1.2 KiB/s');
  assert.equal(formatRate(12_345), '12 KiB/s');
  assert.equal(formatRate(5_500_000.25), '5.2 MiB/s');
  assert.equal(formatOps(0.3), '< 1 op/s');
  assert.equal(formatOps(1.2), '1 op/s');
  assert.equal(formatOps(2.5), '3 ops/s');
  assert.equal(formatOps(999.7), '1.0k ops/s');
  assert.equal(formatOps(12_345), '12k ops/s');
  // the map's links say a rate as the rest of the extension does
  assert.equal(rateText(0.726, 0), '< 1 byte/s');
  assert.equal(rateText(0, 0.3), '< 1 op/s');
  assert.equal(rateText(2048, 5), '2 KiB/s');
});

test('a peek\'s range line counts in bytes throughout, the human size beside the page and the capacity (never "4 KiB at offset 0 of 4096")', () => {
  assert.equal(byteCount(0), '0 bytes');
  assert.equal(byteCount(1), '1 byte');
  assert.equal(byteCount(1023), '1,023 bytes');
  assert.equal(byteCount(4096), '4,096 bytes (4 KiB)');
  assert.equal(byteCount(1536), '1,536 bytes (1.5 KiB)');
  assert.equal(peekRangeText({ length: 4096, offset: 0, total: 4096 }), '4,096 bytes (4 KiB) at offset 0 of 4,096');
  assert.equal(peekRangeText({ length: 5, offset: 0, total: 5, capacity: null }), '5 bytes at offset 0 of 5');
  assert.equal(
    peekRangeText({ length: 65536, offset: 131072, total: 262144, capacity: 262144 }),
    '65,536 bytes (64 KiB) at offset 131,072 of 262,144, capacity 262,144 bytes (256 KiB)',
  );
  assert.equal(peekRangeText({ length: 0, offset: 10, total: null }), '0 bytes at offset 10');
  // one unit system: no size in KiB/MiB without its count of bytes before it
  for (const t of [peekRangeText({ length: 4096, offset: 0, total: 4096, capacity: 65536 }), peekRangeText({ length: 2 ** 20, offset: 2 ** 20, total: 2 ** 22 })]) {
    assert.doesNotMatch(t.replace(/[\d,]+ bytes \([\d.]+ [KMGT]iB\)/g, ''), /[KMGT]iB| B\b/, t);
  }
});

test('a TCP listener\'s queues are connections (waiting of its backlog), never bytes; kinds read right in the plural', () => {
  const listener = { id: 'tcp:1', kind: 'tcp', endpoints: [], family: 4, local: '127.0.0.1:80', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 4096, inode: 1, netns: 'n', uid: 0 } as unknown as Channel;
  assert.equal(channelDescription(listener), 'LISTEN');
  assert.equal(channelDescription({ ...listener, recvQueue: 3 } as Channel), 'LISTEN, 3 connections waiting of 4096');
  const open = { ...listener, state: 'ESTAB', remote: '127.0.0.1:5000', recvQueue: 2048, sendQueue: 0 } as Channel;
  assert.equal(channelDescription(open), 'ESTAB, rx 2 KiB');
  for (const k of CHANNEL_KINDS) {
    const p = kindTitlePlural(k);
    assert.ok(!/[)y]s$|memorys|\(/.test(p), `${k}: ${p}`);
  }
  assert.equal(kindTitlePlural('fifo'), 'FIFOs');
  assert.equal(kindTitlePlural('anon-shm'), 'Shared anonymous memory regions');
});

test('shownCommand: at most CAPS.command code points as shown, then how much was left out; whole when asked (matching)', () => {
  const p = { cmdline: ['perl', ...Array.from({ length: 500 }, () => 'argument')] };
  const whole = ['perl', ...p.cmdline.slice(1)].join(' ');
  const shown = shownCommand(p);
  assert.ok(shown.startsWith(whole.slice(0, 999) + '…'), shown.slice(0, 80));
  assert.equal(shown.slice(1000), ` (${whole.length - 999} more characters)`);
  assert.equal(shownCommand(p, Infinity), whole);
  assert.equal(shownCommand({ cmdline: ['a'.repeat(1000)] }), 'a'.repeat(1000));
});

test('shownCommand: setproctitle\'s NUL padding is no run of spaces, and an argv of NULs only is empty (callers show the comm or -)', () => {
  assert.equal(shownCommand({ cmdline: ['postgres: checkpointer', '', '', ''] }), 'postgres: checkpointer');
  assert.equal(shownCommand({ cmdline: Array<string>(43).fill('') }), '');
  assert.equal(shownCommand({ cmdline: [] }), '');
  assert.equal(shownCommand({ cmdline: ['sh', '', '-c', 'x'] }), 'sh  -c x', 'an empty argument between others is kept');
  assert.equal(shownCommand({ cmdline: ['a\ufffd', ''], cmdlineBytes: ['61ff', null] }), 'a\\xff', 'bytes that are not UTF-8 as shownCmdline shows them');
});

test('the inspector chart legend: sizes, rates and counts, never a float with every digit', () => {
  assert.equal(formatSample('bytes/s', 32.801418439716315), '33 bytes/s');
  assert.equal(formatSample('bytes/s', 0.726), '< 1 byte/s');
  assert.equal(formatSample('bytes/s', 5_500_000.25), '5.2 MiB/s');
  assert.equal(formatSample('bytes', 4096), '4 KiB');
  assert.equal(formatSample('messages', 48), '48');
  assert.equal(formatSample('messages', 12_345), '12,345');
  assert.equal(formatSample('ops/s', 1.6666666666666667), '1.67');
  assert.equal(formatSample('ops/s', 1234.5678), '1,230');
});

test("a kind's title inside a sentence keeps its acronyms and names as every view spells them", () => {
  assert.equal(kindTitleInSentence('sysv-shm'), 'SysV shared memory');
  assert.equal(kindTitleInSentence('posix-mq'), 'POSIX message queue');
  assert.equal(kindTitleInSentence('tcp'), 'TCP socket');
  assert.equal(kindTitleInSentence('unix'), 'Unix socket');
  assert.equal(kindTitleInSentence('fifo'), 'FIFO (named pipe)');
  assert.equal(kindTitleInSentence('pipe'), 'pipe');
  assert.equal(kindTitleInSentence('pty'), 'pseudo-terminal');
  assert.equal(kindTitleInSentence('anon-shm'), 'shared anonymous memory');
  assert.equal(kindTitleInSentence('eventfd'), 'eventfd');
  for (const k of CHANNEL_KINDS) assert.equal(kindTitleInSentence(k).toLowerCase(), kindTitle(k).toLowerCase());
});

test('counts in prose read as plural() writes them, digits grouped: the map\'s problems, a packet ring\'s blocks', () => {
  assert.equal(problemsText({ problems: { error: 1200, warning: 34, info: 1001 }, notDrawn: 2235 }), '2,235 problems (1,200 errors, 34 warnings, 1,001 info), none on the map');
  assert.equal(problemsText({ problems: { error: 1, warning: 0, info: 0 }, notDrawn: 0 }), '1 problem (1 error)');
  assert.match(problemsHelp({ problems: { error: 0, warning: 1500, info: 0 }, notDrawn: 1200 }), /\n1,200 of them are about nothing drawn here/);
  assert.equal(ringText({ version: 'TPACKET_V3', blockSize: 4096, blocks: 1024, frameSize: 2048, frames: 2048 }), 'TPACKET_V3 ring, 4 MiB (1,024 × 4 KiB blocks)');
  assert.equal(ringText({ version: 'TPACKET_V2', blockSize: 4096, blocks: 1, frameSize: 2048, frames: 2 }), 'TPACKET_V2 ring, 4 KiB (1 × 4 KiB block)');
});

test('no source pluralises a count inline (`n === 1 ? \'\' : \'s\'`, `file(s)`): plural() groups the digits and spells the noun once', () => {
  let root = __dirname;
  while (!fs.existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
  const found: string[] = [];
  let read = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && p !== path.join(root, 'src', 'core', 'text.ts')) {
        read++;
        fs.readFileSync(p, 'utf8').split('\n').forEach((l, i) => {
          // a noun glued to a suffix chosen by a count, or a `(s)` after a word in a string
          if (/[=!]== 1 \? '' : '(?:s|es)'|!== 1 \? '(?:s|es)' : ''|\w\((?:s|es)\)(?: [a-z]|['`])/.test(l) && !/^\s*(?:\/\/|\*|\/\*)/.test(l)) found.push(`${path.relative(root, p)}:${i + 1}: ${l.trim().slice(0, 120)}`);
        });
      }
    }
  };
  walk(path.join(root, 'src'));
  walk(path.join(root, 'webview'));
  assert.ok(read > 100, `${read} sources read`);
  assert.deepEqual(found, []);
});

// Maps lines read by offsets (MapsCursor, filterMaps, mapHoldersOf) against the plain line-by-line
// parsing they replaced, kept here as the oracle: split on runs of spaces, a regex on the range,
// Number() on the inode. Random lines mix what the kernel prints with what other users can put
// in a path (spaces, ` (deleted)` inside names, rule texts in the middle, empty lines).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterMaps, MapsCursor, parseMapsText, type MapsLine } from '../../src/core/parsers/procPid';
import { mapHoldersOf, mapsDevName } from '../../src/core/probes/maps';
import { walkRulesFor } from '../../src/core/kinds';
import { CHANNEL_KINDS } from '../../src/core/model';
import type { MapsRule } from '../../src/core/kinds/kind';

function oracleLine(line: string): MapsLine | null {
  let i = 0;
  const fields: string[] = [];
  const n = line.length;
  while (fields.length < 5 && i < n) {
    while (i < n && line[i] === ' ') i++;
    const s = i;
    while (i < n && line[i] !== ' ') i++;
    if (i > s) fields.push(line.slice(s, i));
  }
  if (fields.length < 5) return null;
  while (i < n && line[i] === ' ') i++;
  let path = line.slice(i);
  if (!path) return null;
  if (!/^[0-9a-f]+-[0-9a-f]+$/i.test(fields[0])) return null;
  const inode = Number(fields[4]);
  if (!Number.isFinite(inode)) return null;
  let deleted = false;
  if (path.endsWith(' (deleted)') && path.length > ' (deleted)'.length) {
    deleted = true;
    path = path.slice(0, -' (deleted)'.length);
  }
  return { range: fields[0], perms: fields[1], dev: fields[3], inode, path, deleted };
}

/** The offset column of a line oracleLine takes (hex, as mmap's offset; NaN when not hex). */
function oracleOffset(line: string): number {
  const f = line.split(' ').filter((x) => x !== '')[2];
  return /^[0-9a-f]+$/i.test(f) ? parseInt(f, 16) : NaN;
}

/** The path field as written (after five fields and the padding), '' when the line has none. */
function rawPath(line: string): string {
  const m = /^ *(?:[^ ]+ +){4}[^ ]+ +(.*)$/.exec(line);
  return m ? m[1] : '';
}

function oracleFilter(text: string, rules: readonly MapsRule[]): string[] {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const counted = rules.map(() => 0);
  return lines.filter((line) => {
    const sp = line.indexOf(' ');
    const shared = sp >= 0 && line.charCodeAt(sp + 4) === 115;
    return rules.some((r, i) => {
      if (r.shared && !shared) return false;
      if (r.except === undefined && r.max === undefined) return line.includes(r.text);
      // a path-start rule: the path field starts with the text's path, with none of the excepts', and within the bound
      const path = ' ' + rawPath(line);
      if (!path.startsWith(r.text) || (r.except ?? []).some((e) => path.startsWith(e))) return false;
      return counted[i]++ < (r.max ?? Infinity);
    });
  });
}

/** Deterministic pseudo-random numbers (a failure names its seed). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const PATHS = [
  '/SYSV0001e240', '/SYSV0001E24', '/SYSV00000000 (deleted)', '/dev/shm/q', '/dev/shm/my shm name', '/dev/shm/sem.AbCdEf (deleted)',
  '/dev/shm/x (deleted) (deleted)', '/dev/shm/ (deleted)', '/dev/zero (deleted)', '/anon_hugepage (deleted)', '/memfd:wayland (deleted)',
  '/memfd: (deleted)', '/ (deleted)', '/usr/lib/x.so', '/tmp/has /SYSV in it', '[heap]', '', ' ', '/dev/shm', '/dev/shmx/y', '(deleted)', ' (deleted)',
];

function randomLine(r: () => number): string {
  const hex = (digits: number) => Array.from({ length: digits }, () => '0123456789abcdefABCDEF'[Math.floor(r() * 22)]).join('');
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const range = pick([`${hex(12)}-${hex(12)}`, `${hex(16)}-${hex(16)}`, `7f00${hex(8)}-7f00${hex(8)}`, 'zz-yy', `${hex(4)}`, `${hex(3)}--${hex(3)}`, `-${hex(2)}`]);
  const perms = pick(['rw-s', 'r--s', 'rw-p', 'r--p', '---s', '-w-s']);
  const dev = pick(['00:1a', 'fe:00', '00:01', '103:2', 'zz']);
  const inode = pick(['0', '7', '32769', '123456789012', 'x1', '1e3', '0x10']);
  const sep = () => ' '.repeat(1 + Math.floor(r() * 3));
  const offset = pick(['00000000', '00000000', '00002000', '7fff0000', '1000000000000', 'zz']);
  const fields = [range, perms, offset, dev, inode];
  const cut = r() < 0.05 ? Math.floor(r() * 5) : 5;
  return fields.slice(0, cut).join(sep()) + (cut === 5 ? ' '.repeat(Math.floor(r() * 20)) + pick(PATHS) : '');
}

function randomText(r: () => number): string {
  const n = Math.floor(r() * 12);
  const lines = Array.from({ length: n }, () => (r() < 0.05 ? '' : randomLine(r)));
  return lines.join('\n') + (r() < 0.5 ? '\n' : '');
}

test('MapsCursor reads every line as the line-by-line parse does (random lines, hostile paths)', () => {
  for (let seed = 1; seed <= 3000; seed++) {
    const text = randomText(rng(seed));
    const kept = text.split('\n').filter((l) => oracleLine(l) !== null);
    const want = kept.map((l) => oracleLine(l)!);
    assert.deepEqual(parseMapsText(text), want, `seed ${seed}: ${JSON.stringify(text)}`);
    const c = new MapsCursor(text);
    for (const [i, w] of want.entries()) {
      assert.ok(c.next(), `seed ${seed}`);
      assert.equal(c.offset(), oracleOffset(kept[i]), `seed ${seed}: the offset column of ${JSON.stringify(kept[i])}`);
      assert.equal(c.shared(), w.perms[3] === 's');
      assert.equal(c.mode(), w.perms[0] === 'r' && w.perms[1] === 'w' ? 'rw' : w.perms[1] === 'w' ? 'w' : 'r');
      const [lo, hi] = w.range.split('-').map((x) => parseInt(x, 16));
      assert.equal(c.length(), hi - lo, `seed ${seed}: ${w.range}`);
      const sysv = /^\/SYSV([0-9a-fA-F]{8})$/.exec(w.path);
      assert.equal(c.sysvKey(), sysv ? parseInt(sysv[1], 16) : null);
      assert.equal(c.pathStartsWith('/dev/shm/'), w.path.startsWith('/dev/shm/'));
      if (/^[0-9a-f]+:[0-9a-f]+$/i.test(w.dev)) {
        const dn = c.devNumber();
        assert.equal(`${Math.floor(dn / 1048576)}:${dn % 1048576}`, mapsDevName(w.dev));
      } else assert.equal(c.devNumber(), -1);
    }
    assert.equal(c.next(), false, `seed ${seed}`);
  }
});

test('filterMaps keeps what the line-by-line filter keeps, and returns text whose every line is kept as it is', () => {
  const all = walkRulesFor(CHANNEL_KINDS).mapsRules;
  const ruleSets: MapsRule[][] = [
    all,
    [],
    [{ text: ' /SYSV' }],
    [{ text: ' /dev/zero', shared: true }, { text: ' /dev/shm/' }],
    [{ text: ' /dev/shm/' }, { text: ' /', shared: true, except: [' /dev/', ' /SYSV'], max: 2 }],
  ];
  for (let seed = 1; seed <= 3000; seed++) {
    const text = randomText(rng(seed));
    for (const rules of ruleSets) {
      const got = filterMaps(text, rules);
      const want = oracleFilter(text, rules);
      assert.deepEqual(got === '' ? [] : got.replace(/\n$/, '').split('\n'), want, `seed ${seed}: ${JSON.stringify(text)}`);
      if (want.length > 0 && want.join('\n') === text.replace(/\n$/, '')) assert.equal(got, text, 'kept whole: the same text');
    }
  }
  // a rule text that occurs only far later: one scan, not one per line (and still correct)
  const many = Array.from({ length: 20000 }, (_, i) => `7f${i.toString(16).padStart(10, '0')}-7f${(i + 1).toString(16).padStart(10, '0')} rw-p 00000000 00:00 0  /usr/lib/l${i}.so`);
  many.push('7f0000000000-7f0000001000 rw-s 00000000 00:01 9 /SYSV0000abcd');
  assert.equal(filterMaps(many.join('\n'), all), many[many.length - 1]);
});

test('mapHoldersOf: SysV attachers by shmid and key, /dev/shm holders by name and by dev:inode', () => {
  const h = mapHoldersOf([
    { pid: 10, maps: '7f0000000000-7f0000010000 rw-s 00000000 00:01 32769  /SYSV0001e240 (deleted)\n7f0000020000-7f0000021000 r--s 00000000 00:1a 7 /dev/shm/sem.Tmp123 (deleted)\n' },
    { pid: 11, maps: '7f1000000000-7f1000004000 r--s 00000000 00:01 32769 /SYSV0001e240\n7f1000010000-7f1000012000 rw-s 00000000 00:1a 7 /dev/shm/sem.real\n7f1000020000-7f1000021000 rw-s 00000000 103:2 7 /dev/shm/sem.real' },
    // the segment's first page unmapped: what is left shows it from byte 4096 on
    { pid: 12, maps: '7f2000001000-7f2000010000 rw-s 00001000 00:01 32769 /SYSV0001e240' },
  ]);
  assert.deepEqual(h.sysvByInode.get(32769), [
    { pid: 10, map: '7f0000000000-7f0000010000', mode: 'rw' },
    { pid: 11, map: '7f1000000000-7f1000004000', mode: 'r' },
    { pid: 12, map: '7f2000001000-7f2000010000', mapOffset: 0x1000, mode: 'rw' },
  ], 'the object\'s offset at the mapping\'s start, only when not 0');
  assert.deepEqual(h.sysvByKey.get(0x1e240)?.map((e) => e.pid), [10, 11, 12]);
  assert.deepEqual(h.devShm.get('sem.real')?.map((e) => e.pid), [11, 11]);
  assert.deepEqual(h.devShm.get('sem.Tmp123')?.map((e) => e.pid), [10]);
  // one object per device and inode: the creator's temp name and the real name are one semaphore
  assert.deepEqual([...h.devShmByKey.keys()].sort(), ['0:26:7', '259:2:7']);
  const d = h.devShmByKey.get('0:26:7')!;
  assert.equal(d.name, 'sem.Tmp123');
  assert.equal(d.deleted, true);
  assert.equal(d.size, 0x2000);
  // a window further in reaches further than its length
  const w = mapHoldersOf([{ pid: 13, maps: '7f3000000000-7f3000001000 r--s 00005000 00:1a 8 /dev/shm/w (deleted)' }]).devShmByKey.get('0:26:8')!;
  assert.equal(w.size, 0x6000);
  assert.deepEqual(d.endpoints.map((e) => [e.pid, e.mode]), [[10, 'r'], [11, 'rw']]);
});

test('shared mappings: one endpoint per mapping, with the window of the object it shows (mapOffset)', () => {
  const [g] = mapHoldersOf([
    { pid: 20, maps: '7f0000000000-7f0000002000 rw-s 00000000 00:05 9 /memfd:pool (deleted)' },
    // a window of the same memfd from its third page (mmap offset 8192), and a private mapping of it
    { pid: 21, maps: '7f1000000000-7f1000001000 r--s 00002000 00:05 9 /memfd:pool (deleted)\n7f1000008000-7f1000009000 r--p 00000000 00:05 9 /memfd:pool (deleted)' },
  ]).anonShm;
  assert.deepEqual(g.endpoints, [{ pid: 20, map: '7f0000000000-7f0000002000', mode: 'rw' }, { pid: 21, map: '7f1000000000-7f1000001000', mapOffset: 0x2000, mode: 'r' }]);
  assert.equal(g.size, 0x3000, 'how far the mappings reach into it (8192 + 4096), not the largest mapping (8192)');
});


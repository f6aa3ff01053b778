// lookupNoFollow (native/src/pathlookup.cc), as SafeLstat uses it: lstat's answers for plain
// paths, root's symlinks followed and no one else's, no step into a mount the caller did not call
// local (procfs here), and bounds on depth. The race it closes is the integration test's
// (test/integration/pathLookup.test.ts: a directory swapped for a symlink into a hung FUSE mount).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadNative } from '../../src/core/native';
import { MAX_PATH_COMPONENTS, readMountTable, SafeLstat } from '../../src/core/diagnose/paths';
import { devName } from '../../src/core/probes/context';
import { foreignPaths, MAX_LOOKUPS, MAX_LOOKUPS_PER_USER } from '../../src/core/probes/mountNamespaces';
import type { ProcessInfo } from '../../src/core/model';

const lookup = loadNative().addon?.lookupNoFollow;

describe('lookupNoFollow', { skip: lookup ? false : 'native addon not built' }, () => {
  let dir = '';
  let local: number[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-lookup-'));
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'd', 'f'), 'x');
    fs.symlinkSync(path.join(dir, 'd'), path.join(dir, 'link'));
    const ids = readMountTable().ids!;
    local = [...ids].filter(([, t]) => t !== 'proc' && t !== 'fuse' && !t.startsWith('fuse.')).map(([id]) => id);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const found = (p: string) => {
    const r = lookup!(p, local, MAX_PATH_COMPONENTS);
    assert.ok('found' in r, `${p}: ${JSON.stringify(r)}`);
    return r.found;
  };

  test('what lstat says of a file, a directory, `..` and `.` on the way', () => {
    const st = fs.lstatSync(path.join(dir, 'd', 'f'));
    for (const p of [path.join(dir, 'd', 'f'), `${dir}//d/./f`, `${dir}/d/../d/f`]) assert.equal(found(p).ino, st.ino, p);
    assert.ok((found(`${dir}/d/`).mode & 0o170000) === 0o040000);
    assert.deepEqual(lookup!(`${dir}/d/f/`, local, MAX_PATH_COMPONENTS), { missing: true }, 'a file with a trailing slash names nothing');
    assert.deepEqual(lookup!(`${dir}/d/nothing/f`, local, MAX_PATH_COMPONENTS), { missing: true });
    assert.deepEqual(lookup!(`${dir}/d/f/g`, local, MAX_PATH_COMPONENTS), { missing: true });
  });

  test("a symlink last is the symlink; on the way, root's is followed and another user's is not", { skip: process.geteuid?.() !== 0 ? 'needs root (lchown)' : false }, () => {
    fs.lchownSync(path.join(dir, 'link'), 0, 0);
    assert.equal(found(`${dir}/link`).ino, fs.lstatSync(`${dir}/link`).ino, 'the symlink itself');
    assert.equal(found(`${dir}/link/f`).ino, fs.lstatSync(`${dir}/d/f`).ino, "root's, followed");
    fs.lchownSync(path.join(dir, 'link'), 65534, 65534);
    assert.deepEqual(lookup!(`${dir}/link/f`, local, MAX_PATH_COMPONENTS), { skipped: 'symlink', uid: 65534 });
  });

  test('a mount not called local is not entered; depth and odd input are refused, not thrown', () => {
    const r = lookup!('/proc/self/status', local, MAX_PATH_COMPONENTS);
    assert.ok('skipped' in r && r.skipped === 'mount', JSON.stringify(r));
    assert.deepEqual(lookup!('/' + 'a/'.repeat(MAX_PATH_COMPONENTS + 1), local, MAX_PATH_COMPONENTS), { skipped: 'deep' });
    for (const p of ['', 'relative', 'a/b']) assert.deepEqual(lookup!(p, local, MAX_PATH_COMPONENTS), { skipped: 'not an absolute path' });
    assert.deepEqual(lookup!(`${dir}/${'x'.repeat(300)}`, local, MAX_PATH_COMPONENTS), { skipped: 'ENAMETOOLONG' });
  });

  test('the local mount ids as SafeLstat passes them (a Float64Array, ascending) answer as the array does; unsorted ones are refused', () => {
    const typed = Float64Array.from(local).sort();
    for (const p of [path.join(dir, 'd', 'f'), '/proc/self/status', `${dir}/d/nothing`]) assert.deepEqual(lookup!(p, typed, MAX_PATH_COMPONENTS), lookup!(p, [...local].reverse(), MAX_PATH_COMPONENTS), p);
    if (typed.length > 1) assert.throws(() => lookup!(dir, typed.slice().reverse(), MAX_PATH_COMPONENTS), /EINVAL/);
  });

  test('SafeLstat on our own mount table answers through it, with the reasons spelled out', () => {
    const safe = new SafeLstat(readMountTable());
    assert.equal(safe.lstat(path.join(dir, 'd', 'f')).stat?.ino, fs.lstatSync(path.join(dir, 'd', 'f')).ino);
    assert.equal(safe.lstat(path.join(dir, 'd', 'f')).stat?.dev, fs.lstatSync(path.join(dir, 'd', 'f')).dev, 'the device number as fs.lstat gives it');
    assert.ok(safe.lstat(path.join(dir, 'd', 'f')).stat?.isFile());
    assert.match(safe.lstat('/proc/self/status').skipped ?? '', /^on a proc file system/);
    assert.equal(safe.dirMtime(path.join(dir, 'd')), fs.lstatSync(path.join(dir, 'd')).mtimeMs);
    const d = safe.openDir(path.join(dir, 'd'));
    try {
      assert.equal(d.readSync()?.name, 'f');
    } finally {
      d.closeSync();
    }
  });
});

test("a snapshot looks up at most MAX_LOOKUPS_PER_USER paths of one user's processes in other mount namespaces and MAX_LOOKUPS in all, however many probes ask", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-marks-')), 'f');
  fs.writeFileSync(file, 'x');
  try {
    const st = fs.lstatSync(file);
    const object = { dev: devName(st.dev), inode: st.ino };
    // pids 1000+ in a mount namespace that is not ours (no process's is inode 1): nobody's first,
    // then root's (a PrivateTmp= service), then one process each of many other users
    const users = MAX_LOOKUPS / MAX_LOOKUPS_PER_USER + 2;
    const processes = new Map<number, ProcessInfo>();
    for (let u = 0; u < users; u++) processes.set(1000 + u, { pid: 1000 + u, uid: u === 0 ? 65534 : u - 1, mntns: '1' } as ProcessInfo);
    const ctx = { procRoot: '/proc', processes };
    const marks = (pid: number, n: number) => Array.from({ length: n }, () => foreignPaths(ctx).mark(file, pid, object));
    const nobody = marks(1000, MAX_LOOKUPS_PER_USER + 10);
    assert.equal(foreignPaths(ctx).of(1000), '1');
    assert.deepEqual(nobody.slice(0, MAX_LOOKUPS_PER_USER), new Array(MAX_LOOKUPS_PER_USER).fill(undefined), 'looked up: it leads here to that file');
    assert.deepEqual(nobody.slice(MAX_LOOKUPS_PER_USER), new Array(10).fill('1'), "past the user's bound: marked without a lookup");
    assert.deepEqual(marks(1001, 3), [undefined, undefined, undefined], "nobody's paths did not use up root's lookups");
    // the other users take what is left of the total
    let looked = MAX_LOOKUPS_PER_USER + 3;
    for (let u = 2; u < users; u++) looked += marks(1000 + u, MAX_LOOKUPS_PER_USER).filter((m) => m === undefined).length;
    assert.equal(looked, MAX_LOOKUPS, 'the total bound holds across users');
    assert.equal(foreignPaths(ctx).mark(file, 1001, object), '1', 'past the total: marked');
    const next = { procRoot: '/proc', processes: new Map(ctx.processes) };
    assert.equal(foreignPaths(next).mark(file, 1000, object), undefined, 'the next snapshot has bounds of its own');
    assert.equal(foreignPaths(ctx).mark(file, 8, object), undefined, 'a process of ours (or unknown) is not marked');
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test("a relative name resolves through a holder's working directory only to the very file, within the same bounds", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-rel-')), 'f');
  fs.writeFileSync(file, 'x');
  try {
    const st = fs.lstatSync(file);
    const object = { dev: devName(st.dev), inode: st.ino };
    const me = process.pid;
    const ctx = { procRoot: '/proc', processes: new Map([[me, { pid: me, uid: 4242 } as ProcessInfo]]) };
    const rel = path.relative(process.cwd(), file);
    const f = foreignPaths(ctx);
    assert.equal(f.relative(rel, [me], object), file);
    assert.equal(f.relative(rel, [me], { ...object, inode: object.inode + 1 }), undefined, 'another file at that name: no path');
    assert.equal(f.relative(file, [me], object), undefined, 'an absolute name is not resolved');
    for (let i = 2; i < MAX_LOOKUPS_PER_USER; i++) f.relative(rel, [me], object);
    assert.equal(f.relative(rel, [me], object), undefined, "past the user's bound: not looked up");
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

describe('the mount table between refreshes', () => {
  test('parsed again only when the text changed: the same table while it is the same, the new mounts once it is not', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-mounts-'));
    try {
      fs.mkdirSync(path.join(root, 'self'));
      const line = (id: number, at: string, type: string) => `${id} 1 0:${id} / ${at} rw,relatime shared:1 - ${type} ${type} rw\n`;
      const write = (text: string) => fs.writeFileSync(path.join(root, 'self', 'mountinfo'), text);
      write(line(21, '/', 'ext4') + line(22, '/tmp', 'tmpfs'));
      const cache = { text: null, table: null };
      const a = readMountTable(root, cache);
      assert.deepEqual([...a.types], [['/', 'ext4'], ['/tmp', 'tmpfs']]);
      assert.equal(readMountTable(root, cache), a, 'the same text: the same table');
      write(line(21, '/', 'ext4') + line(22, '/tmp', 'tmpfs') + line(23, '/mnt', 'fuse.sshfs'));
      const b = readMountTable(root, cache);
      assert.notEqual(b, a);
      assert.equal(b.types.get('/mnt'), 'fuse.sshfs', 'a mount added since is seen');
      assert.deepEqual(readMountTable(root), b, 'as read without a cache');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

// A process's comm, its arguments and the paths of the FIFOs it holds are bytes it chooses, which
// need not be UTF-8. Decoded as text they get U+FFFD for their bad bytes, so `bad\xff\xfe` and
// `bad\xfe\xff` would read the same: the snapshot keeps the exact bytes beside the text
// (commBytes, cmdlineBytes, pathBytes, a held /dev/shm file's nameBytes, cwdBytes) and the CLI table shows them as `\xff\xfe`, on every walk.
// Real objects: a shell whose argv and comm have invalid bytes, holding a FIFO with such a path,
// another one unlinked, and an unlinked /dev/shm file (named by its fd alone).
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/invalidUtf8Names.test.js
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FifoChannel, PosixSemChannel, PosixShmChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { lineReader } from './childLines';
import { BIN, cliNotBuilt } from './cliRunner';
import { python, stopHelpers, type Helper } from './diagnoseUtil';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('names that are not UTF-8: comm, argv, FIFO paths', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-utf8-names-'));
  // the bytes (latin1: one char a byte); \xff\xfe is no UTF-8
  const comm = 'bad\xff\xfeutf8';
  const arg = 'arg\xff\xfe';
  const livePath = `${dir}/fifo-bad\xff\xfe`;
  const gonePath = `${dir}/fifo-gone\xfe\xff`;
  const shmName = `ipc-utf8-${process.pid}-\xff`;
  const cwd = `${dir}/cwd\xfe`;
  let child: ChildProcess;
  let pid = 0;

  before(async () => {
    // printf makes the bytes (node's spawn arguments are UTF-8 strings); the inner shell is exec'd
    // with the argument ($1), makes both FIFOs, unlinks one, holds an unlinked /dev/shm file, enters a directory, names
    // itself and waits on its stdin: no exec after the comm is set, so the holder keeps it
    const inner = [
      'live=$(printf "$2"); gone=$(printf "$3")',
      'mkfifo "$live" "$gone" && exec 3<>"$live" 4<>"$gone" && rm "$gone"',
      'shm=$(printf "$5") && exec 5<>"$shm" && rm "$shm"',
      'cwd=$(printf "$6") && mkdir "$cwd" && cd "$cwd"',
      'printf "$4" > /proc/$$/comm',
      'echo ready',
      'read _',
    ].join('\n');
    const oct = (s: string) => [...s].map((c) => (c.charCodeAt(0) < 0x80 && c !== '\\' && c !== '%' ? c : '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'))).join('');
    child = spawn('sh', ['-c', `exec sh -c '${inner}' inner "$(printf '${oct(arg)}')" "$@"`, 'outer', oct(livePath), oct(gonePath), oct(comm), oct(`/dev/shm/${shmName}`), oct(cwd)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    assert.equal(await lineReader(child).next('the holder'), 'ready');
    pid = child.pid!;
  });
  after(() => {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ways: Array<[string, string, string | false]> = [
    ['BPF fd walk', 'bpf-iter', loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', 'proc', loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk', 'proc-ts', false],
  ];
  const cli = (walk: string, args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, IPC_INSPECTOR_WALK: walk, LC_ALL: 'C.UTF-8' }, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  for (const [name, walk, skip] of ways) {
    it(`the JSON carries the exact bytes, the table shows them as \\xNN (${name})`, { skip: skip || cliNotBuilt }, () => {
      const snap = JSON.parse(cli(walk, ['snapshot', '--json', '--kind', 'fifo,posix-shm', '--pid', String(pid)])) as Snapshot;
      assert.equal(snap.capabilities.walk?.backend, walk, 'the walk asked for ran');
      const p = snap.processes.find((x) => x.pid === pid);
      assert.ok(p, 'the holder is listed');
      assert.equal(p.comm, 'bad\ufffd\ufffdutf8', 'comm: the text keeps U+FFFD');
      assert.equal(p.commBytes, hex(comm), 'commBytes: the exact bytes');
      assert.deepEqual([p.cwd, p.cwdBytes, p.exeBytes], [`${dir}/cwd\ufffd`, hex(cwd), undefined], 'cwd: text and bytes; exe is UTF-8');
      const at = p.cmdline.indexOf('arg\ufffd\ufffd');
      assert.ok(at > 0, `the argument is in the command line: ${JSON.stringify(p.cmdline)}`);
      assert.equal(p.cmdlineBytes?.length, p.cmdline.length, 'cmdlineBytes: parallel to cmdline');
      assert.deepEqual(
        p.cmdlineBytes,
        p.cmdline.map((_, i) => (i === at ? hex(arg) : null)),
        'only the argument that is not UTF-8 has its bytes',
      );
      const fifos = snap.channels.filter((c): c is FifoChannel => c.kind === 'fifo' && c.endpoints.some((e) => e.pid === pid));
      const live = fifos.find((c) => !c.deleted);
      const gone = fifos.find((c) => c.deleted);
      assert.ok(live && gone, `both FIFOs are listed: ${JSON.stringify(fifos.map((c) => c.path))}`);
      assert.equal(live.path, `${dir}/fifo-bad\ufffd\ufffd`);
      assert.equal(live.pathBytes, hex(livePath), 'pathBytes: the exact bytes');
      assert.equal(gone.path, `${dir}/fifo-gone\ufffd\ufffd`, 'the unlinked one, without " (deleted)"');
      assert.equal(gone.pathBytes, hex(gonePath), "its bytes, without ' (deleted)'s");
      const shm = snap.channels.find((c): c is PosixShmChannel => c.kind === 'posix-shm' && c.endpoints.some((e) => e.pid === pid));
      assert.ok(shm, 'the unlinked /dev/shm file is listed');
      assert.deepEqual([shm.deleted, shm.name, shm.nameBytes], [true, `ipc-utf8-${process.pid}-\ufffd`, hex(shmName)], 'its name from the fd: text and bytes');
      // processes and channels whose text is UTF-8 carry no bytes
      for (const q of snap.processes) if (q.pid !== pid) assert.ok(q.commBytes === undefined && q.cmdlineBytes === undefined && q.cwdBytes === undefined, `pid ${q.pid}: no bytes for UTF-8 text`);

      const table = cli(walk, ['snapshot', '--kind', 'fifo,posix-shm', '--pid', String(pid)]);
      assert.ok(table.includes(`${dir}/fifo-bad\\xff\\xfe `), `the live FIFO by its bytes:\n${table}`);
      assert.ok(table.includes(`${dir}/fifo-gone\\xfe\\xff `), `the unlinked FIFO by its bytes:\n${table}`);
      assert.ok(table.includes(`ipc-utf8-${process.pid}-\\xff`), `the /dev/shm file by its bytes:\n${table}`);
      assert.ok(table.includes(`bad\\xff\\xfeutf8[${pid}]`), `the holder by its bytes:\n${table}`);
      assert.ok(!table.includes('\ufffd'), `no U+FFFD in the table:\n${table}`);
    });
  }
});

describe('a semaphore named only by its mappings (unlinked while mapped) whose name is not UTF-8', () => {
  // two names that differ only in bytes that are not UTF-8: both read `ipc-sem-PID-\ufffd` as text
  const names = [`ipc-sem-${process.pid}-\xff`, `ipc-sem-${process.pid}-\xfe`];
  let holder: Helper;
  before(async () => {
    // sem_open's file (a glibc sem_t: 32 bytes), mapped shared, then unlinked and its fd closed: only the mappings name it
    // (as sem_open then sem_unlink leaves it: Apache's posixsem mutex, Python's multiprocessing locks)
    holder = await python(
      [
        'import ctypes,sys',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'libc.mmap.restype = ctypes.c_void_p',
        'libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]',
        'for n in sys.argv[1:]:',
        '    p = b"/dev/shm/sem." + bytes.fromhex(n)',
        '    fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)',
        '    os.write(fd, (1).to_bytes(4, "little") + bytes(28))',
        '    assert libc.mmap(None, 32, 3, 1, fd, 0) not in (None, 2**64 - 1)  # PROT_READ|PROT_WRITE, MAP_SHARED (mmap.mmap would keep a dup of the fd)',
        '    os.unlink(p)',
        '    os.close(fd)',
        'print("READY", flush=True)',
        'sys.stdin.read()',
      ].join('\n'),
      names.map(hex),
    );
  });
  after(stopHelpers);
  const cli = (walk: string, args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, IPC_INSPECTOR_WALK: walk, LC_ALL: 'C.UTF-8' }, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  for (const [name, walk, skip] of [
    ['BPF fd walk', 'bpf-iter', loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', 'proc', loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk', 'proc-ts', false],
  ] as const) {
    it(`keeps each name's bytes (nameBytes), the table shows them as \\xNN (${name})`, { skip: skip || cliNotBuilt }, () => {
      const snap = JSON.parse(cli(walk, ['snapshot', '--json', '--kind', 'posix-sem', '--pid', String(holder.pid)])) as Snapshot;
      assert.equal(snap.capabilities.walk?.backend, walk, 'the walk asked for ran');
      const sems = snap.channels.filter((c): c is PosixSemChannel => c.kind === 'posix-sem' && c.endpoints.some((e) => e.pid === holder.pid));
      assert.deepEqual(sems.map((c) => [c.deleted, c.name, c.nameBytes, c.value]).sort(), names.map((n) => [true, `ipc-sem-${process.pid}-\ufffd`, hex(n), 1]).sort(), JSON.stringify(sems));
      const table = cli(walk, ['snapshot', '--kind', 'posix-sem', '--pid', String(holder.pid)]);
      for (const n of ['\\xff', '\\xfe']) assert.ok(table.includes(`ipc-sem-${process.pid}-${n}`), `by its bytes:\n${table}`);
      assert.ok(!table.includes('\ufffd'), `no U+FFFD in the table:\n${table}`);
    });
  }
});

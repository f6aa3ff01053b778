// The real CLI (node bin/ipc-inspector.js → dist/cli.js) on real objects: `snapshot --json`
// follows the contract and finds the fixture's pipe, FIFO and socket pair; usage errors exit 2
// with exactly one line on stderr and nothing on stdout; the table prints hostile names (newline,
// markup) escaped on one line; `watch --json` reports a fixture appearing and disappearing.
//
//   node scripts/build.mjs test/integration cli && node --test --test-concurrency=1 dist/test/integration/cli.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { CHANNEL_KINDS, type Channel, type Snapshot, type SnapshotDiff } from '../../src/core/model';
import { escapeControl } from '../../src/core/format';
import { BIN, ROOT, cliNotBuilt, runCli } from './cliRunner';
import { cannotActAsNobody, runAsNobody, stageForOtherUsers } from '../harness/otherUser';
import { loadNative } from '../../src/core/native';
import { isKernelThread } from '../../src/core/processState';

const cli = (args: string[]) => runCli(args, { maxBuffer: 512 * 1024 * 1024 });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-cli-'));
const HOSTILE_COMM = 'ev\n<script>';
// (no '/' in the file name: it must stay inside tmp)
const HOSTILE_PATH = path.join(tmp, 'fifo\nline2 <script>alert(1)<\\script> \u202e');
let pipe: Fixture;
let fifo: Fixture;
let pair: Fixture;
const made: Fixture[] = [];

before(async () => {
  // Each fixture is recorded as soon as it exists, so `after` closes it even if another failed.
  const keep = async (p: Promise<Fixture>) => {
    const f = await p;
    made.push(f);
    return f;
  };
  [pipe, fifo, pair] = await Promise.all([
    keep(makeFixture('pipe', { bytes: 3 })),
    keep(makeFixture('fifo', { path: HOSTILE_PATH, comm: HOSTILE_COMM })),
    keep(makeFixture('socketpair', { bytes: 4 })),
  ]);
});

after(async () => {
  try {
    await closeAll(made);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * `until(what, pred)` for a watch child: re-checks `pred` on each output chunk. A hang guard, not a
 * timing check: a watch that never prints what is awaited fails after a minute with what it did
 * print, instead of holding the layer for its whole budget.
 */
function waitOn(w: ChildProcess, stderr: () => string, printed: () => string) {
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  w.stdout!.on('data', poke); // after the test's own listener, which was added first
  w.on('close', poke);
  return async (what: string, pred: () => boolean): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!pred()) {
      if (w.exitCode !== null || w.signalCode !== null) throw new Error(`watch exited early (${w.exitCode ?? w.signalCode}): ${stderr()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} in 60 s of watch output: ${printed().slice(-4000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
}

describe('ipc-inspector CLI', { skip: cliNotBuilt }, () => {
  test('snapshot --json --pid P: the contract, filtered to P', () => {
    const r = cli(['snapshot', '--json', '--pid', String(pipe.info.reader.pid)]);
    assert.equal(r.code, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    assert.equal(snap.version, 1);
    for (const k of ['takenAt', 'durationMs', 'host', 'capabilities', 'warnings', 'processes', 'channels']) assert.ok(k in snap, `missing ${k}`);
    assert.equal(typeof snap.capabilities.native, 'boolean');
    for (const c of snap.channels) {
      assert.ok((CHANNEL_KINDS as readonly string[]).includes(c.kind), c.kind);
      assert.equal(typeof c.id, 'string');
      assert.ok(c.endpoints.some((e) => e.pid === pipe.info.reader.pid), `${c.id} not held by the filtered pid`);
    }
    const ch = snap.channels.find((c) => c.kind === 'pipe' && c.inode === pipe.info.inode);
    assert.ok(ch, 'the fixture pipe is missing');
    // With --pid the core walks only the given pids, so the other end (the writer) may be absent;
    // the filtered pid's own end must be exact.
    const mine = ch.endpoints.filter((e) => e.pid === pipe.info.reader.pid);
    assert.deepEqual(mine, [pipe.info.reader]);
    for (const e of ch.endpoints) assert.ok([pipe.info.reader.pid, pipe.info.writer.pid].includes(e.pid), `foreign endpoint ${e.pid}`);
    assert.ok(snap.processes.some((p) => p.pid === pipe.info.reader.pid));
  });

  test('a --pid naming no process is said by the live commands too (watch, top, signals), and still followed', () => {
    const none = 4_000_000; // above any pid_max
    for (const args of [
      ['top', '--json', '--no-tracer', '--count', '1', '--interval', '200', '--pid', String(none)],
      ['signals', '--duration', '200', '--pid', String(none)],
    ]) {
      const r = cli(args);
      if (args[0] === 'signals' && r.code === 1 && /cannot log signals/.test(r.stderr)) continue; // no tracer on this machine: said by activity.test.ts
      assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^warning: no process ${none} \\(yet\\)$`, 'm'), `${args[0]}: ${r.stderr}`);
    }
  });

  test('snapshot --json --kind unix --pid A,B: socket pair peers, nothing of another kind', () => {
    const { a, b } = pair.info;
    const r = cli(['snapshot', '--json', '--kind', 'unix', '--pid', `${a.pid},${b.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    assert.ok(snap.channels.length > 0, 'the pair\'s sockets are listed');
    assert.ok(snap.channels.every((c) => c.kind === 'unix'));
    const ca = snap.channels.find((c) => c.kind === 'unix' && c.inode === a.inode) as Extract<Channel, { kind: 'unix' }> | undefined;
    const cb = snap.channels.find((c) => c.kind === 'unix' && c.inode === b.inode) as Extract<Channel, { kind: 'unix' }> | undefined;
    assert.ok(ca && cb, 'socket pair missing');
    if (snap.capabilities.sockDiag) {
      assert.equal(ca.peer, cb.id);
      assert.equal(cb.peer, ca.id);
    }
  });

  test('snapshot --no-native --json reports that the addon was not used', () => {
    const r = cli(['snapshot', '--no-native', '--json', '--kind', 'fifo', '--pid', String(fifo.info.reader.pid)]);
    assert.equal(r.code, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    assert.equal(snap.capabilities.native, false);
    assert.equal(r.stderr, '', 'JSON mode prints notes only inside the JSON');
    const t = cli(['snapshot', '--no-native', '--kind', 'fifo', '--pid', String(fifo.info.reader.pid)]);
    assert.equal(t.code, 0);
    assert.match(t.stderr, /^note: native addon not used/m);
    const ch = snap.channels.find((c) => c.kind === 'fifo' && c.inode === fifo.info.inode);
    assert.ok(ch && ch.kind === 'fifo');
    assert.equal(ch.path, HOSTILE_PATH);
  });

  test('the table escapes hostile names: one line per channel, no raw newline or markup break-out', () => {
    const r = cli(['snapshot', '--pid', String(fifo.info.reader.pid), '--pid', String(fifo.info.writer.pid), '--kind', 'fifo']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(HOSTILE_PATH), 'raw path with a newline printed');
    assert.ok(!r.stdout.includes(HOSTILE_COMM), 'raw comm with a newline printed');
    assert.ok(r.stdout.includes(escapeControl(HOSTILE_PATH)), 'escaped path missing:\n' + r.stdout);
    assert.ok(r.stdout.includes(escapeControl(HOSTILE_COMM)), 'escaped comm missing:\n' + r.stdout);
    const lines = r.stdout.trimEnd().split('\n');
    // title, header, exactly one row for the one FIFO
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /FIFO/);
    assert.match(lines[1], /^ID\s+PATH\b/);
    assert.ok(lines[2].includes(String(fifo.info.inode)));
    assert.ok(lines[2].includes(`[${fifo.info.reader.pid}] fd ${fifo.info.reader.fd} (r)`));
    assert.ok(lines[2].includes(`[${fifo.info.writer.pid}] fd ${fifo.info.writer.fd} (w)`));
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.stdout), 'control characters in the table');
  });

  test('the FIFO table says which FIFO was unlinked (DELETED), also beside a live one named "… (deleted)"', async () => {
    const gone = await makeFixture('fifo', { path: path.join(tmp, 'gone') });
    made.push(gone);
    const live = await makeFixture('fifo', { path: path.join(tmp, 'live (deleted)') });
    made.push(live);
    fs.unlinkSync(path.join(tmp, 'gone'));
    const pids = [gone.info.reader.pid, live.info.reader.pid];
    const r = cli(['snapshot', ...pids.flatMap((p) => ['--pid', String(p)]), '--kind', 'fifo']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const header = lines[1];
    assert.match(header, /\bDELETED\b/);
    const at = header.indexOf('DELETED');
    const cell = (inode: number) => {
      const row = lines.find((l) => l.includes(String(inode)));
      assert.ok(row, `a row for ${inode}:\n${r.stdout}`);
      return row.slice(at).split(/\s+/)[0];
    };
    assert.equal(cell(gone.info.inode as number), 'yes');
    assert.equal(cell(live.info.inode as number), 'no');
  });

  test('peek of a SysV queue longer than one peek copies names the --offset that reads on, and only while messages are left', async () => {
    const q = await makeFixture('sysv-msg', { count: 1030 });
    made.push(q);
    const id = `sysv-msg:${q.info.msqid as number}`;
    const first = cli(['peek', id]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /showing the first 1,024 of 1,030 messages/);
    assert.match(first.stdout, /`ipc-inspector peek --offset 1024` reads on/);
    const rest = cli(['peek', id, '--offset', '1024']);
    assert.equal(rest.code, 0, rest.stderr);
    assert.match(rest.stdout, /showing messages 1024–1029 of 1,030/);
    assert.doesNotMatch(rest.stdout, /reads on/);
  });

  test('the table groups by kind with one header per kind', () => {
    const pids = [pipe.info.reader.pid, pair.info.a.pid];
    const r = cli(['snapshot', ...pids.flatMap((p) => ['--pid', String(p)]), '--kind', 'pipe,unix']);
    assert.equal(r.code, 0, r.stderr);
    const titles = r.stdout.split('\n').filter((l) => /^\S.*\(\d+\)$/.test(l));
    assert.deepEqual(titles.map((t) => t.replace(/ \(\d+\)$/, '')), ['Pipe', 'Unix socket']);
    assert.ok(r.stdout.includes(`pipe:${pipe.info.inode}`) || r.stdout.includes(String(pipe.info.inode)));
    assert.ok(r.stdout.includes(String(pair.info.a.inode)));
  });

  const BAD: [string, string[], RegExp][] = [
    ['unknown option', ['snapshot', '--bogus'], /unknown option --bogus/],
    ['missing value', ['snapshot', '--pid'], /--pid needs a value/],
    ['bad kind', ['snapshot', '--kind', 'pipes'], /unknown kind pipes/],
    ['bad pid', ['snapshot', '--pid', 'abc'], /invalid pid abc/],
    ['negative pid', ['snapshot', '--pid', '-4'], /invalid pid -4/],
    ['zero pid', ['snapshot', '--pid', '0'], /invalid pid 0/],
    ['flag with a value', ['snapshot', '--json=yes'], /--json takes no value/],
    ['stray argument', ['snapshot', 'extra'], /unexpected argument extra/],
    ['bad interval', ['watch', '--interval', '10ms'], /--interval must be an integer/],
    ['interval too small', ['watch', '--interval', '5'], /--interval must be an integer/],
    ['unknown command', ['snapsh0t'], /unknown command/],
    ['hostile option name', ['snapshot', '--a\nb'], /unknown option --a\\nb/],
  ];
  for (const [what, args, re] of BAD) {
    test(`usage error (${what}) → exit 2, one line on stderr, nothing on stdout`, () => {
      const r = cli(args);
      assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.endsWith('\n'));
      assert.equal(r.stderr.split('\n').length, 2, `not one line: ${JSON.stringify(r.stderr)}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /^ipc-inspector/);
    });
  }

  test('help, --version, <command> --help', () => {
    const h = cli(['help']);
    assert.equal(h.code, 0);
    for (const c of ['snapshot', 'watch', 'peek', 'signal']) assert.match(h.stdout, new RegExp(`^  ${c} `, 'm'));
    const v = cli(['--version']);
    assert.equal(v.code, 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(v.stdout.trim(), pkg.version);
    const s = cli(['snapshot', '--help']);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /--kind/);
    assert.match(s.stdout, /--no-native/);
    const w = cli(['watch', '--help']);
    assert.equal(w.code, 0);
    assert.match(w.stdout, /--interval/);
    // no command: a usage error, its help where errors go
    const none = cli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage:/);
    assert.equal(none.stdout, '');
    // `--help CMD` is that command's help; stray arguments are usage errors, pointing at CMD --help
    assert.match(cli(['--help', 'snapshot']).stdout, /^usage: ipc-inspector snapshot /);
    for (const args of [['--version', 'x'], ['help', 'peek', 'x']]) {
      const r = cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /unexpected argument "x"/);
    }
    const empty = cli(['peek', '']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^ipc-inspector peek: usage: .*\(see `ipc-inspector peek --help`\)$/m);
    // kill(1)'s habit
    const dash = cli(['signal', String(process.pid), '-9']);
    assert.equal(dash.code, 2);
    assert.match(dash.stderr, /unknown signal: -9 \(give it without the dash: 9\)/);
  });

  test('--pid naming no process: said on stderr, and exit 1 when none of the pids exists (as lsof -p); the JSON on stdout stays the snapshot', () => {
    // pid_max itself is never a pid (pids are below it)
    const gone = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    for (const json of [[], ['--json']]) {
      const r = cli(['snapshot', ...json, '--pid', String(gone)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^warning: no process ${gone}$`, 'm'));
      if (json.length) assert.deepEqual(JSON.parse(r.stdout).channels, []);
    }
    const some = cli(['snapshot', '--pid', `${gone},${process.pid}`]);
    assert.equal(some.code, 0, 'one of them exists');
    assert.match(some.stderr, new RegExp(`^warning: no process ${gone}$`, 'm'));
  });

  test('--pid naming a process the user may not read (as nobody, a root process): named on stderr as unreadable, not "no channels" alone', { skip: cannotActAsNobody() }, () => {
    const addon = loadNative().path;
    const staged = stageForOtherUsers([[path.join(ROOT, 'dist', 'cli.js'), 'dist/cli.js'], ...(addon ? [[addon, 'native/build/Release/ipc_inspector.node'] as [string, string]] : [])]);
    try {
      const env = { LANG: 'C.UTF-8', IPC_INSPECTOR_NATIVE: addon ? staged.path('native/build/Release/ipc_inspector.node') : '' };
      // the pipe fixture's writer: root's, holding a pipe
      const pid = pipe.pids[0];
      for (const json of [[], ['--json']]) {
        const r = runAsNobody(process.execPath, [staged.path('dist/cli.js'), 'snapshot', ...json, '--pid', String(pid)], { env, timeoutMs: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        // the table's notes go to stderr; --json keeps them in the snapshot's warnings
        const said = new RegExp(`^(?:warning: )?process ${pid}: its fds could not be read \\(EACCES, permission denied\\): the channels it holds are not listed`, 'm');
        if (json.length) assert.ok((JSON.parse(r.stdout) as Snapshot).warnings.some((w) => said.test(w)), r.stdout.slice(0, 2000));
        else {
          assert.match(r.stderr, said);
          assert.match(r.stdout, /no IPC channels found \(see warnings\)/);
        }
      }
      // doctor too: "no problems found" must not read as "none there"
      const d = runAsNobody(process.execPath, [staged.path('dist/cli.js'), 'doctor', '--samples', '1', '--pid', String(pid)], { env, timeoutMs: 120_000 });
      assert.match(d.stderr, new RegExp(`^note: process ${pid}: its fds could not be read \\(EACCES, permission denied\\): the channels it holds are not listed — run as root or as its user: problems of those channels cannot be found$`, 'm'), d.stderr);
      // root reads it: no such warning
      const own = cli(['snapshot', '--pid', String(pid)]);
      assert.doesNotMatch(own.stderr, /could not be read/);
    } finally {
      staged.remove();
    }
  });

  test('as nobody, the whole machine: kernel threads (no fd to hide) are not counted among the processes hidden', { skip: cannotActAsNobody() }, () => {
    const addon = loadNative().path;
    const staged = stageForOtherUsers([[path.join(ROOT, 'dist', 'cli.js'), 'dist/cli.js'], ...(addon ? [[addon, 'native/build/Release/ipc_inspector.node'] as [string, string]] : [])]);
    try {
      const env = { LANG: 'C.UTF-8', IPC_INSPECTOR_NATIVE: addon ? staged.path('native/build/Release/ipc_inspector.node') : '' };
      const r = runAsNobody(process.execPath, [staged.path('dist/cli.js'), 'snapshot', '--json', '--all-processes', '--kind', 'pipe'], { env, timeoutMs: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout) as Snapshot;
      const kthreads = new Set(s.processes.filter(isKernelThread).map((x) => x.pid));
      assert.ok(kthreads.size > 0, 'kernel threads listed');
      const hidden = s.warnings.find((w) => w.startsWith('processes hidden:'));
      assert.ok(hidden, 'root\'s processes are hidden from nobody');
      // named in pid order, the first five: kernel threads (pids 2, 3, …) would lead the list
      const named = [...hidden.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
      assert.deepEqual(named.filter((pid) => kthreads.has(pid)), [], hidden);
      assert.ok(Number(/^processes hidden: (\d+)/.exec(hidden)![1]) <= s.processes.length - kthreads.size, hidden);
    } finally {
      staged.remove();
    }
  });

  test('watch (text): a hostile-named FIFO appears as one escaped "+ fifo" line, then as "- fifo"', async () => {
    const w = spawn(process.execPath, [BIN, 'watch', '--interval', '100', '--kind', 'fifo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    w.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    w.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => w.on('close', resolve));
    const until = waitOn(w, () => stderr, () => out);
    const name = path.join(tmp, 'watched\n<img src=x onerror=alert(1)>');
    let f: Fixture | undefined;
    try {
      await until('the first line', () => /watching \d+ channels?/.test(out));
      f = await makeFixture('fifo', { path: name, comm: 'w\nx' });
      const shown = escapeControl(name);
      // '+', or '~' when ext4 gave it the inode (the id) of a FIFO removed since the last snapshot
      await until('our FIFO', () => out.split('\n').some((l) => / [+~] fifo /.test(l) && l.includes(shown)));
      await f.close();
      await until('our FIFO gone', () => out.split('\n').some((l) => / - fifo /.test(l) && l.includes(shown)));
      // '+' first, '-' last; a '~' between only if a snapshot caught the reader before the writer
      const lines = out.split('\n').filter((l) => l.includes(shown));
      assert.match(lines[0], / [+~] fifo /);
      assert.match(lines[lines.length - 1], / - fifo /);
      assert.ok(lines.slice(1, -1).every((l) => / ~ fifo /.test(l)), out);
      // the reader child is named before it opens the FIFO, so the first line already shows it
      assert.ok(lines[0].includes(`${escapeControl('w\nx')}[${f.info.reader.pid}]`), lines[0]);
      assert.ok(!out.includes(name), 'raw name printed');
    } finally {
      w.kill('SIGINT');
      await f?.close().catch(() => {});
    }
    assert.equal(await exited, 130, stderr); // Ctrl-C: 128 + SIGINT
  });

  test('watch --json: a new fixture shows up as added, then as removed after close', async () => {
    const w = spawn(process.execPath, [BIN, 'watch', '--json', '--interval', '100', '--kind', 'fifo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    w.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => w.on('close', resolve));
    const diffs: SnapshotDiff[] = [];
    let buf = '';
    w.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        diffs.push(JSON.parse(buf.slice(0, nl)) as SnapshotDiff);
        buf = buf.slice(nl + 1);
      }
    });
    const until = waitOn(w, () => stderr, () => diffs.slice(1).map((d) => JSON.stringify(d)).join('\n'));
    let extra: Fixture | undefined;
    try {
      await until('the first snapshot', () => diffs.length >= 1); // the first diff: everything there is
      assert.equal(diffs[0].fromTakenAt, null);
      assert.ok(diffs[0].addedChannels.length > 0, 'the first diff lists the FIFOs there are');
      assert.ok(diffs[0].addedChannels.every((c) => c.kind === 'fifo'));
      assert.ok(diffs[0].addedChannels.some((c) => c.kind === 'fifo' && c.inode === fifo.info.inode));
      const extraPath = path.join(tmp, 'watched fifo');
      extra = await makeFixture('fifo', { path: extraPath });
      const inode = extra.info.inode as number;
      // ext4 gives a new file the inode of one just removed, so when another FIFO went away between
      // two snapshots (any churn on the machine: the id is dev:inode) ours arrives as that id
      // changing to our path; either way watch must report our FIFO.
      const isIt = (c: Channel) => c.kind === 'fifo' && c.inode === inode && c.path === extraPath;
      const shows = (d: SnapshotDiff) => d.addedChannels.some(isIt) || d.changedChannels.some(isIt);
      await until('our FIFO added', () => diffs.slice(1).some(shows));
      const seen = diffs.slice(1).find(shows)!;
      const id = [...seen.addedChannels, ...seen.changedChannels].find(isIt)!.id;
      assert.ok(diffs.slice(1).every((d) => d.fromTakenAt !== null));
      const printed = diffs.length;
      await extra.close();
      const gone = (d: SnapshotDiff) => d.removedChannels.includes(id) || d.changedChannels.some((c) => c.id === id && !isIt(c));
      await until('our FIFO removed', () => diffs.slice(printed).some(gone));
    } finally {
      w.kill('SIGINT');
      await extra?.close().catch(() => {});
    }
    assert.equal(await exited, 130, stderr); // Ctrl-C: 128 + SIGINT
  });
});

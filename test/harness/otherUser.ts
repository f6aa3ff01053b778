// The attacker of the security tests: another local user (`nobody`, uid 65534) — the one place
// every test acts as that user from. Runs code as that user (a command, `node -e`, `sh -c`, or a
// long-lived Perl attacker that makes hostile objects and holds them: startAttacker), and stages
// the files it must run (the CLI bundle, the addon) in a fresh directory it can read, so the tests
// work wherever the checkout lives: a clone under /root (mode 0700 on Debian) cannot be entered by
// another user. The staged directory is mkdtemp-made, owned by the caller (root), mode 0755 with
// 0644/0755 files: readable by the attacker, never writable. Spawning with uid/gid drops the
// supplementary groups (libuv's setgroups(0)), so nobody runs with no group of ours.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NOBODY = { uid: 65534, gid: 65534 };
export const NOBODY_UID = NOBODY.uid;

/** A directory every user can enter: /tmp (sticky, root-owned), whatever TMPDIR says. */
const SHARED_TMP = '/tmp';

/** Runs a program as nobody in `/`, with only PATH and `env` in its environment. */
export function runAsNobody(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    ...NOBODY,
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `node -e script` as nobody (see runAsNobody). */
export function nodeAsNobody(script: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return runAsNobody(process.execPath, ['-e', script], opts);
}

/** Runs `sh -c command` as nobody in `/`. */
export function shellAsNobody(command: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync('/bin/sh', ['-c', command], { ...NOBODY, cwd: '/', env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 30_000 });
}

/** Why nobody-tests cannot run here (not root, no such user, node not executable by it), or false. */
export function cannotActAsNobody(): string | false {
  if (process.geteuid?.() !== 0) return 'needs root to act as user nobody';
  const r = nodeAsNobody('process.stdout.write(String(process.getuid()))');
  if (r.error || r.status !== 0 || r.stdout !== String(NOBODY.uid)) {
    return `cannot run ${process.execPath} as uid ${NOBODY.uid}: ${r.error?.message ?? r.stderr.trim()}`;
  }
  return false;
}

export interface Staged {
  dir: string;
  /** Path of a staged file by its relative name. */
  path(rel: string): string;
  remove(): void;
}

/** Copies `files` ([source, relative name]) into a fresh directory other users can read. */
export function stageForOtherUsers(files: Array<[source: string, rel: string]>): Staged {
  const dir = fs.mkdtempSync(path.join(fs.existsSync(SHARED_TMP) ? SHARED_TMP : '/', 'ipc-staged-'));
  for (const [src, rel] of files) {
    const dst = path.join(dir, rel);
    let d = path.dirname(dst);
    fs.mkdirSync(d, { recursive: true });
    for (; d.startsWith(dir) && d !== dir; d = path.dirname(d)) fs.chmodSync(d, 0o755);
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, fs.statSync(src).mode & 0o111 ? 0o755 : 0o644);
  }
  fs.chmodSync(dir, 0o755);
  return {
    dir,
    path: (rel) => path.join(dir, rel),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// ------------------------------------------------------------------ a long-lived attacker making hostile objects

/*
 * A Perl process running as nobody (core modules only: it needs nothing from the checkout, so it
 * runs wherever the checkout lives) that names itself and creates objects with hostile names, as
 * any local user could — POSIX shm files in /dev/shm, SysV semaphore sets as large as the kernel
 * allows — prints what it made as one JSON line, and holds everything until its stdin closes (then
 * removes it all).
 */
export interface AttackerSpec {
  /** Process name (prctl PR_SET_NAME through $0; the kernel keeps 15 bytes). */
  comm?: string;
  /** Names of files to create in /dev/shm (POSIX shared memory objects), 16 bytes each. */
  shm?: string[];
  /** SysV semaphore sets to create, each of `nsems` semaphores. */
  semSets?: number;
  nsems?: number;
}

export interface Attacker {
  pid: number;
  uid: number;
  /** Full paths of the /dev/shm files. */
  files: string[];
  /** semids of the SysV sets. */
  sems: number[];
  /** Closes stdin: the attacker removes its objects and exits (killed and cleaned up after 5 s). */
  close(): Promise<void>;
}

const SCRIPT = String.raw`
use strict; use warnings;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_RMID);
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use JSON::PP;
my $spec = JSON::PP->new->utf8->decode($ARGV[0]);
if (defined $spec->{comm}) { my $c = $spec->{comm}; utf8::encode($c); $0 = $c; }
my (@files, @sems);
my $cleanup = sub { unlink @files; semctl($_, 0, IPC_RMID, 0) for @sems; };
$SIG{TERM} = sub { $cleanup->(); exit 0 };
for my $n (@{$spec->{shm} // []}) {
  my $p = "/dev/shm/$n"; utf8::encode($p);
  sysopen(my $fh, $p, O_CREAT | O_EXCL | O_WRONLY, 0644) or do { $cleanup->(); die "open $p: $!\n" };
  print $fh "x" x 16; close $fh; push @files, $p;
}
for (1 .. ($spec->{semSets} // 0)) {
  my $id = semget(IPC_PRIVATE, $spec->{nsems}, 0600 | IPC_CREAT);
  defined $id or do { $cleanup->(); die "semget: $!\n" };
  push @sems, $id;
}
$| = 1;
print JSON::PP->new->ascii->encode({ pid => $$, files => [map { my $x = $_; utf8::decode($x); $x } @files], sems => \@sems }), "\n";
while (<STDIN>) {}
$cleanup->();
`;

/** The first line a child prints, as JSON: its report once ready; rejects (with its stderr) if it exits first. */
function firstJsonLine<T>(child: ChildProcess, what: string): Promise<T> {
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready: ${err.trim()}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.stdout!.on('data', (b) => {
      out += b;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.removeListener('exit', onExit);
      resolve(JSON.parse(out.slice(0, nl)) as T);
    });
  });
}

/** Root and perl (with JSON::PP and IPC::SysV) are there: the Perl attacker can run. */
export function canRunAttacker(): boolean {
  return process.geteuid?.() === 0 && spawnSync('perl', ['-MJSON::PP', '-MIPC::SysV', '-e', '1'], { ...NOBODY, cwd: '/' }).status === 0;
}

export function startAttacker(spec: AttackerSpec): Promise<Attacker> {
  const child: ChildProcess = spawn('perl', ['-e', SCRIPT, JSON.stringify(spec)], { ...NOBODY, stdio: ['pipe', 'pipe', 'pipe'], cwd: '/', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
  return firstJsonLine<{ pid: number; files: string[]; sems: number[] }>(child, 'attacker').then((info) => {
    let closed: Promise<void> | undefined;
    return {
      ...info,
      uid: NOBODY_UID,
      close: () =>
        (closed ??= new Promise<void>((done) => {
          // Killed or gone early: remove what it made, as root (after a clean exit 0 it did so
          // itself, and a semid it freed may already belong to someone else).
          const sweep = () => {
            if (child.exitCode !== 0) {
              for (const f of info.files) fs.rmSync(f, { force: true });
              for (const id of info.sems) spawnSync('ipcrm', ['-s', String(id)], { stdio: 'ignore' });
            }
            done();
          };
          if (child.exitCode !== null || child.signalCode !== null) return sweep();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            sweep();
          });
          child.stdin!.end();
        })),
    };
  });
}

// ------------------------------------------------------------------ a process named by its user

/*
 * A Perl process (core modules only) that names itself and holds what a user can make: its comm
 * written through /proc/self/comm (what prctl PR_SET_NAME sets: 15 bytes), any argv[0] and
 * arguments (its command line), optionally a FIFO it creates, holds open read-write and fills
 * with bytes. Its stdin is a pipe from the test, so it is in every snapshot (it holds IPC) and
 * exits when the pipe closes.
 */
export interface NamedProcessSpec {
  /** Written to /proc/self/comm (the kernel keeps 15 bytes). */
  comm?: string;
  /** argv[0] as /proc/PID/cmdline shows it. */
  argv0?: string;
  /** More arguments (the command line). */
  args?: string[];
  /** A FIFO to create (mode 0644), hold open and fill with `fifoBytes`. */
  fifo?: string;
  fifoBytes?: Buffer;
  /** Who runs it (default nobody). */
  user?: { uid: number; gid: number };
}

export interface NamedProcess {
  pid: number;
  child: ChildProcess;
  /** Closes its stdin (it removes its FIFO and exits; killed after 5 s). */
  close(): Promise<void>;
}

const NAMED = String.raw`
use strict; use warnings; use POSIX ();
my ($comm, $fifo, $hex) = splice(@ARGV, 0, 3);
if (length $comm) { open(my $c, '>', '/proc/self/comm') or die "comm: $!\n"; print $c $comm; close $c; }
my $h;
if (length $fifo) {
  POSIX::mkfifo($fifo, 0644) or die "mkfifo $fifo: $!\n";
  open($h, '+<', $fifo) or die "open $fifo: $!\n";
  binmode $h; syswrite($h, pack('H*', $hex)) if length $hex;
}
$| = 1; print "$$\n";
while (<STDIN>) {}
unlink $fifo if length $fifo;
`;

/** Starts a named process (as nobody unless `user` says otherwise); resolves once it has named itself and made its FIFO. */
export function startNamedProcess(spec: NamedProcessSpec): Promise<NamedProcess> {
  const user = spec.user ?? NOBODY;
  // the script from the environment (readable by its user and root only), so the command line is argv0 -e … -- then the spec's
  const child = spawn('perl', ['-e', 'eval $ENV{IPC_NAMED}; die $@ if $@', '--', spec.comm ?? '', spec.fifo ?? '', spec.fifoBytes?.toString('hex') ?? '', ...(spec.args ?? [])], {
    ...user,
    argv0: spec.argv0,
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', IPC_NAMED: NAMED },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null) => reject(new Error(`named process exited (${code}) before it was ready: ${err.trim()}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.stdout!.on('data', (b) => {
      out += b;
      if (!out.includes('\n')) return;
      child.removeListener('exit', onExit);
      let closed: Promise<void> | undefined;
      resolve({
        pid: Number(out.trim()),
        child,
        close: () =>
          (closed ??= new Promise<void>((done) => {
            const finish = () => {
              if (spec.fifo && child.exitCode !== 0) fs.rmSync(spec.fifo, { force: true });
              done();
            };
            if (child.exitCode !== null || child.signalCode !== null) return finish();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              finish();
            });
            child.stdin!.end();
          })),
      });
    });
  });
}

// ------------------------------------------------------------------ a dup-bomb

/*
 * One pipe whose write end a process dup's `fds` times (fewer when its fd limit comes first),
 * closes the fds `holes` names, then forks into `procs` processes that all hold the same fds: one
 * channel of about procs × fds endpoints, as any local user can make. A Perl process (core modules
 * only) named through /proc/self/comm; every process exits when its stdin, the test's pipe,
 * closes (an fd of that pipe is not counted: it is the one every process shares as stdin).
 */
export interface DupBombSpec {
  /** Written to /proc/self/comm (15 bytes kept). */
  comm: string;
  /** dup()s of the write end. */
  fds: number;
  /** Processes holding them (the first and procs − 1 forks). */
  procs: number;
  /** fds to close again after the dup()s: holes in the runs. */
  holes?: number[];
  /** Who runs it (default nobody). */
  user?: { uid: number; gid: number };
}

export interface DupBomb {
  /** The first process, then its forks. */
  pids: number[];
  /** The pipe's inode (`pipe:INODE`). */
  inode: number;
  /** Its read end and the write end the dups are of (the dups are the lowest free fds above them). */
  readFd: number;
  writeFd: number;
  /** Closes their stdin: every process exits (killed after 5 s). */
  close(): Promise<void>;
}

/** Perl: forks into $procs processes; @pids is the list in the first (empty in the forks). */
const FORK_INTO_PROCS = String.raw`my @pids = ($$);
for (2 .. $procs) {
  my $pid = fork();
  die "fork: $!\n" unless defined $pid;
  if ($pid == 0) { @pids = (); last; }
  push @pids, $pid;
}`;

const DUP_BOMB = String.raw`
use strict; use warnings; use POSIX ();
my ($comm, $n, $procs, @holes) = @ARGV;
open(my $c, '>', '/proc/self/comm') or die "comm: $!\n"; print $c $comm; close $c;
pipe(my $r, my $w) or die "pipe: $!\n";
my $wfd = fileno($w);
for (1 .. $n) { defined(POSIX::dup($wfd)) or last; }
POSIX::close($_) for @holes;
my ($inode) = readlink("/proc/self/fd/$wfd") =~ /^pipe:\[(\d+)\]$/ or die "not a pipe\n";
${FORK_INTO_PROCS}
$| = 1;
print "{\"inode\":$inode,\"readFd\":" . fileno($r) . ",\"writeFd\":$wfd,\"pids\":[" . join(',', @pids) . "]}\n" if @pids;
while (<STDIN>) {}
`;

/** Starts a dup-bomb (as nobody unless `user` says otherwise); resolves once every process holds the fds. */
export function startDupBomb(spec: DupBombSpec): Promise<DupBomb> {
  const user = spec.user ?? NOBODY;
  const child = spawn('perl', ['-e', DUP_BOMB, '--', spec.comm, String(spec.fds), String(spec.procs), ...(spec.holes ?? []).map(String)], {
    ...user,
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return firstJsonLine<{ inode: number; readFd: number; writeFd: number; pids: number[] }>(child, 'dup-bomb').then((info) => {
    let closed: Promise<void> | undefined;
    return { ...info, close: () => (closed ??= endForks(child, info.pids)) };
  });
}

/** Closes the first process's stdin, which every fork shares, and waits until each is gone from /proc (they are not our children); SIGKILL after 5 s. */
function endForks(child: ChildProcess, pids: readonly number[]): Promise<void> {
  return new Promise<void>((done) => {
    child.stdin!.end();
    const end = Date.now() + 5000;
    const poll = () => {
      const left = pids.filter((pid) => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readStatus(pid)));
      if (left.length === 0) return done();
      if (Date.now() > end) {
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone already */
          }
        }
      }
      setTimeout(poll, 50);
    };
    poll();
  });
}

function readStatus(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

// ------------------------------------------------------------------ an argument bomb

/*
 * A process that re-execs itself with `argBytes` of arguments (chunks of 100,000 bytes: below
 * MAX_ARG_STRLEN; the stack limit raised with prlimit, so the kernel takes up to 6 MiB), then
 * forks into `procs` processes that share those pages: as many command lines of that size as
 * processes, at one copy's cost to their user. A Perl process (core modules only) named through
 * /proc/self/comm; every process exits when its stdin, the test's pipe, closes.
 */
export interface ArgBombSpec {
  comm: string;
  procs: number;
  argBytes: number;
  user?: { uid: number; gid: number };
}

export interface ArgBomb {
  /** The first process, then its forks. */
  pids: number[];
  /** Closes their stdin: every process exits (killed after 5 s). */
  close(): Promise<void>;
}

const ARG_BOMB = String.raw`
use strict; use warnings;
my ($comm, $procs, $bytes, $child) = @ARGV;
unless (defined $child) {
  my $chunk = 'a' x 100000;
  exec { $^X } 'ipc-argbomb', '-e', $ENV{IPC_ARG_BOMB}, '--', $comm, $procs, $bytes, 'child', ($chunk) x int($bytes / 100001);
  die "exec: $!\n";
}
open(my $c, '>', '/proc/self/comm') or die "comm: $!\n"; print $c $comm; close $c;
${FORK_INTO_PROCS}
$| = 1;
print '{"pids":[' . join(',', @pids) . "]}\n" if @pids;
while (<STDIN>) {}
`;

/** prlimit (util-linux) is there to raise the stack limit the kernel sizes a command line by. */
export function canRunArgBomb(): boolean {
  return canRunAttacker() && spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts an argument bomb (as nobody unless `user` says otherwise); resolves once every process is there. */
export function startArgBomb(spec: ArgBombSpec): Promise<ArgBomb> {
  const user = spec.user ?? NOBODY;
  const child = spawn('prlimit', ['--stack=unlimited', 'perl', '-e', ARG_BOMB, '--', spec.comm, String(spec.procs), String(spec.argBytes)], {
    ...user,
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', IPC_ARG_BOMB: ARG_BOMB },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return firstJsonLine<{ pids: number[] }>(child, 'argument bomb').then((info) => {
    let closed: Promise<void> | undefined;
    return { ...info, close: () => (closed ??= endForks(child, info.pids)) };
  });
}

// ------------------------------------------------------------------ POSIX timers by the thousand

/*
 * A process (Python's ctypes over librt) that creates `timers` POSIX timers, each to signal it
 * with SIGUSR1 (none armed), as many as its user's RLIMIT_SIGPENDING allows: /proc/PID/timers
 * lists four lines for each. It exits when its stdin, the test's pipe, closes.
 */
export interface TimerHolder {
  pid: number;
  /** Timers made. */
  made: number;
  close(): Promise<void>;
}

const TIMER_HOLDER = String.raw`
import ctypes, json, os, sys
librt = ctypes.CDLL('librt.so.1', use_errno=True)
class sigevent(ctypes.Structure):
    _fields_ = [('value', ctypes.c_void_p), ('signo', ctypes.c_int), ('notify', ctypes.c_int), ('pad', ctypes.c_byte * 48)]
ev = sigevent(); ev.signo = 10; ev.notify = 0
made = 0
for _ in range(int(sys.argv[1])):
    t = ctypes.c_void_p()
    if librt.timer_create(1, ctypes.byref(ev), ctypes.byref(t)) != 0: break
    made += 1
print(json.dumps({'pid': os.getpid(), 'made': made}), flush=True)
sys.stdin.read()
`;

/** Starts a timer holder as nobody; resolves once its timers are made. */
export function startTimerHolder(timers: number): Promise<TimerHolder> {
  const child = spawn('/usr/bin/python3', ['-c', TIMER_HOLDER, String(timers)], { ...NOBODY, cwd: '/', env: { PATH: '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
  return firstJsonLine<{ pid: number; made: number }>(child, 'timer holder').then((info) => {
    let closed: Promise<void> | undefined;
    return { ...info, close: () => (closed ??= endForks(child, [info.pid])) };
  });
}

// ------------------------------------------------------------------ a user of its own

export interface TempUser {
  name: string;
  uid: number;
  gid: number;
  /** Its home directory (made, owned by it, mode 0755). */
  home: string;
  /** Runs `sh -c command` as this user in its home, `input` on its stdin. */
  sh(command: string, input?: string): SpawnSyncReturns<string>;
  /** userdel, and the home removed. */
  remove(): void;
}

/**
 * A user of its own (useradd, root only), for what `nobody` cannot have: a home directory where
 * its runtimes keep their state. `name` may be hostile (useradd --badname takes bidi controls,
 * `$(…)`, `<…>`; not `:`). Its home is a fresh directory in /tmp.
 */
export function createUser(name: string): TempUser {
  const home = fs.mkdtempSync(path.join(SHARED_TMP, 'ipc-home-'));
  const r = spawnSync('useradd', ['--badname', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', name], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(home, { recursive: true, force: true });
    throw new Error(`useradd ${JSON.stringify(name)}: ${r.stderr.trim() || r.error?.message}`);
  }
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  fs.chownSync(home, uid, gid);
  fs.chmodSync(home, 0o755);
  return {
    name,
    uid,
    gid,
    home,
    sh: (command, input) => spawnSync('/bin/sh', ['-c', command], { uid, gid, cwd: home, env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home }, encoding: 'utf8', timeout: 30_000, input }),
    remove: () => {
      spawnSync('userdel', [name], { stdio: 'ignore' });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ users that share a bound

/** Debian's python3, which every user can run (root's may not be: pyenv's under /root), or ''. */
export const SYSTEM_PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : '';

/** A uid no other process on the machine has: a second user beside the attacker, without useradd. */
export const LONE_UID = 50_000 + (process.pid % 10_000);

/**
 * `python3 -c script args…` as user `uid` in `/`, pinned to the first CPU we may use (taskset: the
 * same pid). Objects the kernel numbers from a per-CPU batch (get_next_ino: memfds, POSIX queues)
 * then get rising inodes in the order they are made, whoever makes them: a test that makes one
 * user's objects before another's knows which are older.
 */
export function pythonAs(uid: number, script: string, args: string[]): ChildProcess {
  const allowed = /^Cpus_allowed_list:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return spawn('taskset', ['-c', allowed ? allowed[1] : '0', SYSTEM_PYTHON, '-c', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    uid,
    gid: uid,
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
}
